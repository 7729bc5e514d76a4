"""``/api/v1/renewals``: contracts coming up for renewal, the forecast, outcomes."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Request

from steward.accounts.inbox import today
from steward.accounts.outcomes import log_outcome
from steward.accounts.renewals import (
    current_day,
    forecast,
    load_renewal_models,
    load_renewal_settings,
    risk_basis,
    upcoming_renewals,
)
from steward.api.revenue_schemas import (
    OutcomeIn,
    OutcomeOut,
    RenewalOut,
    RenewalsOut,
    WindowOut,
)
from steward.web.deps import DB, ApiUser, workspace

router = APIRouter(tags=["renewals"])


@router.get("/renewals", response_model=RenewalsOut)
def get_renewals(
    request: Request,
    session: DB,
    user: ApiUser,
    within_days: Annotated[int, Query(ge=0, le=3650)] = 90,
    csm: Annotated[str | None, Query(max_length=320)] = None,
) -> RenewalsOut:
    """Contracts whose term ends within the window, with health, expansion
    readiness and ARR, and the ARR expected to renew per window."""
    place = workspace(request)
    settings = load_renewal_settings(place.renewals_path())
    models = load_renewal_models(place.scorecard_path().parent)
    day = current_day(session)
    rows = upcoming_renewals(
        session,
        settings,
        day,
        within_days,
        viewer=user,
        csm=csm,
        models=models,
    )
    windows = [d for d in settings.windows if d <= within_days] or [within_days]
    return RenewalsOut(
        as_of=day,
        within_days=within_days,
        renewals=[RenewalOut(**asdict(row)) for row in rows],
        forecast=[WindowOut(**asdict(w)) for w in forecast(rows, windows)],
        basis=risk_basis(rows, models),
    )


@router.post("/contracts/{key}/outcome", response_model=OutcomeOut, status_code=201)
def post_outcome(
    request: Request, session: DB, user: ApiUser, key: str, body: OutcomeIn
) -> OutcomeOut:
    """Log a renewal's outcome: renewed, expanded, contracted or churned."""
    settings = load_renewal_settings(workspace(request).renewals_path())
    day = today()
    logged = log_outcome(
        session,
        settings,
        key,
        body.outcome,
        body.closed_on or day,
        today=day,
        new_arr=body.new_arr,
        reason=body.reason,
        next_term=body.next_term,
        actor=user,
    )
    return OutcomeOut(**asdict(logged))
