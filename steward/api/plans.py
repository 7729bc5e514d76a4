"""``/api/v1`` success plans, their customer links, and QBR decks."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from steward.accounts.inbox import today
from steward.accounts.plan_content import Change, PlanContent
from steward.accounts.plan_links import create_link, links_of, revoke_link, uses_of
from steward.accounts.success_plans import (
    change_plan,
    content_of,
    create_plan,
    get_plan,
    kpi_values,
    plan_versions,
    plans_of,
    replace_plan,
)
from steward.api.inputs import In
from steward.api.schemas import PathId
from steward.reports.review import MEDIA_TYPES, make_review
from steward.store.plans import SuccessPlan
from steward.web.deps import DB, ApiUser

router = APIRouter(tags=["success plans"])
# Review days Steward's date arithmetic (a year of trend before) can handle.
EARLIEST, LATEST = dt.date(1971, 1, 1), dt.date(2999, 12, 31)


class KpiValueOut(BaseModel):
    kpi_id: str
    current: float | None
    source: str
    as_of: dt.date | None


class PlanOut(BaseModel):
    id: int
    account: str
    title: str
    status: str
    kickoff_on: dt.date
    version: int
    updated_at: dt.datetime
    content: PlanContent
    current_values: list[KpiValueOut]


class PlanIn(In):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    kickoff_on: dt.date = Field(ge=EARLIEST, le=LATEST)
    content: PlanContent | None = None


class PlanReplace(In):
    """The whole plan; ``version`` is the one you read (a stale one is refused)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    status: Literal["active", "closed"] = "active"
    version: int
    content: PlanContent


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    title: str
    changed_by: str
    changed_at: dt.datetime
    summary: str
    content: dict[str, Any]


class LinkIn(In):
    label: str = Field(min_length=1, max_length=200)
    days: int = Field(30, ge=1, le=90)


class LinkUseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: dt.datetime
    action: str
    outcome: str
    detail: dict[str, Any]


class LinkOut(BaseModel):
    id: int
    label: str
    prefix: str
    created_by: str
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    uses: list[LinkUseOut] = []
    # Only in the answer that creates the link: it is never shown again.
    url: str | None = None


def plan_out(session: DB, plan: SuccessPlan) -> PlanOut:
    values = kpi_values(session, plan, today())
    return PlanOut(
        id=plan.id,
        account=plan.account.external_id,
        title=plan.title,
        status=plan.status,
        kickoff_on=plan.kickoff_on,
        version=plan.version,
        updated_at=plan.updated_at,
        content=content_of(plan),
        current_values=[
            KpiValueOut(kpi_id=key, current=v.current, source=v.source, as_of=v.as_of)
            for key, v in values.items()
        ],
    )


@router.get("/accounts/{key}/plans", response_model=list[PlanOut])
def get_account_plans(session: DB, user: ApiUser, key: str) -> list[PlanOut]:
    return [plan_out(session, plan) for plan in plans_of(session, key, user)]


@router.post("/accounts/{key}/plans", response_model=PlanOut, status_code=201)
def post_plan(session: DB, user: ApiUser, key: str, plan: PlanIn) -> PlanOut:
    """Create a plan (at onboarding kickoff), optionally with its first content."""
    made = create_plan(
        session,
        key,
        title=plan.title,
        kickoff_on=plan.kickoff_on,
        actor=user.email,
        viewer=user,
        content=plan.content,
    )
    return plan_out(session, made)


@router.get("/plans/{plan_id}", response_model=PlanOut)
def get_one(session: DB, user: ApiUser, plan_id: PathId) -> PlanOut:
    """The plan, with each KPI's current value (live where linked to a metric)."""
    return plan_out(session, get_plan(session, plan_id, user))


@router.put("/plans/{plan_id}", response_model=PlanOut)
def put_plan(session: DB, user: ApiUser, plan_id: PathId, body: PlanReplace) -> PlanOut:
    plan = get_plan(session, plan_id, user, change=True)
    replace_plan(
        session,
        plan,
        title=body.title,
        status=body.status,
        content=body.content,
        base_version=body.version,
        actor=user.email,
    )
    return plan_out(session, plan)


@router.post("/plans/{plan_id}/changes", response_model=PlanOut)
def post_change(
    session: DB,
    user: ApiUser,
    plan_id: PathId,
    change: Annotated[Change, Body()],
) -> PlanOut:
    """One change (``op``: add_goal, add_kpi, update_kpi, ...), kept as a version."""
    plan = get_plan(session, plan_id, user, change=True)
    return plan_out(session, change_plan(session, plan, change, user.email))


@router.get("/plans/{plan_id}/versions", response_model=list[VersionOut])
def get_versions(session: DB, user: ApiUser, plan_id: PathId) -> list[VersionOut]:
    plan = get_plan(session, plan_id, user)
    return [VersionOut.model_validate(v) for v in plan_versions(session, plan)]


@router.get("/plans/{plan_id}/links", response_model=list[LinkOut])
def get_links(session: DB, user: ApiUser, plan_id: PathId) -> list[LinkOut]:
    """The plan's customer links, each with its logged uses, newest first."""
    plan = get_plan(session, plan_id, user)
    links = links_of(session, plan)
    uses = uses_of(session, [link.id for link in links], limit=1000)
    return [
        LinkOut(
            **_link_fields(link),
            uses=[LinkUseOut.model_validate(u) for u in uses if u.link_id == link.id],
        )
        for link in links
    ]


@router.post("/plans/{plan_id}/links", response_model=LinkOut, status_code=201)
def post_link(
    request: Request, session: DB, user: ApiUser, plan_id: PathId, link: LinkIn
) -> LinkOut:
    """A customer link to this plan only; its address is in this answer alone."""
    made, secret = create_link(
        session,
        plan_id,
        label=link.label,
        days=link.days,
        actor=user.email,
        viewer=user,
    )
    url = str(request.base_url).rstrip("/") + f"/p/{secret}"
    return LinkOut(**_link_fields(made), url=url)


@router.post("/plans/{plan_id}/links/{link_id}/revoke", response_model=LinkOut)
def post_revoke(
    session: DB, user: ApiUser, plan_id: PathId, link_id: PathId
) -> LinkOut:
    get_plan(session, plan_id, user, change=True)
    return LinkOut(
        **_link_fields(
            revoke_link(
                session, link_id, actor=user.email, viewer=user, plan_id=plan_id
            )
        )
    )


def _link_fields(link: Any) -> dict[str, Any]:
    names = (
        "id",
        "label",
        "prefix",
        "created_by",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    return {name: getattr(link, name) for name in names}


@router.get(
    "/accounts/{key}/qbr",
    response_class=FileResponse,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
def get_qbr(
    request: Request,
    user: ApiUser,
    key: str,
    format: Literal["pptx", "pdf"] = "pptx",
    svr: bool = False,
    as_of: Annotated[dt.date | None, Query(ge=EARLIEST, le=LATEST)] = None,
) -> FileResponse:
    """The QBR deck (or the Strategic Value Review with ``svr``) as a file.

    It does not record a review as held; ``steward qbr --record`` does.
    """
    folder = Path(tempfile.mkdtemp(prefix="steward-qbr-"))
    files = make_review(
        request.app.state.workspace,
        key,
        as_of=as_of or today(),
        out_dir=folder,
        strategic=svr,
        pdf=format == "pdf",
        viewer=user,
        actor=user.email,
    )
    path = files.pdf if format == "pdf" and files.pdf else files.pptx
    media = MEDIA_TYPES[path.suffix.removeprefix(".")]
    return FileResponse(
        path,
        media_type=media,
        filename=path.name,
        background=BackgroundTask(_remove, folder),
    )


def _remove(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
