"""The reports page: retention, cohorts, time to value, NPS and effort, as charts
and tables for any period, each downloadable as CSV; an account's benchmark."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

from steward.accounts.coverage import load_coverage_rules
from steward.api.reports import build_report
from steward.errors import InputInvalid
from steward.reports.benchmark import account_benchmark
from steward.reports.tables import WIDE, shown
from steward.web import report_charts as charts
from steward.web.deps import DB, PageUser, workspace
from steward.web.rendering import render

router = APIRouter()
SECTIONS = (
    ("retention", charts.retention_chart),
    ("cohorts", charts.cohort_chart),
    ("ttv", charts.ttv_chart),
    ("nps", charts.nps_chart),
    ("effort", charts.effort_chart),
)


class Period(BaseModel):
    start: dt.date | None = None
    end: dt.date | None = None
    by: str | None = None
    basis: str = "auto"

    def query(self) -> str:
        values = {
            "from": self.start,
            "to": self.end,
            "by": self.by,
            "basis": None if self.basis == "auto" else self.basis,
        }
        return urlencode({k: v for k, v in values.items() if v})


def _period(
    start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    to: Annotated[str | None, Query(max_length=10)] = None,
    by: Literal["", "segment", "tier", "coverage", "csm", "industry"] = "",
    basis: Literal["auto", "contracts", "activity"] = "auto",
) -> Period:
    # An empty date field sends "from=": the default period, not an error.
    return Period(
        start=_day(start, "from"), end=_day(to, "to"), by=by or None, basis=basis
    )


def _day(text: str | None, field: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputInvalid(
            f"{field}: {text!r} is not a date; write it as YYYY-MM-DD", field=field
        ) from None


Chosen = Annotated[Period, Depends(_period)]
EFFORT_GROUPS = ("tier", "coverage", "csm")


def _grouping(name: str, by: str | None) -> str | None:
    """Effort groups by tier, coverage or CSM only; other groupings show it by tier."""
    if name == "effort" and by not in EFFORT_GROUPS:
        return None
    return by


@router.get("/accounts/{key}/benchmark")
def benchmark_page(request: Request, session: DB, user: PageUser, key: str) -> Response:
    """The account among its peers (same industry and size band), for the SVR."""
    rules = load_coverage_rules(workspace(request).coverage_path())
    result = account_benchmark(session, rules, key, user)
    context = {
        "user": user,
        "b": result,
        "chart": charts.benchmark_chart(result),
    }
    return render(request, "benchmark.html", context)


@router.get("/reports")
def reports_page(
    request: Request, session: DB, user: PageUser, period: Chosen
) -> Response:
    sections = []
    for name, chart in SECTIONS:
        by = _grouping(name, period.by)
        table = build_report(
            request, session, user, name, period.start, period.end, by, period.basis
        )
        sections.append({"name": name, "table": table, "chart": chart(table)})
    first = sections[0]["table"]
    context = {
        "user": user,
        "sections": sections,
        "p": period,
        "start": first.start,
        "end": first.end,
        "query": period.query(),
        "shown": shown,
        "wide": WIDE,
    }
    return render(request, "reports.html", context)


@router.get("/reports/{name}.csv")
def report_csv(
    request: Request,
    session: DB,
    user: PageUser,
    name: Literal["retention", "cohorts", "ttv", "nps", "effort"],
    period: Chosen,
) -> Response:
    by = _grouping(name, period.by)
    table = build_report(
        request, session, user, name, period.start, period.end, by, period.basis
    )
    return StreamingResponse(
        table.csv_lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
