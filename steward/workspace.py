"""One Steward installation: settings, the two stores and the config files.

Built on demand (by the CLI, the web app factory or a test), never at import.
Built-in scorecards, journeys and the event vocabulary are copied into the
config folder by ``steward init`` and then loaded from there like any file a
team writes.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from steward.config import Settings, load_settings

if TYPE_CHECKING:
    import ibis

    from steward.events.store import EventStore
    from steward.store.db import Store

# The stores pull in SQLAlchemy, DuckDB, Ibis and pandas: imported when first
# used, so that a CLI's --help does not wait for them.


@dataclass
class Workspace:
    settings: Settings = field(default_factory=load_settings)

    @cached_property
    def store(self) -> Store:
        from steward.store.db import Store

        return Store(self.settings.store_url)

    @cached_property
    def events(self) -> EventStore:
        from steward.events.engines import event_store

        return event_store(self.settings)

    def event_engine(self) -> ibis.BaseBackend:
        """A fresh connection to the event engine (in-memory DuckDB by default)."""
        from steward.events.engines import connect

        return connect(self.settings)

    @property
    def config_dir(self) -> Path:
        return self.settings.config_dir

    def scorecard_path(self, name: str = "default") -> Path:
        return self.config_dir / "scorecards" / f"{name}.yaml"

    @property
    def journeys_dir(self) -> Path:
        return self.config_dir / "journeys"

    def journey_paths(self) -> list[Path]:
        return sorted(self.journeys_dir.glob("*.yaml"))

    def events_config_path(self) -> Path:
        return self.config_dir / "events.yaml"

    @property
    def playbooks_dir(self) -> Path:
        return self.config_dir / "playbooks"

    @property
    def emails_dir(self) -> Path:
        return self.config_dir / "emails"

    @property
    def sequences_dir(self) -> Path:
        return self.config_dir / "sequences"

    def automation_path(self) -> Path:
        return self.config_dir / "automation.yaml"

    def expansion_path(self) -> Path:
        return self.config_dir / "expansion.yaml"

    def coverage_path(self) -> Path:
        return self.config_dir / "coverage.yaml"

    def renewals_path(self) -> Path:
        return self.config_dir / "renewals.yaml"

    def voice_path(self) -> Path:
        return self.config_dir / "voice.yaml"

    def init(self) -> list[Path]:
        """Create the data folder, bring the schema up to date, add default config.

        Files already present are left alone (they are the team's); returns the
        files it wrote.
        """
        from steward.accounts import coverage, renewals
        from steward.journeys import journey as journeys
        from steward.metrics import config as metrics_config
        from steward.notify import sequences, templates
        from steward.playbooks import model as playbooks
        from steward.playbooks import settings as automation
        from steward.reports import voice
        from steward.scoring import expansion
        from steward.scoring import scorecard as scorecards

        self.settings.home.mkdir(parents=True, exist_ok=True)
        self.store.upgrade()
        written = []
        defaults = {
            self.scorecard_path("default"): scorecards.DEFAULT_SCORECARD,
            self.events_config_path(): metrics_config.BUILT_IN,
            self.automation_path(): automation.BUILT_IN,
            self.expansion_path(): expansion.BUILT_IN,
            self.coverage_path(): coverage.BUILT_IN,
            self.renewals_path(): renewals.BUILT_IN,
            self.voice_path(): voice.BUILT_IN,
        }
        folders = {
            journeys.BUILT_IN: self.journeys_dir,
            playbooks.BUILT_IN: self.playbooks_dir,
            templates.BUILT_IN: self.emails_dir,
            sequences.BUILT_IN: self.sequences_dir,
        }
        for folder, target in folders.items():
            for source in sorted(folder.glob("*.yaml")):
                defaults[target / source.name] = source
        for target, source in defaults.items():
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                written.append(target)
        return written

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.dispose()
