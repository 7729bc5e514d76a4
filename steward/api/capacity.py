"""``/api/v1/capacity`` and effort logs: load per CSM, assignment, hours spent."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request

from steward.accounts.coverage import load_coverage_rules
from steward.accounts.inbox import today
from steward.accounts.renewals import current_day
from steward.accounts.workload import (
    CapacityView,
    apply_assignment,
    capacity_view,
    check_may_assign,
    log_effort,
)
from steward.api.revenue_schemas import CapacityOut, EffortIn, EffortOut
from steward.web.deps import DB, ApiUser, workspace

router = APIRouter(tags=["capacity"])


@router.get("/capacity", response_model=CapacityOut)
def get_capacity(request: Request, session: DB, user: ApiUser) -> CapacityOut:
    """Load per CSM against capacity (hours a month), the moves the assignment
    rule proposes, and the accounts no CSM can take. A CSM sees their own."""
    rules = load_coverage_rules(workspace(request).coverage_path())
    return _out(capacity_view(session, rules, current_day(session), viewer=user))


@router.post("/capacity/assign", response_model=CapacityOut)
def post_assign(request: Request, session: DB, user: ApiUser) -> CapacityOut:
    """Apply the proposed moves (managers and admins); each is audited."""
    check_may_assign(user)
    rules = load_coverage_rules(workspace(request).coverage_path())
    return _out(apply_assignment(session, rules, current_day(session), user.email))


@router.post("/accounts/{key}/effort", response_model=EffortOut, status_code=201)
def post_effort(session: DB, user: ApiUser, key: str, body: EffortIn) -> EffortOut:
    """Log hours spent on the account (by the caller when they are a CSM)."""
    day = today()
    effort = log_effort(
        session,
        user,
        key,
        body.hours,
        body.worked_on or day,
        today=day,
        csm_email=body.csm_email,
        activity=body.activity,
        note=body.note,
        source="api",
        entry_id=body.id,
    )
    return EffortOut(
        id=effort.id,
        account=key,
        csm=effort.user.email if effort.user else None,
        worked_on=effort.worked_on,
        hours=effort.hours,
        activity=effort.activity,
        note=effort.note,
        source=effort.source,
    )


def _out(view: CapacityView) -> CapacityOut:
    loads = [{**asdict(load), "over": load.over} for load in view.loads]
    return CapacityOut.model_validate({**asdict(view), "loads": loads})
