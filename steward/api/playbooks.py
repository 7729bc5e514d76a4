"""``/api/v1/playbooks`` and ``/api/v1/outbox``: automation and its delivery."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from steward.accounts.inbox import today
from steward.accounts.renewals import current_day
from steward.api.playbook_schemas import (
    DryRunOut,
    EmailEventIn,
    EmailEventOut,
    MessageDetailOut,
    MessageOut,
    OutboxOut,
    PlaybookDetailOut,
    PlaybookOut,
    RunOut,
)
from steward.api.schemas import PathId
from steward.notify.responses import record_email_event
from steward.notify.views import (
    check_may_record,
    outbox_counts,
    outbox_message,
    outbox_messages,
    retry_message,
)
from steward.playbooks.service import PlaybookSummary
from steward.playbooks.views import (
    catalogue,
    dry_run_window,
    playbook_detail,
    replay_playbook,
    runs_of,
)
from steward.store.automation import OutboxMessage
from steward.web.deps import DB, ApiUser, workspace

router = APIRouter(tags=["playbooks"])
Name = Annotated[str, Path(max_length=80)]
Limit = Annotated[int, Query(ge=1, le=1000)]
Text = Annotated[str | None, Query(max_length=320)]


@router.get("/playbooks", response_model=list[PlaybookOut])
def get_playbooks(request: Request, session: DB, user: ApiUser) -> list[PlaybookOut]:
    """Every playbook file, built-in or the team's, with what `check` says."""
    return [playbook_out(s) for s in catalogue(workspace(request), session)]


@router.get("/playbooks/{name}", response_model=PlaybookDetailOut)
def get_playbook(
    request: Request, session: DB, user: ApiUser, name: Name, runs: Limit = 50
) -> PlaybookDetailOut:
    """One playbook: its file, its actions in words and its recent runs."""
    detail = playbook_detail(workspace(request), session, name, user, runs)
    return PlaybookDetailOut(
        **playbook_out(detail.summary).model_dump(),
        source=detail.source,
        conditions=detail.conditions,
        steps=detail.steps,
        recent_runs=[RunOut(**asdict(run)) for run in detail.runs],
    )


@router.get("/playbooks/{name}/dry-run", response_model=DryRunOut)
def get_dry_run(
    request: Request,
    session: DB,
    user: ApiUser,
    name: Name,
    start: Annotated[dt.date | None, Query(alias="from")] = None,
    end: Annotated[dt.date | None, Query(alias="to")] = None,
    detail: bool = False,
) -> DryRunOut:
    """What the playbook would have fired each week over the stored history,
    and the CSM hours; nothing is written. Default: the last 13 weeks."""
    first, last = dry_run_window(start, end, current_day(session))
    view = replay_playbook(workspace(request), session, name, first, last, user)
    return DryRunOut(
        playbook=view.playbook,
        start=view.start,
        end=view.end,
        weeks=view.weeks,
        totals=view.totals,
        notes=view.notes,
        firings=[asdict(f) for f in view.firings] if detail else [],
        hidden_firings=view.hidden_firings,
    )


@router.get("/playbook-runs", response_model=list[RunOut])
def get_runs(
    session: DB,
    user: ApiUser,
    playbook: Text = None,
    account: Text = None,
    limit: Limit = 100,
) -> list[RunOut]:
    """Logged runs, newest first: inputs and what each action did."""
    rows = runs_of(session, user, playbook=playbook, account=account, limit=limit)
    return [RunOut(**asdict(run)) for run in rows]


@router.get("/outbox", response_model=OutboxOut)
def get_outbox(
    session: DB,
    user: ApiUser,
    status: Text = None,
    channel: Text = None,
    account: Text = None,
    limit: Limit = 100,
) -> OutboxOut:
    """Emails, Slack messages and webhooks, newest first, with counts."""
    rows = outbox_messages(
        session,
        status=status,
        channel=channel,
        account_external_id=account,
        limit=limit,
        viewer=user,
    )
    return OutboxOut(
        counts=outbox_counts(session, user), messages=[message_out(m) for m in rows]
    )


@router.get("/outbox/{message_id}", response_model=MessageDetailOut)
def get_message(session: DB, user: ApiUser, message_id: PathId) -> MessageDetailOut:
    message = outbox_message(session, message_id, user)
    return MessageDetailOut(
        **message_out(message).model_dump(),
        idempotency_key=message.idempotency_key,
        payload=dict(message.payload or {}),
    )


@router.post("/outbox/{message_id}/retry", response_model=MessageOut)
def post_retry(session: DB, user: ApiUser, message_id: PathId) -> MessageOut:
    """Queue a failed or cancelled message again (managers and admins)."""
    message = retry_message(session, message_id, user.email, viewer=user)
    session.flush()
    return message_out(message)


@router.post("/email-events", response_model=EmailEventOut, status_code=201)
def post_email_event(session: DB, user: ApiUser, body: EmailEventIn) -> EmailEventOut:
    """Record a reply (sequences that wrote to the address stop) or an
    unsubscribe (nothing more is sent to it); recording it again changes nothing."""
    check_may_record(user)
    on = body.on or today()
    new = record_email_event(session, body.address, body.kind, on, user.email)
    return EmailEventOut(
        address=body.address.strip().casefold(), kind=body.kind, on=on, recorded=new
    )


def playbook_out(summary: PlaybookSummary) -> PlaybookOut:
    return PlaybookOut(
        name=summary.name,
        file=summary.file.name,
        origin=summary.origin,
        description=summary.description,
        enabled=summary.enabled,
        valid=summary.problem is None,
        problem=summary.problem,
        trigger=summary.trigger,
        actions=list(summary.actions),
        runs=summary.runs,
        last_fired=summary.last_fired,
    )


def message_out(message: OutboxMessage) -> MessageOut:
    return MessageOut(
        id=message.id,
        channel=message.channel,
        target=message.target,
        subject=message.subject,
        status=message.status,
        attempts=message.attempts,
        last_error=message.last_error,
        account=message.account.external_id if message.account else None,
        playbook_run_id=message.playbook_run_id,
        created_at=message.created_at,
        next_attempt_at=message.next_attempt_at,
        sent_at=message.sent_at,
    )
