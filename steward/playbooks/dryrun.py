"""Dry runs: what a playbook would have fired over past weeks, and the hours. Pure.

The weeks' account states come from history (:mod:`steward.jobs.replay`);
this replays them in order, remembering what fired (each occurrence once)
and the tags and stages the playbook itself would have changed, so a tag
the playbook adds in one week is on the account the next.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from steward.playbooks import actions as fx
from steward.playbooks.engine import Firing, Tools, evaluate
from steward.playbooks.model import Playbook
from steward.playbooks.settings import AutomationSettings
from steward.playbooks.state import AccountState

# The columns of a dry run's table, in order: effect types counted together.
COLUMNS = {
    "tasks": ("task", "escalate"),
    "emails": ("email",),
    "slack": ("slack",),
    "webhooks": ("webhook",),
    "changes": ("tag", "stage", "sequence", "timeline"),
}


@dataclass
class Week:
    ending: dt.date
    fired: int = 0
    accounts: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    hours: float = 0.0


@dataclass(frozen=True)
class Fired:
    day: dt.date
    account: str
    name: str
    occurrence: str
    facts: dict[str, Any]


@dataclass
class DryRun:
    playbook: str
    weeks: list[Week] = field(default_factory=list)
    firings: list[Fired] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Actions that would have done nothing, by (type, reason): an email to a
    # role no contact holds, say. Conditional actions left out on purpose
    # (``when:``) are not counted.
    skipped: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def total_fired(self) -> int:
        return sum(week.fired for week in self.weeks)

    @property
    def total_hours(self) -> float:
        return round(sum(week.hours for week in self.weeks), 2)

    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for week in self.weeks:
            total.update(week.counts)
        return total


@dataclass
class _Overlay:
    """Tags and stages the replayed playbook changed, by account id."""

    added: dict[int, dict[str, dt.date]] = field(default_factory=dict)
    removed: dict[int, set[str]] = field(default_factory=dict)
    stages: dict[int, str] = field(default_factory=dict)

    def apply(self, state: AccountState) -> AccountState:
        if not (
            state.id in self.added
            or state.id in self.removed
            or state.id in self.stages
        ):
            return state
        tags = dict(state.tag_added_on)
        tags.update(self.added.get(state.id, {}))
        for tag in self.removed.get(state.id, set()):
            tags.pop(tag, None)
        return dataclasses.replace(
            state,
            tags=frozenset(tags),
            tag_added_on=tags,
            stage=self.stages.get(state.id, state.stage),
        )

    def record(self, firing: Firing, day: dt.date) -> None:
        state = firing.state
        if state is None:
            return
        for effect in firing.effects:
            if not isinstance(effect, fx.ChangeEffect):
                continue
            if effect.type == "tag" and effect.change == "add":
                self.added.setdefault(state.id, {})[effect.value] = day
                self.removed.get(state.id, set()).discard(effect.value)
            elif effect.type == "tag":
                self.removed.setdefault(state.id, set()).add(effect.value)
                self.added.get(state.id, {}).pop(effect.value, None)
            elif effect.type == "stage":
                self.stages[state.id] = effect.value


def replay(
    playbook: Playbook,
    weeks: Iterable[tuple[dt.date, Sequence[AccountState]]],
    tools: Tools,
    settings: AutomationSettings,
) -> DryRun:
    """Evaluate the playbook on each (day, states) in order, as if live."""
    result = DryRun(playbook.name, notes=_caveats(playbook))
    fired: set[str] = set()
    overlay = _Overlay()
    for day, states in weeks:
        shown = [overlay.apply(state) for state in states]
        firings = evaluate(
            playbook, shown, day, lambda keys: fired.intersection(keys), tools
        )
        week = Week(ending=day)
        accounts: set[str] = set()
        for firing in firings:
            fired.add(firing.key)
            overlay.record(firing, day)
            week.fired += 1
            for effect in firing.effects:
                if isinstance(effect, fx.Skipped):
                    if not effect.reason.startswith("when:"):
                        result.skipped[(effect.type, effect.reason)] += 1
                    continue
                week.counts[effect.type] += 1
                week.hours += settings.hours_for(effect.type, effect.hours)
            if firing.state is not None:
                accounts.add(firing.state.external_id)
                name = firing.state.name
            else:
                accounts.update(firing.accounts)
                name = f"{len(firing.accounts)} accounts"
            result.firings.append(
                Fired(
                    day,
                    firing.state.external_id if firing.state else "(portfolio)",
                    name,
                    firing.occurrence.key,
                    firing.occurrence.facts,
                )
            )
        week.accounts = len(accounts)
        week.hours = round(week.hours, 2)
        result.weeks.append(week)
    for (kind, reason), count in sorted(result.skipped.items()):
        result.notes.append(
            f"{count} {kind} action(s) would have done nothing: {reason}"
        )
    return result


def _caveats(playbook: Playbook) -> list[str]:
    """What sampling history once a week cannot show for this trigger."""
    trigger = playbook.trigger
    notes = []
    if trigger.kind == "schedule" and trigger.every == "day":
        notes.append(
            "a daily schedule is replayed once a week: multiply its figures by the "
            "number of days it runs in a week"
        )
    window = getattr(trigger, "within_days", None)
    if window is not None and window < 6:
        notes.append(
            f"the trigger only looks back {window} days, less than the week between "
            "replayed days: some occurrences are not seen"
        )
    if trigger.kind in ("score_crosses", "band_changes"):
        notes.append(
            "scores are compared week to week: a crossing that reverses within a "
            "week is not seen"
        )
    return notes


def column_counts(week: Week) -> dict[str, int]:
    return {
        column: sum(week.counts[kind] for kind in kinds)
        for column, kinds in COLUMNS.items()
    }
