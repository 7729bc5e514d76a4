"""Success plans for the CSM, the QBR button, and the customer's page by link.

The customer's page (``/p/<secret>``) knows nothing but the secret: it takes no
plan, account or user id from the request, shows no staff navigation, and
every item id a customer sends is looked up inside that one plan.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from steward.accounts.inbox import today
from steward.accounts.plan_links import (
    change_by_link,
    create_link,
    links_of,
    open_link,
    revoke_link,
    uses_of,
)
from steward.accounts.success_plans import (
    change_plan,
    content_of,
    create_plan,
    get_plan,
    kpi_values,
    parse_change,
    plan_versions,
    plans_of,
)
from steward.accounts.views import find_account
from steward.api.schemas import PathId
from steward.auth.permissions import may_change_account
from steward.errors import StewardError
from steward.metrics.definitions import CATALOGUE
from steward.reports.review import MEDIA_TYPES, make_review
from steward.web.deps import DB, PageUser, client_of, workspace
from steward.web.rendering import render

router = APIRouter()
_SKIP = {"csrf_token"}


def _change_from(form: dict[str, str]):  # noqa: ANN202 - a Change model
    """A change from a form: blank fields are left out rather than sent empty."""
    return parse_change({k: v for k, v in form.items() if k not in _SKIP and v != ""})


@router.get("/accounts/{key}/plans")
def account_plans(request: Request, session: DB, user: PageUser, key: str) -> Response:
    account = find_account(session, key, user)
    context = {
        "user": user,
        "account": account,
        "plans": plans_of(session, key, user),
        "today": today(),
        "may_change": may_change_account(user, account),
    }
    return render(request, "plans.html", context)


@router.post("/accounts/{key}/plans")
def post_plan(
    session: DB,
    user: PageUser,
    key: str,
    title: Annotated[str, Form(max_length=200)],
    kickoff_on: Annotated[dt.date, Form()],
) -> Response:
    plan = create_plan(
        session, key, title=title, kickoff_on=kickoff_on, actor=user.email, viewer=user
    )
    return RedirectResponse(f"/plans/{plan.id}", status_code=303)


@router.get("/plans/{plan_id}")
def plan_page(
    request: Request, session: DB, user: PageUser, plan_id: PathId
) -> Response:
    return _plan_page(request, session, user, plan_id)


def _plan_page(
    request: Request,
    session: DB,
    user: PageUser,
    plan_id: PathId,
    new_link: str | None = None,
) -> Response:
    plan = get_plan(session, plan_id, user)
    links = links_of(session, plan)
    context = {
        "user": user,
        "plan": plan,
        "content": content_of(plan),
        "values": kpi_values(session, plan, today()),
        "versions": plan_versions(session, plan)[:30],
        "links": links,
        "uses": uses_of(session, [link.id for link in links], 50),
        "metrics": CATALOGUE,
        "may_change": may_change_account(user, plan.account),
        "new_link": new_link,
        "now": dt.datetime.now(dt.UTC),
    }
    return render(request, "plan.html", context)


@router.post("/plans/{plan_id}/changes")
async def post_change(
    request: Request, session: DB, user: PageUser, plan_id: PathId
) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    plan = get_plan(session, plan_id, user, change=True)
    change_plan(session, plan, _change_from(form), user.email)
    return RedirectResponse(f"/plans/{plan_id}", status_code=303)


@router.post("/plans/{plan_id}/links")
def post_link(
    request: Request,
    session: DB,
    user: PageUser,
    plan_id: PathId,
    label: Annotated[str, Form(max_length=200)],
    days: Annotated[int, Form(ge=1, le=90)] = 30,
) -> Response:
    _, secret = create_link(
        session, plan_id, label=label, days=days, actor=user.email, viewer=user
    )
    session.flush()
    # The secret is shown on this one response and never again.
    url = str(request.base_url).rstrip("/") + f"/p/{secret}"
    return _plan_page(request, session, user, plan_id, new_link=url)


@router.post("/plans/{plan_id}/links/{link_id}/revoke")
def post_revoke(
    session: DB, user: PageUser, plan_id: PathId, link_id: PathId
) -> Response:
    get_plan(session, plan_id, user, change=True)
    revoke_link(session, link_id, actor=user.email, viewer=user, plan_id=plan_id)
    return RedirectResponse(f"/plans/{plan_id}", status_code=303)


@router.post("/accounts/{key}/qbr")
def post_qbr(
    request: Request,
    user: PageUser,
    key: str,
    kind: Annotated[str, Form(pattern="^(pptx|pdf)$")] = "pptx",
    svr: Annotated[bool, Form()] = False,
    record: Annotated[bool, Form()] = False,
) -> Response:
    """The deck as a download; it runs in FastAPI's thread pool, not the loop."""
    folder = Path(tempfile.mkdtemp(prefix="steward-qbr-"))
    files = make_review(
        workspace(request),
        key,
        as_of=today(),
        out_dir=folder,
        strategic=svr,
        pdf=kind == "pdf",
        record_held=record,
        viewer=user,
        actor=user.email,
    )
    path = files.pdf if kind == "pdf" and files.pdf else files.pptx
    media = MEDIA_TYPES[path.suffix.removeprefix(".")]
    cleanup = BackgroundTask(_remove, folder)
    return FileResponse(path, media_type=media, filename=path.name, background=cleanup)


def _remove(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()


# The customer's page, reached only by its link.


@router.get("/p/{secret}")
def shared_plan(request: Request, session: DB, secret: str) -> Response:
    try:
        opened = open_link(session, secret, action="view", client=client_of(request))
    except StewardError as error:
        return _share_error(request, error)
    plan = opened.plan
    # Marks the browser as a customer's: staff pages then refuse it outright.
    request.session["plan_link"] = opened.link.id
    context = {
        "plan": plan,
        "account_name": plan.account.name,
        "content": content_of(plan),
        "values": kpi_values(session, plan, today()),
        "secret": secret,
        "expires": opened.link.expires_at,
        "user": None,
    }
    return render(request, "plan_share.html", context)


@router.post("/p/{secret}/changes")
async def shared_change(request: Request, session: DB, secret: str) -> Response:
    form = await request.form()
    raw = {k: str(v) for k, v in form.items() if k not in _SKIP and v != ""}
    try:
        change_by_link(session, secret, raw, client=client_of(request))
    except StewardError as error:
        return _share_error(request, error)
    return RedirectResponse(f"/p/{secret}", status_code=303)


def _share_error(request: Request, error: StewardError) -> Response:
    from steward.api.errors import status_of

    status, _ = status_of(error)
    context = {"status": status, "message": str(error), "user": None}
    return render(request, "plan_share_error.html", context, status=status)
