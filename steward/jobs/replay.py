"""``steward playbook dry-run``: a playbook replayed over the stored history.

Account states are rebuilt once a week from history: the weekly metric
history of the event store (scored with today's scorecard and expansion
file), milestone states on each day from the events, and the store's dated
records (contracts, NPS answers, incidents, tag changes, lifecycle moves).
Nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.errors import InputInvalid, PlaybookNotFound
from steward.jobs import playbook_inputs as reads
from steward.jobs.playbooks import LOOKBACK_DAYS, load_expansion
from steward.journeys import milestones as rules
from steward.journeys.journey import Journey, load_journey
from steward.metrics.catalogue import CATALOGUE, day_number, day_numbers_as_dates
from steward.metrics.config import load_events_config
from steward.metrics.facts import load_facts
from steward.metrics.service import metric_history
from steward.metrics.signals import available_signals, milestone_signals
from steward.notify.responses import unsubscribe_link
from steward.notify.templates import EmailTemplates
from steward.playbooks.assemble import Inputs, assemble
from steward.playbooks.dryrun import DryRun, replay
from steward.playbooks.engine import Tools
from steward.playbooks.model import Playbook, load_playbook
from steward.playbooks.service import named_playbook
from steward.playbooks.settings import AutomationSettings, load_automation_settings
from steward.playbooks.state import AccountState, MilestoneFact
from steward.playbooks.triggers_model import WEEKDAYS
from steward.scoring import expansion as readiness
from steward.scoring.score import score_frame
from steward.scoring.scorecard import load_scorecard
from steward.store.models import LifecycleChange
from steward.workspace import Workspace

MAX_WEEKS = 260


def find_playbook(workspace: Workspace, name: str) -> tuple[Playbook, Path]:
    """A playbook by name from the config folder, or a playbook file's path."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return load_playbook(path), path
    try:
        return named_playbook(
            workspace.playbooks_dir, name, str(workspace.playbooks_dir)
        )
    except PlaybookNotFound as error:
        raise PlaybookNotFound(f"{error}; or give a playbook file's path") from None


def observation_days(playbook: Playbook, start: dt.date, end: dt.date) -> list[dt.date]:
    """Weekly days up to ``end``, from ``start``; on a weekly schedule's weekday."""
    if end < start:
        raise InputInvalid(
            f"the last day {end} is before the first day {start}; give the "
            "earlier date first",
            field="to",
        )
    trigger = playbook.trigger
    last = end
    if trigger.kind == "schedule" and trigger.every == "week":
        back = (end.weekday() - WEEKDAYS.index(trigger.weekday or "")) % 7
        last = end - dt.timedelta(days=back)
    weeks = (last - start).days // 7 + 1
    if weeks > MAX_WEEKS:
        raise InputInvalid(
            f"{weeks} weeks from {start} to {end}: a dry run covers at most "
            f"{MAX_WEEKS} weeks; shorten the range",
            field="to",
        )
    return [last - dt.timedelta(days=7 * k) for k in reversed(range(max(weeks, 0)))]


def dry_run(
    workspace: Workspace,
    name: str | Playbook,
    start: dt.date,
    end: dt.date,
    *,
    scorecard: str = "default",
) -> DryRun:
    """What ``name`` would have fired each week from ``start`` to ``end``.

    ``name`` is a playbook name or file (the CLI), or a playbook already found.
    """
    if isinstance(name, Playbook):
        playbook = name
    else:
        playbook, _ = find_playbook(workspace, name)
    days = observation_days(playbook, start, end)
    automation = load_automation_settings(workspace.automation_path())
    tools = Tools(
        EmailTemplates(workspace.emails_dir), unsubscribe_link(workspace.settings)
    )
    if not days:
        return DryRun(playbook.name, notes=["no replay day between the two dates"])
    history = _History(workspace, days, scorecard)
    result = replay(playbook, history.weeks(automation), tools, automation)
    result.notes.extend(history.notes)
    return result


class _History:
    """The history a dry run replays, read once."""

    def __init__(self, workspace: Workspace, days: list[dt.date], scorecard: str):
        self.workspace = workspace
        self.days = days
        self.card = load_scorecard(workspace.scorecard_path(scorecard))
        self.taxonomy = load_events_config(workspace.events_config_path()).events
        with workspace.store.session() as session:
            self.facts = load_facts(session)
            self.accounts = reads.account_frame(self.facts)
        self.con = workspace.event_engine()
        self.table = workspace.events.table(self.con)
        self.metrics = metric_history(
            self.con,
            workspace.events,
            self.facts,
            days[-1],
            len(days),
            self.card.window_days,
            self.taxonomy,
        )
        self.journeys: list[tuple[Journey, _Starts, dict, set[str]]] = []
        self.notes: list[str] = []
        self._load_journeys()

    def _load_journeys(self) -> None:
        """Each account's first day of every milestone signal, read once."""
        con, taxonomy = self.con, self.taxonomy
        journeys = [load_journey(path) for path in self.workspace.journey_paths()]
        starts = self.accounts.dropna(subset=["started_on"])
        if not journeys or starts.empty:
            return
        table = self.table
        measurable = available_signals(con, table, day_number(self.days[-1]), taxonomy)
        thresholds = sorted(
            {m.threshold for j in journeys for m in j.milestones if m.threshold}
        )
        scope = pd.DataFrame(
            {
                "account_id": starts["external_id"],
                "start_day": [day_number(day) for day in starts["started_on"]],
                "seats": starts["seats"].fillna(0).astype(float),
            }
        )
        signals = con.execute(milestone_signals(table, scope, taxonomy, thresholds))
        signals = signals.set_index("account_id").reindex(scope["account_id"])
        base = _Starts(
            ids=starts.index.to_numpy(dtype=np.int64),
            started=scope["start_day"].to_numpy(dtype="int64").astype("datetime64[D]"),
            countries=starts["country"].fillna("").to_numpy(dtype=object),
        )
        for journey in journeys:
            blind = {m.key for m in journey.milestones if m.signal not in measurable}
            for key in sorted(blind):
                self.notes.append(
                    f"{journey.name}: milestone {key} is not measured (no event in "
                    "the year before the last replayed day shows it), so it cannot "
                    "be overdue"
                )
            achieved = {}
            for milestone in journey.milestones:
                column = milestone.signal
                if milestone.signal == "seat_activation":
                    column = f"seat_activation_{thresholds.index(milestone.threshold)}"
                achieved[milestone.key] = day_numbers_as_dates(
                    signals[column].to_numpy(dtype=float)
                )
            self.journeys.append((journey, base, achieved, blind))

    def weeks(
        self, automation: AutomationSettings
    ) -> Iterator[tuple[dt.date, list[AccountState]]]:
        """(day, account states) for every replayed day, oldest first."""
        workspace, facts = self.workspace, self.facts
        expansion = load_expansion(workspace)
        first = self.days[0] - dt.timedelta(days=LOOKBACK_DAYS)
        with workspace.store.session() as session:
            tag_history = reads.tag_history(session)
            changes = _stage_history(session)
            nps = reads.dated_nps(session, first, self.days[-1])
            incidents = reads.dated_incidents(session, first, self.days[-1])
            engagement = reads.sponsor_engagement(
                session,
                self.days[0] - dt.timedelta(days=expansion.sponsor_engagement_days),
            )
            people = reads.people(session)
            contacts = reads.contacts(session)
        steps = reads.portal_steps(
            self.con, self.table, automation.portal, day_number(self.days[-1])
        )
        ids = pd.Series(self.accounts.index, index=self.accounts["external_id"])
        previous = pd.DataFrame(columns=["health", "band", "expansion", "band_since"])
        for day in self.days:
            rows = self.metrics[
                (self.metrics["observed_day"] == day_number(day))
                & self.metrics["live"].astype(bool)
            ].set_index("account_id")
            live_ids = ids.reindex(rows.index).dropna().astype(int)
            rows = rows.loc[live_ids.index]
            health = score_frame(self.card, rows)
            names = [name for name in CATALOGUE if name in rows.columns]
            metrics = rows[names].apply(pd.to_numeric, errors="coerce").astype(float)
            metrics.index = live_ids.to_numpy()
            metrics["portal_completion"] = reads.portal_completion(
                steps, day_number(day), automation.portal, rows.index
            ).to_numpy()
            metrics["sponsor_engaged"] = (
                reads.engaged_on(engagement, day, expansion.sponsor_engagement_days)
                .reindex(metrics.index)
                .fillna(0.0)
                .to_numpy()
            )
            scores = pd.DataFrame(index=metrics.index)
            scores["health"] = health["score"].astype("Float64").to_numpy(na_value=None)
            scores["band"] = health["band"].astype(object).to_numpy()
            scores["expansion"] = readiness.expansion_frame(expansion, metrics)["score"]
            _carry(scores, previous, day)
            previous = scores

            accounts = self.accounts.loc[live_ids.to_numpy()].copy()
            accounts["arr"] = rows["arr"].to_numpy()
            accounts["seats"] = rows["seats"].to_numpy()
            accounts["renewal_on"] = accounts["external_id"].map(
                reads.renewal_days(facts, day)
            )
            accounts["stage"] = _stages_on(changes, accounts, day)
            yesterday = day - dt.timedelta(days=1)
            window = day - dt.timedelta(days=LOOKBACK_DAYS)
            inputs = Inputs(
                accounts=accounts,
                metrics=metrics,
                scores=scores,
                people=people,
                tags=reads.tags_on(tag_history, yesterday),
                milestones=self._milestones(day),
                nps=nps,
                incidents=incidents,
                tag_changes=reads.dated_tag_changes(tag_history, window, yesterday),
                contacts=contacts,
            )
            yield day, assemble(inputs, automation.tiers)

    def _milestones(self, day: dt.date) -> dict[int, tuple[MilestoneFact, ...]]:
        found: dict[int, list[MilestoneFact]] = {}
        today = np.datetime64(day, "D")
        for journey, base, achieved, blind in self.journeys:
            horizon = journey.window_days + journey.alert_within_days
            age = (today - base.started).astype(np.int64)
            inside = (age >= 0) & (age <= horizon)
            if not inside.any():
                continue
            started = base.started[inside]
            table = rules.evaluate_many(
                journey,
                started,
                base.countries[inside],
                {key: days[inside] for key, days in achieved.items()},
                day,
            )
            ids = base.ids[inside][table["account"].to_numpy()].tolist()
            columns = zip(
                ids,
                table["key"].tolist(),
                table["title"].tolist(),
                table["position"].tolist(),
                _dates(started[table["account"].to_numpy()]),
                _dates(table["due_on"].to_numpy()),
                _dates(table["achieved_on"].to_numpy()),
                table["status"].tolist(),
                table["overdue_business_days"].tolist(),
                strict=True,
            )
            for (
                account_id,
                key,
                title,
                position,
                start,
                due,
                got,
                status,
                late,
            ) in columns:
                blinded = key in blind
                found.setdefault(account_id, []).append(
                    MilestoneFact(
                        journey=journey.name,
                        key=key,
                        title=title,
                        position=int(position),
                        started_on=start,
                        due_on=due,
                        achieved_on=got,
                        status="not_measured" if blinded else status,
                        overdue_business_days=0 if blinded else int(late),
                    )
                )
        return {key: tuple(value) for key, value in found.items()}


@dataclass(frozen=True)
class _Starts:
    """Accounts with a start day: database ids, starts and countries, aligned."""

    ids: np.ndarray
    started: np.ndarray
    countries: np.ndarray


def _dates(values: np.ndarray) -> list[dt.date | None]:
    return values.astype("datetime64[D]").astype(object).tolist()


def _carry(scores: pd.DataFrame, previous: pd.DataFrame, day: dt.date) -> None:
    """Last week's scores as this week's previous ones, and the band's streak."""
    before = previous.reindex(scores.index)
    scores["previous_health"] = before["health"].to_numpy()
    scores["previous_band"] = before["band"].to_numpy()
    scores["previous_expansion"] = before["expansion"].to_numpy()
    same = (before["band"] == scores["band"]).fillna(False).to_numpy(dtype=bool)
    kept = before["band_since"].where(same)
    scores["band_since"] = [
        since if isinstance(since, dt.date) else day for since in kept.to_numpy()
    ]


def _stage_history(session: Session) -> pd.DataFrame:
    return pd.DataFrame(
        session.execute(
            select(
                LifecycleChange.account_id,
                LifecycleChange.from_stage,
                LifecycleChange.stage,
                LifecycleChange.changed_on,
            ).order_by(LifecycleChange.changed_on, LifecycleChange.id)
        ).all(),
        columns=["account_id", "from_stage", "stage", "changed_on"],
    )


def _stages_on(changes: pd.DataFrame, accounts: pd.DataFrame, day: dt.date) -> list:
    """Each account's stage as ``day`` opened, from the lifecycle history."""
    before = changes[changes["changed_on"] < day].drop_duplicates(
        "account_id", keep="last"
    )
    after = changes[changes["changed_on"] >= day].drop_duplicates(
        "account_id", keep="first"
    )
    then = dict(zip(before["account_id"], before["stage"], strict=True))
    later = dict(zip(after["account_id"], after["from_stage"], strict=True))
    return [
        then.get(account_id) or later.get(account_id) or stage
        for account_id, stage in zip(accounts.index, accounts["stage"], strict=True)
    ]
