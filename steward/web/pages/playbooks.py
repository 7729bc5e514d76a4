"""Playbooks, their runs and dry runs; the outbox with retries for managers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from steward.accounts.renewals import current_day
from steward.api.schemas import PathId
from steward.auth.permissions import CHANGE_ANY
from steward.errors import InputInvalid
from steward.notify.views import (
    outbox_counts,
    outbox_message,
    outbox_messages,
    retry_message,
)
from steward.playbooks.views import (
    catalogue,
    dry_run_window,
    playbook_detail,
    replay_playbook,
)
from steward.store.automation import CHANNELS, OUTBOX_STATUSES
from steward.web.deps import DB, PageUser, workspace
from steward.web.rendering import is_htmx, render

router = APIRouter()
Name = Annotated[str, Path(max_length=80)]
Choice = Annotated[str, Query(max_length=20)]


@router.get("/playbooks")
def playbooks_page(request: Request, session: DB, user: PageUser) -> Response:
    rows = catalogue(workspace(request), session)
    return render(request, "playbooks.html", {"user": user, "rows": rows})


@router.get("/playbooks/{name}")
def playbook_page(
    request: Request, session: DB, user: PageUser, name: Name
) -> Response:
    return render(request, "playbook.html", _detail(request, session, user, name))


@router.get("/playbooks/{name}/dry-run")
def dry_run_page(
    request: Request,
    session: DB,
    user: PageUser,
    name: Name,
    start: Annotated[str, Query(alias="from", max_length=20)] = "",
    end: Annotated[str, Query(alias="to", max_length=20)] = "",
) -> Response:
    """The dry run's table: the fragment for htmx, else the playbook's page."""
    first, last = dry_run_window(
        _day(start, "from"), _day(end, "to"), current_day(session)
    )
    dry = replay_playbook(workspace(request), session, name, first, last, user)
    if is_htmx(request):
        return render(request, "_dry_run.html", {"user": user, "dry": dry})
    context = _detail(request, session, user, name, first, last)
    return render(request, "playbook.html", {**context, "dry": dry})


def _detail(
    request: Request,
    session: DB,
    user: PageUser,
    name: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict:
    detail = playbook_detail(workspace(request), session, name, user)
    start, end = dry_run_window(start, end, current_day(session))
    return {"user": user, "detail": detail, "start": start, "end": end, "dry": None}


@router.get("/outbox")
def outbox_page(
    request: Request,
    session: DB,
    user: PageUser,
    status: Choice = "",
    channel: Choice = "",
) -> Response:
    rows = outbox_messages(
        session, status=status or None, channel=channel or None, viewer=user
    )
    context = {
        "user": user,
        "rows": rows,
        "counts": outbox_counts(session, user),
        "status": status,
        "channel": channel,
        "statuses": OUTBOX_STATUSES,
        "channels": CHANNELS,
        "may_retry": user.role in CHANGE_ANY,
    }
    return render(request, "outbox.html", context)


@router.get("/outbox/{message_id}")
def message_page(
    request: Request, session: DB, user: PageUser, message_id: PathId
) -> Response:
    message = outbox_message(session, message_id, user)
    context = {"user": user, "m": message, "may_retry": user.role in CHANGE_ANY}
    return render(request, "outbox_message.html", context)


@router.post("/outbox/{message_id}/retry")
def post_retry(
    request: Request, session: DB, user: PageUser, message_id: PathId
) -> Response:
    message = retry_message(session, message_id, user.email, viewer=user)
    session.flush()
    if is_htmx(request):
        context = {"user": user, "m": message, "may_retry": True}
        return render(request, "_outbox_row.html", context)
    return RedirectResponse(f"/outbox/{message_id}", status_code=303)


def _day(text: str, field: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputInvalid(
            f"{field}: {text!r} is not a date; write it as YYYY-MM-DD", field=field
        ) from None
