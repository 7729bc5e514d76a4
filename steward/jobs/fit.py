"""``steward fit``: learn a scorecard's weights from the team's own churn history."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import ibis
import pandas as pd

from steward.accounts.renewals import load_renewal_settings
from steward.errors import NotEnoughHistory, ScorecardInvalid
from steward.jobs.training import (
    churn_days,
    label_history,
    plan_history,
    renewal_within,
    undated_churners,
)
from steward.metrics.catalogue import day_number, from_day_number, with_day
from steward.metrics.config import load_events_config
from steward.metrics.facts import AccountFacts, load_facts
from steward.metrics.service import metric_history, metrics_as_of
from steward.scoring.fit import FitResult, TrainingSet, fit_scorecard
from steward.scoring.scorecard import Scorecard, load_scorecard, save_scorecard
from steward.store.models import AuditEntry
from steward.workspace import Workspace

log = logging.getLogger(__name__)


def fit_workspace(
    workspace: Workspace,
    *,
    scorecard: str = "default",
    as_of: dt.date | None = None,
    seed: int = 0,
    on_step: Callable[[str], None] | None = None,
) -> FitResult:
    """Fit the named scorecard and write weights and backtest back into its file."""
    step = on_step or (lambda name: None)
    path = workspace.scorecard_path(scorecard)
    card = load_scorecard(path)
    taxonomy = load_events_config(workspace.events_config_path()).events
    with workspace.store.session() as session:
        facts = load_facts(session)

    step("history")
    con = workspace.event_engine()
    churns = churn_days(facts)
    if not churns.empty:
        training = _dated(workspace, con, facts, card, churns, taxonomy, as_of)
    elif undated_churners(facts):
        training = _snapshot(workspace, con, facts, card, taxonomy, as_of)
    else:
        raise NotEnoughHistory(
            "no churn outcomes are recorded, so there is nothing to learn from: "
            "import outcomes (kind: outcomes) or contracts with an outcome first"
        )

    step("fit")
    log.info("fit.start scorecard=%s rows=%s", card.name, len(training.churned))
    result = fit_scorecard(card, training, seed=seed)

    step("save")
    save_scorecard(result.scorecard, path)
    with workspace.store.session() as session:
        session.add(
            AuditEntry(
                actor="fit",
                action="scorecard.fitted",
                entity="scorecard",
                entity_id=card.name,
                detail={
                    "version": result.scorecard.version,
                    "verdict": result.report.verdict,
                    "auc": result.report.auc,
                },
            )
        )
    return result


def _features(card: Scorecard, frame: pd.DataFrame) -> pd.DataFrame:
    names = [factor.metric for factor in card.factors]
    missing = [name for name in names if name not in frame.columns]
    if missing:
        known = sorted(
            column
            for column in frame.columns
            if column not in ("account_id", "observed_day", "live", "id")
        )
        raise ScorecardInvalid(
            f"scorecard {card.name!r} names metrics Steward does not compute: "
            f"{', '.join(missing)}; known metrics: {', '.join(known)}"
        )
    return frame[names]


def _event_days(con: ibis.BaseBackend, workspace: Workspace) -> tuple[int, int] | None:
    table = with_day(workspace.events.table(con))
    bounds = con.execute(table.aggregate(first=table.day.min(), last=table.day.max()))
    if bounds.empty or pd.isna(bounds["first"].iloc[0]):
        return None
    return int(bounds["first"].iloc[0]), int(bounds["last"].iloc[0])


def _dated(
    workspace: Workspace,
    con: ibis.BaseBackend,
    facts: AccountFacts,
    card: Scorecard,
    churns: pd.DataFrame,
    taxonomy: object,
    as_of: dt.date | None,
) -> TrainingSet:
    span = _event_days(con, workspace)
    if span is None:
        raise NotEnoughHistory(
            "there are churn outcomes but no usage events: import events first"
        )
    first_day = span[0]
    term_months = load_renewal_settings(workspace.renewals_path()).months
    last_day = day_number(as_of) if as_of else max(span[1], int(churns["day"].max()))
    plan = plan_history(first_day, last_day, card.window_days, card.horizon_days)
    history = metric_history(
        con,
        workspace.events,
        facts,
        plan.last_observation,
        plan.weeks,
        card.window_days,
        taxonomy,
    )
    history = history[history["live"].astype(bool)].reset_index(drop=True)
    labels = label_history(history, churns, card.horizon_days)
    return TrainingSet(
        features=_features(card, history),
        churned=labels,
        account=history["account_id"],
        observed_on=history["observed_day"].map(from_day_number),
        renewing=renewal_within(
            history, facts.contracts, card.horizon_days, term_months
        ),
    )


def _snapshot(
    workspace: Workspace,
    con: ibis.BaseBackend,
    facts: AccountFacts,
    card: Scorecard,
    taxonomy: object,
    as_of: dt.date | None,
) -> TrainingSet:
    if as_of is None:
        span = _event_days(con, workspace)
        as_of = from_day_number(span[1]) if span else dt.datetime.now(dt.UTC).date()
    metrics = metrics_as_of(
        con, workspace.events, facts, as_of, card.window_days, taxonomy
    )
    churned = metrics.index.isin(undated_churners(facts))
    return TrainingSet(
        features=_features(card, metrics).reset_index(drop=True),
        churned=pd.Series(churned, name="churned"),
        account=pd.Series(metrics.index, name="account_id"),
        observed_on=None,
    )
