"""The daily run: metrics → scores → milestones → coverage → playbooks → tasks →
snapshots.

Everything it writes for a day goes in one transaction, keyed so that running
the same day again changes nothing: scores by (account, day), milestone states
by (account, journey, milestone), tasks and playbook runs by occurrence key,
outbox messages by idempotency key. Messages are delivered after the commit.

A day before the latest run (a backfill, or a look at a past day) stores only
that day's scores, explanations and expansion readiness: stages, milestone
states, coverage, tasks and playbooks are the present's, and a past day must
neither move them back nor fire a playbook a second time.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.accounts.coverage import load_coverage_rules
from steward.accounts.tasks import raise_tasks
from steward.jobs.coverage import coverage_step
from steward.jobs.milestones import JourneyOutcome, evaluate_journeys
from steward.jobs.playbooks import (
    Day,
    PlaybookOutcome,
    expansion_readiness,
    playbook_step,
)
from steward.jobs.snapshots import score_rows, stage_changes
from steward.metrics.config import load_events_config
from steward.metrics.facts import load_facts
from steward.metrics.service import metrics_as_of
from steward.scoring.score import score_frame
from steward.scoring.scorecard import load_scorecard
from steward.store.automation import PlaybookRun
from steward.store.models import DailyRun, Task
from steward.store.scores import write_scores
from steward.workspace import Workspace

log = logging.getLogger(__name__)

STEPS = (
    "metrics",
    "scores",
    "milestones",
    "coverage",
    "playbooks",
    "tasks",
    "snapshots",
)
ACTOR = "daily-run"


@dataclass
class RunSummary:
    as_of: dt.date
    accounts: int = 0
    scored: int = 0
    insufficient_data: int = 0
    bands: dict[str, int] = field(default_factory=dict)
    arr_at_risk: float = 0.0
    new_tasks: int = 0
    milestones_missed: int = 0
    stage_changes: int = 0
    tier_changes: int = 0
    coverage_changes: int = 0
    playbooks_fired: int = 0
    messages_queued: int = 0
    tasks_for_day: int = 0
    playbooks_for_day: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        return data


def run_daily(
    workspace: Workspace,
    as_of: dt.date,
    *,
    scorecard: str = "default",
    on_step: Callable[[str], None] | None = None,
) -> RunSummary:
    """Score every live account on ``as_of`` and raise what needs doing."""
    with _collector_paused():
        return _run(workspace, as_of, scorecard, on_step)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for the run, back as it was after.

    The run builds millions of small objects that live to its end (a state
    per account, rows as lists) and the collector walked them again and
    again: at 100,000 accounts, 1.2 s of the next day's 12 s and 2.7 s of the
    first run's 28 s, with the same peak memory. Frames and rows are freed
    by reference counting as before; cycles wait for the end of the run,
    in the whole process (under ``steward serve``, its requests' too).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run(
    workspace: Workspace,
    as_of: dt.date,
    scorecard: str,
    on_step: Callable[[str], None] | None,
) -> RunSummary:
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC)
    step = on_step or (lambda name: None)
    summary = RunSummary(as_of=as_of)
    card = load_scorecard(workspace.scorecard_path(scorecard))
    taxonomy = load_events_config(workspace.events_config_path()).events
    log.info("daily_run.start as_of=%s scorecard=%s", as_of, card.name)

    with workspace.store.session() as session:
        facts = load_facts(session)
        latest = session.scalar(select(func.max(DailyRun.as_of)))

    step("metrics")
    con = workspace.event_engine()
    metrics = metrics_as_of(
        con,
        workspace.events,
        facts,
        as_of,
        card.window_days,
        taxonomy,
        incremental=workspace.settings.metrics_incremental,
    )
    # In the order of facts.accounts, as the metric step returns them.
    is_live = metrics["live"].to_numpy(dtype=bool)
    live = metrics[is_live]

    step("scores")
    scores = score_frame(card, live)

    if latest is not None and as_of < latest:
        with workspace.store.session() as session:
            step("snapshots")
            day = Day(as_of, facts, live, scores, {}, con, workspace.events.table(con))
            expansion = expansion_readiness(session, workspace, day)
            ids = facts.accounts.set_index("account_id")["id"]
            rows, details = score_rows(card, live, scores, ids, as_of, expansion)
            write_scores(session, as_of, rows, details)
            _summarise(summary, live, scores, [], None, 0)
            summary.notes.insert(
                0,
                f"{as_of} is before the latest run ({latest}): only its scores "
                "were stored; stages, milestones, tasks and playbooks stay as "
                f"the run of {latest} left them",
            )
            summary.seconds = round(time.perf_counter() - started, 2)
            _record_run(session, summary, started_at)
        log.info("daily_run.done as_of=%s scores_only=true", as_of)
        return summary

    step("milestones")
    journeys: JourneyOutcome = evaluate_journeys(workspace, con, facts, as_of, taxonomy)

    with workspace.store.session() as session:
        step("coverage")
        rules = load_coverage_rules(workspace.coverage_path())
        coverage = coverage_step(session, rules, live, facts, as_of, ACTOR)
        summary.tier_changes = coverage.tier_changes
        summary.coverage_changes = coverage.coverage_changes

        step("playbooks")
        day = Day(
            as_of,
            facts,
            live,
            scores,
            journeys.states,
            con,
            workspace.events.table(con),
        )
        automation = playbook_step(session, workspace, day)

        step("tasks")
        created = raise_tasks(session, journeys.tasks(session), as_of, ACTOR)

        step("snapshots")
        ids = facts.accounts.set_index("account_id")["id"]
        rows, details = score_rows(card, live, scores, ids, as_of, automation.expansion)
        write_scores(session, as_of, rows, details)
        journeys.write(session, as_of)
        changes = stage_changes(session, facts, is_live, scores, journeys, as_of, ACTOR)

        _summarise(summary, live, scores, created, journeys, changes)
        _summarise_playbooks(summary, automation)
        stale = stale_events_note(live, as_of, card.window_days)
        if stale:
            summary.notes.insert(0, stale)
        summary.seconds = round(time.perf_counter() - started, 2)
        _record_run(session, summary, started_at)
    log.info("daily_run.done as_of=%s new_tasks=%s", as_of, summary.new_tasks)
    return summary


def _summarise(
    summary: RunSummary,
    live: pd.DataFrame,
    scores: pd.DataFrame,
    created: list,
    journeys: JourneyOutcome | None,
    changes: int,
) -> None:
    summary.accounts = len(live)
    summary.scored = int((scores["status"] == "scored").sum())
    summary.insufficient_data = int((scores["status"] == "insufficient_data").sum())
    summary.bands = {
        band: int(count) for band, count in scores["band"].value_counts().items()
    }
    at_risk = scores.index[scores["band"] == "at_risk"]
    summary.arr_at_risk = round(float(live.loc[at_risk, "arr"].fillna(0).sum()), 2)
    summary.new_tasks = len(created)
    summary.milestones_missed = journeys.newly_missed if journeys else 0
    summary.stage_changes = changes
    summary.notes = list(journeys.notes) if journeys else []


def stale_events_note(live: pd.DataFrame, as_of: dt.date, window: int) -> str | None:
    """Say so when no live account has an event in the window: every score then
    reads empty windows, usually because the export ends long before ``as_of``."""
    column = "days_since_last_activity"
    days = live[column].dropna() if column in live else pd.Series(dtype=float)
    if days.empty or days.min() < window:
        return None
    newest = as_of - dt.timedelta(days=int(days.min()))
    return (
        f"no live account has an event in the {window} days before {as_of}; the "
        f"newest is from {newest}. For an export that ends in the past, run for "
        f"its last day (steward run --as-of {newest}); otherwise check that "
        "events are still arriving"
    )


def _summarise_playbooks(summary: RunSummary, automation: PlaybookOutcome) -> None:
    summary.new_tasks += automation.tasks
    summary.playbooks_fired = automation.total_fired
    summary.messages_queued = automation.messages
    summary.notes.extend(automation.notes)


def _record_run(session: Session, summary: RunSummary, started_at: dt.datetime) -> None:
    # A re-run raises no new task; the day's total says what the day raised.
    summary.tasks_for_day = session.scalar(
        select(func.count(Task.id)).where(
            Task.created_on == summary.as_of,
            Task.source.like("journey:%") | Task.source.like("playbook:%"),
        )
    )
    # Likewise a re-run fires no playbook already fired for the day.
    summary.playbooks_for_day = session.scalar(
        select(func.count(PlaybookRun.id)).where(PlaybookRun.as_of == summary.as_of)
    )
    run = session.scalar(select(DailyRun).where(DailyRun.as_of == summary.as_of))
    if run is None:
        run = DailyRun(as_of=summary.as_of)
        session.add(run)
    run.started_at = started_at
    run.summary = summary.as_json()
    run.finished_at = dt.datetime.now(dt.UTC)
