"""``/api/v1/reports``: retention, cohorts, time to value, NPS, effort; benchmarks."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from steward.accounts.coverage import load_coverage_rules
from steward.accounts.renewals import current_day
from steward.api.revenue_schemas import BenchmarkOut, ReportOut
from steward.reports.benchmark import account_benchmark
from steward.reports.service import (
    cohort_report,
    effort_table,
    nps_report,
    retention_report,
    ttv_report,
)
from steward.reports.tables import ReportTable
from steward.web.deps import DB, ApiUser, workspace

router = APIRouter(tags=["reports"])
Name = Literal["retention", "cohorts", "ttv", "nps", "effort"]
By = Literal["segment", "tier", "coverage", "csm", "industry"]
Basis = Literal["auto", "contracts", "activity"]
From = Annotated[dt.date | None, Query(alias="from")]


def build_report(
    request: Request,
    session: DB,
    user: ApiUser,
    name: str,
    start: dt.date | None,
    end: dt.date | None,
    by: str | None,
    basis: str = "auto",
) -> ReportTable:
    """One report for the caller's book; the default period is the last year."""
    from dateutil.relativedelta import relativedelta

    day = current_day(session)
    end = end or day
    start = start or end - relativedelta(years=1) + dt.timedelta(days=1)
    if name == "retention":
        # New customers' 90th days are judged on data up to the latest run.
        return retention_report(session, start, end, by=by, today=day, viewer=user)
    if name == "cohorts":
        return cohort_report(
            session, workspace(request), start, end, by=by, basis=basis, viewer=user
        )
    if name == "ttv":
        return ttv_report(session, start, end, by=by, viewer=user)
    if name == "nps":
        return nps_report(session, start, end, by=by, viewer=user)
    rules = load_coverage_rules(workspace(request).coverage_path())
    return effort_table(session, rules, start, end, by=by or "tier", viewer=user)


@router.get("/reports/{name}", response_model=ReportOut, response_model_by_alias=True)
def get_report(
    request: Request,
    session: DB,
    user: ApiUser,
    name: Name,
    start: From = None,
    to: dt.date | None = None,
    by: By | None = None,
    basis: Basis = "auto",
) -> ReportOut:
    """A report for any period (``from``, ``to``), grouped ``by`` if asked.

    Effort groups by tier, coverage or csm only.
    """
    table = build_report(request, session, user, name, start, to, by, basis)
    return ReportOut.model_validate(table.as_json())


@router.get(
    "/reports/{name}/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_report(
    request: Request,
    session: DB,
    user: ApiUser,
    name: Name,
    start: From = None,
    to: dt.date | None = None,
    by: By | None = None,
    basis: Basis = "auto",
) -> StreamingResponse:
    """The same report as CSV; cells that would run as formulas are quoted."""
    table = build_report(request, session, user, name, start, to, by, basis)
    return StreamingResponse(table.csv_lines(), media_type="text/csv; charset=utf-8")


@router.get("/accounts/{key}/benchmark", response_model=BenchmarkOut)
def get_benchmark(
    request: Request, session: DB, user: ApiUser, key: str
) -> BenchmarkOut:
    """The account's metrics as percentiles among peers (industry, size band)."""
    rules = load_coverage_rules(workspace(request).coverage_path())
    return BenchmarkOut(**asdict(account_benchmark(session, rules, key, user)))
