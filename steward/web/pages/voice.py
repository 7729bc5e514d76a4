"""The voice-of-the-customer page: the monthly report, its CSV, quiet accounts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from steward.accounts.inbox import today
from steward.reports.voice import add_months, load_voice_config, parse_month, report_csv
from steward.reports.voice_service import quarter_start, quiet_accounts, voice_report
from steward.web.deps import DB, PageUser, workspace
from steward.web.rendering import render

router = APIRouter()
Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")]


def _month(value: str | None) -> dt.date:
    return parse_month(value, today())


@router.get("/voice")
def voice_page(
    request: Request, session: DB, user: PageUser, month: Month = None
) -> Response:
    config = load_voice_config(workspace(request).voice_path())
    chosen = _month(month)
    day = today()
    context = {
        "user": user,
        "report": voice_report(session, chosen, config, user),
        "quiet": quiet_accounts(session, day, config, user)[:200],
        "quarter": quarter_start(day),
        "previous": add_months(chosen, -1),
        "next": add_months(chosen, 1),
    }
    return render(request, "voice.html", context)


@router.get("/voice.csv")
def voice_csv(
    request: Request, session: DB, user: PageUser, month: Month = None
) -> Response:
    config = load_voice_config(workspace(request).voice_path())
    report = voice_report(session, _month(month), config, user)
    name = f"voice-of-customer-{report.month:%Y-%m}.csv"
    return StreamingResponse(
        report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
