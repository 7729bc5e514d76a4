"""Settings read from the environment; built on demand, never at import time."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebhookEndpoint(BaseModel):
    """Where a playbook's ``webhook`` action posts, and the key it signs with."""

    url: str
    secret: SecretStr


class Settings(BaseSettings):
    """Where Steward keeps its data.

    ``STEWARD_HOME`` is the data folder (SQLite store, event partitions, fitted
    scorecards); ``STEWARD_DATABASE_URL`` points the operational store at
    PostgreSQL (``postgresql+psycopg://user@host/db``) instead of SQLite.
    """

    model_config = SettingsConfigDict(env_prefix="STEWARD_", extra="ignore")

    home: Path = Field(default=Path("steward-data"))
    database_url: str | None = None
    # Signs web session cookies; when unset, one is generated into the data
    # folder (see steward.auth.secret).
    secret_key: str | None = None

    # Delivery of the outbox (docs/playbooks.md). Slack channels and webhook
    # endpoints are JSON objects by name, e.g.
    # STEWARD_SLACK_WEBHOOKS='{"cs-alerts": "https://hooks.slack.com/..."}' and
    # STEWARD_WEBHOOKS='{"crm": {"url": "https://...", "secret": "..."}}'.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    email_from: str = "Steward <steward@localhost>"
    public_url: str = "http://localhost:8000"
    slack_webhook_url: str | None = None
    slack_webhooks: dict[str, str] = Field(default_factory=dict)
    webhooks: dict[str, WebhookEndpoint] = Field(default_factory=dict)
    outbox_max_attempts: int = Field(default=6, ge=1)
    outbox_backoff_seconds: float = Field(default=60.0, gt=0)
    outbox_lease_seconds: float = Field(default=300.0, gt=0)
    delivery_timeout_seconds: float = Field(default=10.0, gt=0)
    # Send the session cookie over HTTPS only; turn on behind a TLS proxy.
    secure_cookies: bool = False

    # Where the metrics read events (docs/engines.md): unset for Steward's own
    # Parquet files through DuckDB; ``postgresql://...``, ``pyspark://local[2]``
    # or any Ibis connection URL for a warehouse. ``events_table`` names the
    # team's table there and ``events_columns`` maps Steward's column names to
    # its own, e.g. STEWARD_EVENTS_COLUMNS='{"account_id": "group_id"}'.
    events_url: str | None = None
    events_table: str | None = None
    events_columns: dict[str, str] = Field(default_factory=dict)
    # Daily metrics from the kept summary (steward/metrics/rollup.py) instead of
    # rescanning the window's events (docs/engines.md): the same numbers, a
    # day's events folded in once. Its cost is a catch-up on the first run
    # (about 25 s for a year at 100,000 accounts); false computes every run
    # from the events.
    metrics_incremental: bool = True
    # How often the tracking API moves its fsynced segments into Parquet.
    tracking_flush_seconds: float = Field(default=300.0, gt=0)

    @property
    def store_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'steward.db').resolve()}"

    @property
    def events_dir(self) -> Path:
        return self.home / "events"

    @property
    def config_dir(self) -> Path:
        """Scorecards, journeys and mappings a team edits and versions."""
        return self.home / "config"


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)
