"""The portfolio dashboard."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from steward.accounts.inbox import today
from steward.accounts.portfolio import portfolio
from steward.web.charts import portfolio_charts
from steward.web.deps import DB, PageUser
from steward.web.rendering import render

router = APIRouter()


@router.get("/")
def dashboard(request: Request, session: DB, user: PageUser) -> Response:
    figures = portfolio(session, user, today(), request.app.state.portfolio_cache)
    context = {"user": user, "p": figures, "charts": portfolio_charts(figures)}
    return render(request, "dashboard.html", context)
