"""``/api/v1/voice``: the voice-of-the-customer report, quiet accounts, sending."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from steward.accounts.inbox import today
from steward.api.inputs import In
from steward.auth.permissions import CHANGE_ANY
from steward.errors import PermissionDenied
from steward.reports.voice import (
    load_voice_config,
    parse_month,
    report_csv,
    report_payload,
)
from steward.reports.voice_service import quiet_accounts, send_report, voice_report
from steward.web.deps import DB, ApiUser

router = APIRouter(tags=["voice of the customer"])
Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", examples=["2026-06"])]


class QuietOut(BaseModel):
    key: str
    name: str
    csm: str | None
    arr: float | None
    last_voice_on: dt.date | None


class SendIn(In):
    month: str | None = Field(None, pattern=r"^\d{4}-\d{2}$", examples=["2026-06"])
    webhook: str | None = Field(None, max_length=100, pattern=r"^[\w.-]+$")


class SendOut(BaseModel):
    queued: bool
    key: str


def _month(value: str | None) -> dt.date:
    return parse_month(value, today())


def _config(request: Request):  # noqa: ANN202 - a VoiceConfig
    return load_voice_config(request.app.state.workspace.voice_path())


@router.get("/voice/report")
def get_report(
    request: Request, session: DB, user: ApiUser, month: Month = None
) -> dict[str, Any]:
    """The month's report by category: notes, accounts, ARR, trend, quotes."""
    report = voice_report(session, _month(month), _config(request), user)
    return report_payload(report)


@router.get(
    "/voice/report.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def get_report_csv(
    request: Request, session: DB, user: ApiUser, month: Month = None
) -> StreamingResponse:
    report = voice_report(session, _month(month), _config(request), user)
    return StreamingResponse(report_csv(report), media_type="text/csv; charset=utf-8")


@router.get("/voice/quiet", response_model=list[QuietOut])
def get_quiet(request: Request, session: DB, user: ApiUser) -> list[QuietOut]:
    """Accounts with no customer-voice note this quarter, largest ARR first."""
    rows = quiet_accounts(session, today(), _config(request), user)
    return [QuietOut.model_validate(row, from_attributes=True) for row in rows]


@router.post("/voice/send", response_model=SendOut)
def post_send(request: Request, session: DB, user: ApiUser, body: SendIn) -> SendOut:
    """Queue the month's report for the product team's webhook (once per month)."""
    if user.role not in CHANGE_ANY:
        raise PermissionDenied(
            f"{user.email} ({user.role}) may not send reports; a manager or an "
            "admin may"
        )
    config = _config(request)
    report = voice_report(session, _month(body.month), config)
    endpoint = body.webhook or config.webhook
    queued = send_report(session, report, endpoint, user.email)
    return SendOut(queued=queued, key=f"voice:{report.month:%Y-%m}:{endpoint}")
