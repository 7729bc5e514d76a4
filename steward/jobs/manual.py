"""``steward playbook run``: the playbooks alone, for one day, outside the daily run.

Computes what the daily run would give the playbooks (metrics, scores,
milestone states) without storing scores or milestone states, then runs the
playbooks step in one transaction: fired occurrences are logged and never
fire again, from here or from the daily run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from steward.jobs.milestones import evaluate_journeys
from steward.jobs.playbooks import Day, PlaybookOutcome, playbook_step
from steward.metrics.config import load_events_config
from steward.metrics.facts import load_facts
from steward.metrics.service import metrics_as_of
from steward.scoring.score import score_frame
from steward.scoring.scorecard import load_scorecard
from steward.workspace import Workspace


def run_playbooks(
    workspace: Workspace,
    as_of: dt.date,
    *,
    only: Collection[str] | None = None,
    scorecard: str = "default",
) -> PlaybookOutcome:
    card = load_scorecard(workspace.scorecard_path(scorecard))
    taxonomy = load_events_config(workspace.events_config_path()).events
    with workspace.store.session() as session:
        facts = load_facts(session)
    con = workspace.event_engine()
    metrics = metrics_as_of(
        con, workspace.events, facts, as_of, card.window_days, taxonomy
    )
    live = metrics[metrics["live"].astype(bool)]
    scores = score_frame(card, live)
    journeys = evaluate_journeys(workspace, con, facts, as_of, taxonomy)
    day = Day(
        as_of, facts, live, scores, journeys.states, con, workspace.events.table(con)
    )
    with workspace.store.session() as session:
        return playbook_step(session, workspace, day, only=only)
