"""Settings read from the environment; built on demand, never at import time."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where Steward keeps its data.

    ``STEWARD_HOME`` is the data folder (SQLite store, event partitions, fitted
    scorecards); ``STEWARD_DATABASE_URL`` points the operational store at
    PostgreSQL (``postgresql+psycopg://user@host/db``) instead of SQLite.
    """

    model_config = SettingsConfigDict(env_prefix="STEWARD_", extra="ignore")

    home: Path = Field(default=Path("steward-data"))
    database_url: str | None = None

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
