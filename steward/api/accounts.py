"""``/api/v1/accounts``: the list, the 360, notes, stage and tags."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from steward.accounts.inbox import today
from steward.accounts.listing import latest_score_day, list_accounts
from steward.accounts.notes import add_note
from steward.accounts.portfolio import portfolio
from steward.accounts.stages import add_tag, change_stage, remove_tag
from steward.accounts.timeline import timeline
from steward.accounts.usage import account_usage
from steward.accounts.views import account_detail, find_account
from steward.api.convert import detail_out, portfolio_out
from steward.api.schemas import (
    AccountDetailOut,
    AccountOut,
    AccountPage,
    NoteIn,
    NoteOut,
    PortfolioOut,
    StageIn,
    TagIn,
    TagsOut,
    TimelineItemOut,
    UsageDayOut,
)
from steward.reports.accounts_csv import account_lines
from steward.web.deps import DB, ApiUser

router = APIRouter(tags=["accounts"])
Sort = Literal["score", "name", "renewal", "arr"]


def _query(
    band: str | None,
    tier: str | None,
    coverage: str | None,
    csm: str | None,
    stage: str | None,
    renewal_within_days: int | None,
    q: str | None,
    sort: Sort,
    desc: bool,
) -> dict:
    return dict(
        band=band,
        tier=tier,
        coverage=coverage,
        csm=csm,
        stage=stage,
        renewal_within_days=renewal_within_days,
        search=q,
        sort=sort,
        descending=desc,
    )


Renewal = Annotated[int | None, Query(ge=0, le=3650)]
Search = Annotated[str | None, Query(max_length=200)]


@router.get("/accounts", response_model=AccountPage)
def get_accounts(
    session: DB,
    user: ApiUser,
    band: str | None = None,
    tier: str | None = None,
    coverage: str | None = None,
    csm: str | None = None,
    stage: str | None = None,
    renewal_within_days: Renewal = None,
    q: Search = None,
    sort: Sort = "score",
    desc: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AccountPage:
    """Accounts with their latest score, riskiest first by default; filters AND."""
    filters = _query(
        band, tier, coverage, csm, stage, renewal_within_days, q, sort, desc
    )
    rows = list_accounts(
        session, viewer=user, limit=limit + 1, offset=offset, **filters
    )
    return AccountPage(
        items=[AccountOut(**asdict(row)) for row in rows[:limit]],
        next_offset=offset + limit if len(rows) > limit else None,
    )


@router.get(
    "/accounts/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_accounts(
    session: DB,
    user: ApiUser,
    band: str | None = None,
    tier: str | None = None,
    coverage: str | None = None,
    csm: str | None = None,
    stage: str | None = None,
    renewal_within_days: Renewal = None,
    q: Search = None,
    sort: Sort = "score",
    desc: bool = False,
) -> StreamingResponse:
    """The filtered list as CSV; cells that would run as formulas are quoted."""
    filters = _query(
        band, tier, coverage, csm, stage, renewal_within_days, q, sort, desc
    )
    rows = list_accounts(session, viewer=user, limit=100_000, **filters)
    return StreamingResponse(account_lines(rows), media_type="text/csv; charset=utf-8")


@router.get("/portfolio", response_model=PortfolioOut)
def get_portfolio(request: Request, session: DB, user: ApiUser) -> PortfolioOut:
    """The dashboard's figures for the accounts the caller may see."""
    cache = request.app.state.portfolio_cache
    return portfolio_out(portfolio(session, user, today(), cache))


@router.get("/accounts/{key}", response_model=AccountDetailOut)
def get_account(session: DB, user: ApiUser, key: str) -> AccountDetailOut:
    """The account 360: score, why, milestones, tasks, people, contracts, signals."""
    return detail_out(account_detail(session, key, viewer=user))


@router.get("/accounts/{key}/timeline", response_model=list[TimelineItemOut])
def get_timeline(
    session: DB,
    user: ApiUser,
    key: str,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[TimelineItemOut]:
    account = find_account(session, key, viewer=user)
    return [
        TimelineItemOut.model_validate(i) for i in timeline(session, account.id, limit)
    ]


@router.get("/accounts/{key}/usage", response_model=list[UsageDayOut])
def get_usage(
    request: Request,
    session: DB,
    user: ApiUser,
    key: str,
    days: Annotated[int, Query(ge=1, le=400)] = 90,
) -> list[UsageDayOut]:
    """Events and active users per UTC day, up to the latest scored day."""
    until = latest_score_day(session) or today()
    events = request.app.state.workspace.events
    usage = account_usage(session, events, user, key, until, days)
    return [UsageDayOut.model_validate(day) for day in usage]


@router.post("/accounts/{key}/notes", response_model=NoteOut, status_code=201)
def post_note(session: DB, user: ApiUser, key: str, note: NoteIn) -> NoteOut:
    """Add a note (or call, email, meeting) with voice-of-customer categories."""
    created = add_note(
        session, user, key, body=note.body, kind=note.kind, categories=note.categories
    )
    return NoteOut.model_validate(created)


@router.put("/accounts/{key}/stage", response_model=TagsOut)
def put_stage(session: DB, user: ApiUser, key: str, change: StageIn) -> TagsOut:
    """Move the account along the lifecycle; the move is kept in its history."""
    change_stage(session, user, key, change.stage, change.reason)
    return _tags(session, user, key)


@router.post("/accounts/{key}/tags", response_model=TagsOut)
def post_tag(session: DB, user: ApiUser, key: str, tag: TagIn) -> TagsOut:
    add_tag(session, user, key, tag.tag)
    return _tags(session, user, key)


@router.delete("/accounts/{key}/tags/{tag:path}", response_model=TagsOut)
def delete_tag(session: DB, user: ApiUser, key: str, tag: str) -> TagsOut:
    remove_tag(session, user, key, tag)
    return _tags(session, user, key)


def _tags(session: DB, user: ApiUser, key: str) -> TagsOut:
    session.flush()
    detail = account_detail(session, key, viewer=user)
    return TagsOut(stage=detail.account.lifecycle_stage, tags=detail.tags)
