"""The renewals page: what ends soon, the forecast, and outcomes logged in place."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

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
from steward.errors import InputInvalid
from steward.store.models import OUTCOMES
from steward.web.deps import DB, PageUser, workspace
from steward.web.rendering import answer, render
from steward.web.report_charts import forecast_chart

router = APIRouter()
Within = Annotated[int, Query(ge=0, le=3650)]


def _context(request: Request, session: DB, user: PageUser, within: int) -> dict:
    place = workspace(request)
    settings = load_renewal_settings(place.renewals_path())
    models = load_renewal_models(place.scorecard_path().parent)
    day = current_day(session)
    rows = upcoming_renewals(session, settings, day, within, viewer=user, models=models)
    windows = [d for d in settings.windows if d <= within] or [within]
    outlook = forecast(rows, windows)
    return {
        "user": user,
        "rows": rows,
        "within": within,
        "windows": settings.windows,
        "forecast": outlook,
        "basis": risk_basis(rows, models),
        "chart": forecast_chart(outlook),
        "outcomes": OUTCOMES,
        "reasons": settings.reason_tags,
        "growth": settings.growth_tags,
        "today": day,
    }


@router.get("/renewals")
def renewals_page(
    request: Request, session: DB, user: PageUser, within: Within = 90
) -> Response:
    return render(request, "renewals.html", _context(request, session, user, within))


@router.post("/renewals/{contract}/outcome")
def post_outcome(
    request: Request,
    session: DB,
    user: PageUser,
    contract: str,
    outcome: Annotated[str, Form()],
    closed_on: Annotated[str, Form()] = "",
    new_arr: Annotated[str, Form()] = "",
    reason: Annotated[str, Form(max_length=100)] = "",
    within: Annotated[int, Form(ge=0, le=3650)] = 90,
) -> Response:
    settings = load_renewal_settings(workspace(request).renewals_path())
    day = today()
    log_outcome(
        session,
        settings,
        contract,
        outcome,
        _day(closed_on) or day,
        today=day,
        new_arr=_amount(new_arr),
        reason=reason or None,
        actor=user,
    )
    session.flush()
    context = _context(request, session, user, within)
    # The whole view comes back: the forecast changes with the outcome too.
    return answer(request, "_renewals_view.html", context, f"/renewals?within={within}")


def _day(text: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputInvalid(
            f"{text!r} is not a date; write it as YYYY-MM-DD", field="closed_on"
        ) from None


def _amount(text: str) -> float | None:
    cleaned = text.replace(",", "").strip()
    if not cleaned:
        return None
    try:
        return float(cleaned)
    except ValueError:
        raise InputInvalid(
            f"{text!r} is not an amount; write it as 60000", field="new_arr"
        ) from None
