"""The capacity page: load per CSM, proposed moves, effort against plan, logging."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from steward.accounts.coverage import load_coverage_rules
from steward.accounts.inbox import today
from steward.accounts.renewals import current_day
from steward.accounts.workload import (
    apply_assignment,
    capacity_view,
    check_may_assign,
    log_effort,
)
from steward.errors import InputInvalid
from steward.reports.service import effort_table
from steward.reports.tables import shown
from steward.web.deps import DB, PageUser, workspace
from steward.web.rendering import render
from steward.web.report_charts import effort_chart, load_chart

router = APIRouter()
EFFORT_DAYS = 90


@router.get("/capacity")
def capacity_page(request: Request, session: DB, user: PageUser) -> Response:
    rules = load_coverage_rules(workspace(request).coverage_path())
    day = current_day(session)
    view = capacity_view(session, rules, day, viewer=user)
    start = day - dt.timedelta(days=EFFORT_DAYS - 1)
    effort = effort_table(session, rules, start, day, by="tier", viewer=user)
    context = {
        "user": user,
        "view": view,
        "models": rules.coverage,
        "capacity_per": rules.capacity_per,
        "load_chart": load_chart(view),
        "effort": effort,
        "effort_chart": effort_chart(effort),
        "shown": shown,
        "today": day,
        # A form sent twice (a double click, a resend) logs its hours once.
        "entry_id": uuid.uuid4().hex,
    }
    return render(request, "capacity.html", context)


@router.post("/capacity/assign")
def post_assign(request: Request, session: DB, user: PageUser) -> Response:
    check_may_assign(user)
    rules = load_coverage_rules(workspace(request).coverage_path())
    apply_assignment(session, rules, current_day(session), user.email)
    return RedirectResponse("/capacity", status_code=303)


@router.post("/capacity/effort")
def post_effort(
    request: Request,
    session: DB,
    user: PageUser,
    account: Annotated[str, Form(max_length=200)],
    hours: Annotated[str, Form(max_length=10)],
    worked_on: Annotated[str, Form(max_length=10)] = "",
    activity: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=5000)] = "",
    entry: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    day = today()
    log_effort(
        session,
        user,
        account.strip(),
        _hours(hours),
        _day(worked_on) or day,
        today=day,
        activity=activity,
        note=note,
        source="web",
        entry_id=entry.strip() or None,
    )
    return RedirectResponse("/capacity", status_code=303)


def _hours(text: str) -> float:
    try:
        return float(text.replace(",", ".").strip())
    except ValueError:
        raise InputInvalid(
            f"{text!r} is not a number of hours; write it as 1.5", field="hours"
        ) from None


def _day(text: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputInvalid(
            f"{text!r} is not a date; write it as YYYY-MM-DD", field="worked_on"
        ) from None
