"""The app factory: one FastAPI app serving pages, static files and the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import steward
from steward.auth.secret import session_secret
from steward.workspace import Workspace

STATIC = Path(__file__).with_name("static")
SESSION_DAYS = 14

# Scripts only from Steward's own static files: a note that smuggles a
# <script> or an inline handler past escaping would still not run.
_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; object-src 'none'; base-uri 'self'; "
        b"form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds the headers above to every HTTP response (a plain ASGI middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(
    workspace: Workspace | None = None, *, daily_run: bool = False
) -> FastAPI:
    """The Steward web app over ``workspace`` (default: from the environment).

    With ``daily_run``, a background thread runs the daily job once a day for
    as long as the app is up (``steward serve`` turns it on).
    """
    from steward.api.idempotency import IdempotencyKeys
    from steward.api.routes import router as api_router
    from steward.api.tracking import router as tracking_router
    from steward.auth.writekeys import WriteKeyCheck
    from steward.ingest.tracking import Tracker
    from steward.web.errors import install_error_handlers
    from steward.web.pages import router as pages_router
    from steward.web.pages.unsubscribe import one_click_router
    from steward.web.rendering import make_templates

    workspace = workspace or Workspace()
    workspace.store.upgrade()
    app = FastAPI(
        title="Steward",
        version=steward.__version__,
        description="Customer success on your own data. Authenticate with "
        "'Authorization: Bearer TOKEN' (an admin issues tokens).",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan(workspace, daily_run),
    )
    app.state.workspace = workspace
    app.state.templates = make_templates()
    app.state.portfolio_cache = {}
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(workspace.settings),
        session_cookie="steward_session",
        max_age=SESSION_DAYS * 24 * 3600,
        same_site="lax",
        https_only=workspace.settings.secure_cookies,
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(IdempotencyKeys)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_error_handlers(app)
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(tracking_router)
    app.include_router(pages_router)
    # Outside the pages' CSRF check: mail clients post it with no session.
    app.include_router(one_click_router)
    app.state.tracker = Tracker(
        workspace.events, workspace.settings.tracking_flush_seconds
    )
    app.state.write_keys = WriteKeyCheck(workspace.store)
    return app


def _lifespan(workspace: Workspace, daily_run: bool):  # noqa: ANN202 - a factory
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from steward.jobs.schedule import DailyScheduler

        # The tracking intake compacts what an earlier process left, then
        # flushes its segments in the background until the app stops.
        app.state.tracker.start()
        scheduler = DailyScheduler(workspace) if daily_run else None
        if scheduler is not None:
            scheduler.start()
            app.state.scheduler = scheduler
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()
            app.state.tracker.stop()

    return lifespan
