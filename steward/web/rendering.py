"""Templates and the two ways a page answers a form: a fragment or a redirect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from steward.auth.permissions import may_change_account, may_change_task
from steward.web.deps import csrf_token
from steward.web.text import label, linkify, money

TEMPLATES = Path(__file__).with_name("templates")


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES)
    env = templates.env
    # Autoescaping is on for .html (Starlette's default); these keep it on.
    env.filters.update(linkify=linkify, money=money, label=label)
    env.globals.update(
        may_change_account=may_change_account, may_change_task=may_change_task
    )
    return templates


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    full = {"csrf": csrf_token(request), "path": request.url.path, **context}
    return templates.TemplateResponse(
        request, name, full, status_code=status, headers=headers
    )


def answer(
    request: Request, fragment: str, context: dict[str, Any], back: str
) -> Response:
    """htmx gets the changed fragment; a plain form post is sent back to ``back``."""
    if is_htmx(request):
        return render(request, fragment, context)
    return RedirectResponse(back, status_code=303)
