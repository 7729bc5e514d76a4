"""The accounts list, the account 360 and the changes made on it."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from steward.accounts.inbox import today
from steward.accounts.listing import filter_choices, latest_score_day, list_accounts
from steward.accounts.notes import NOTE_KINDS, VOC_CATEGORIES, add_note
from steward.accounts.stages import add_tag, change_stage, remove_tag
from steward.accounts.timeline import timeline
from steward.accounts.usage import account_usage
from steward.accounts.views import account_detail
from steward.reports.accounts_csv import account_lines
from steward.store.models import LIFECYCLE_STAGES
from steward.web.charts import health_chart, usage_chart
from steward.web.deps import DB, PageUser, workspace
from steward.web.rendering import answer, is_htmx, render

router = APIRouter()
PAGE = 50
EXPORT_LIMIT = 100_000


class AccountFilters(BaseModel):
    """The accounts list's query string; blank fields mean no filter."""

    band: str | None = None
    tier: str | None = None
    coverage: str | None = None
    csm: str | None = None
    stage: str | None = None
    renewal: int | None = Field(None, ge=0, le=3650)
    q: str | None = Field(None, max_length=200)
    sort: Literal["score", "name", "renewal", "arr"] = "score"
    desc: bool = False
    offset: int = Field(0, ge=0)

    def link(self, **changes: object) -> str:
        """This list's address with some filters changed (for sorting, paging)."""
        values = {**self.model_dump(), **changes}
        kept = {k: v for k, v in values.items() if v not in (None, "", False, 0)}
        return "/accounts?" + urlencode(kept)

    def query(self, limit: int) -> dict:
        return dict(
            band=self.band or None,
            tier=self.tier or None,
            coverage=self.coverage or None,
            csm=self.csm or None,
            stage=self.stage or None,
            renewal_within_days=self.renewal,
            search=self.q or None,
            sort=self.sort,
            descending=self.desc,
            limit=limit,
            offset=self.offset,
        )


def _filters(
    band: str | None = None,
    tier: str | None = None,
    coverage: str | None = None,
    csm: str | None = None,
    stage: str | None = None,
    renewal: Annotated[str | None, Query(max_length=5)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Literal["score", "name", "renewal", "arr"] = "score",
    desc: bool = False,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AccountFilters:
    # An empty <select> sends "renewal=": no filter rather than an error.
    return AccountFilters(
        band=band,
        tier=tier,
        coverage=coverage,
        csm=csm,
        stage=stage,
        renewal=int(renewal) if renewal and renewal.isdigit() else None,
        q=q,
        sort=sort,
        desc=desc,
        offset=offset,
    )


Filters = Annotated[AccountFilters, Depends(_filters)]


@router.get("/accounts")
def accounts_page(
    request: Request, session: DB, user: PageUser, filters: Filters
) -> Response:
    rows = list_accounts(session, viewer=user, **filters.query(PAGE + 1))
    context = {
        "user": user,
        "rows": rows[:PAGE],
        "more": len(rows) > PAGE,
        "f": filters,
        "page": PAGE,
    }
    if is_htmx(request) and request.headers.get("hx-target") == "rows":
        return render(request, "_account_rows.html", context)
    context["choices"] = filter_choices(session)
    return render(request, "accounts.html", context)


@router.get("/accounts.csv")
def accounts_csv(session: DB, user: PageUser, filters: Filters) -> Response:
    rows = list_accounts(session, viewer=user, **filters.query(EXPORT_LIMIT))
    return StreamingResponse(
        account_lines(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="accounts.csv"'},
    )


@router.get("/accounts/{key}")
def account_page(request: Request, session: DB, user: PageUser, key: str) -> Response:
    detail = account_detail(session, key, viewer=user)
    context = {
        "user": user,
        "d": detail,
        "health": health_chart(detail),
        "items": timeline(session, detail.account.id),
        "stages": LIFECYCLE_STAGES,
        "note_kinds": NOTE_KINDS,
        "voc": VOC_CATEGORIES,
    }
    return render(request, "account.html", context)


@router.get("/accounts/{key}/usage")
def usage_fragment(request: Request, session: DB, user: PageUser, key: str) -> Response:
    until = latest_score_day(session) or today()
    days = account_usage(session, workspace(request).events, user, key, until)
    return render(request, "_usage.html", {"days": days, "usage": usage_chart(days)})


@router.post("/accounts/{key}/notes")
def post_note(
    request: Request,
    session: DB,
    user: PageUser,
    key: str,
    body: Annotated[str, Form(max_length=20_000)],
    kind: Annotated[str, Form()] = "note",
    categories: Annotated[list[str] | None, Form()] = None,
    other: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    chosen = [*(categories or []), *other.split(",")]
    note = add_note(session, user, key, body=body, kind=kind, categories=chosen)
    items = timeline(session, note.account_id)
    return answer(request, "_timeline.html", {"items": items}, f"/accounts/{key}")


@router.post("/accounts/{key}/stage")
def post_stage(
    request: Request,
    session: DB,
    user: PageUser,
    key: str,
    stage: Annotated[str, Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    change_stage(session, user, key, stage, reason)
    return _changed(request, session, user, key)


@router.post("/accounts/{key}/tags")
def post_tag(
    request: Request,
    session: DB,
    user: PageUser,
    key: str,
    tag: Annotated[str, Form(max_length=100)],
) -> Response:
    add_tag(session, user, key, tag)
    return _changed(request, session, user, key)


@router.post("/accounts/{key}/tags/remove")
def post_untag(
    request: Request,
    session: DB,
    user: PageUser,
    key: str,
    tag: Annotated[str, Form(max_length=100)],
) -> Response:
    remove_tag(session, user, key, tag)
    return _changed(request, session, user, key)


def _changed(request: Request, session: DB, user: PageUser, key: str) -> Response:
    """The stage-and-tags panel, and the timeline out of band, after a change."""
    session.flush()
    detail = account_detail(session, key, viewer=user)
    context = {
        "user": user,
        "d": detail,
        "stages": LIFECYCLE_STAGES,
        "items": timeline(session, detail.account.id),
    }
    return answer(request, "_facts_changed.html", context, f"/accounts/{key}")
