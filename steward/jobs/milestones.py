"""The journey step of the daily run: milestone states and the tasks they raise."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts.tasks import TaskSpec, manager_of
from steward.events.store import EventStore
from steward.journeys import milestones as rules
from steward.journeys.calendar import calendar_for
from steward.journeys.journey import Journey, load_journey
from steward.metrics.catalogue import EventTaxonomy, day_number, day_numbers_as_dates
from steward.metrics.facts import AccountFacts, plain_rows
from steward.metrics.firsts import journey_signals
from steward.metrics.signals import available_signals, milestone_signals
from steward.store.models import MilestoneState
from steward.store.upsert import upsert_columns
from steward.workspace import Workspace

_WHY = {
    "first_login": "map your login event names under events.login in "
    "config/events.yaml",
    "first_core_workflow": "map your core workflow events under "
    "events.core_workflow in config/events.yaml",
    "seat_activation": "the events carry no user ids",
}


@dataclass
class Raised:
    account_db_id: int
    account_name: str
    csm_id: int | None
    journey: Journey
    started_on: dt.date
    alert: rules.Alert
    statuses: list[rules.MilestoneStatus]


@dataclass
class JourneyOutcome:
    # The milestone_states rows as columns (name -> one value per row).
    states: dict[str, list[Any]] = field(default_factory=lambda: _columns())
    raised: list[Raised] = field(default_factory=list)
    open_accounts: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    @property
    def newly_missed(self) -> int:
        return sum(1 for item in self.raised if item.alert.kind == "missed")

    def write(self, session: Session, as_of: dt.date) -> None:
        """Store the states; those stored already by a run of ``as_of`` as they
        are now are left alone."""
        keys = ["account_id", "journey", "milestone"]
        stored = MilestoneState.evaluated_on == as_of
        table = MilestoneState.__table__
        upsert_columns(session, table, self.states, keys, unless_stored=stored)

    def tasks(self, session: Session) -> list[TaskSpec]:
        managers: dict[int | None, int | None] = {}
        return [_task(session, item, managers) for item in self.raised]


def evaluate_journeys(
    workspace: Workspace,
    con: ibis.BaseBackend,
    facts: AccountFacts,
    as_of: dt.date,
    taxonomy: EventTaxonomy,
) -> JourneyOutcome:
    """Evaluate every journey file for accounts whose journey is open or unseen.

    A journey closes ``window_days + alert_within_days`` after the start; once
    its state is stored it is not evaluated again, so the daily cost follows
    the number of accounts in onboarding, not the size of the book.
    """
    outcome = JourneyOutcome()
    journeys = [load_journey(path) for path in workspace.journey_paths()]
    if not journeys:
        return outcome

    accounts = _accounts_with_start(facts, as_of)
    with workspace.store.session() as session:
        query = select(MilestoneState.account_id, MilestoneState.journey)
        seen = set(plain_rows(session, query.distinct()))
    thresholds = sorted(
        {
            milestone.threshold
            for journey in journeys
            for milestone in journey.milestones
            if milestone.threshold is not None
        }
    )
    table = workspace.events.table(con)
    measurable = available_signals(con, table, day_number(as_of), taxonomy)
    scopes = {}
    for journey in journeys:
        horizon = journey.window_days + journey.alert_within_days
        known = {account for account, name in seen if name == journey.name}
        unseen = ~accounts["id"].isin(known)
        scopes[journey.name] = ((accounts["age"] <= horizon) | unseen).to_numpy()
    wanted = np.logical_or.reduce(list(scopes.values()))
    if not wanted.any():
        return outcome
    longest = max(j.window_days + j.alert_within_days for j in journeys)
    signals = _signals(
        workspace, con, table, accounts[wanted], longest, taxonomy, thresholds
    )
    for journey in journeys:
        unmeasured = {
            milestone.key: milestone.signal
            for milestone in journey.milestones
            if milestone.signal not in measurable
        }
        for key, signal in unmeasured.items():
            outcome.notes.append(
                f"{journey.name}: milestone {key} is not measured: no event in the "
                f"last year shows '{signal}' ({_WHY[signal]})"
            )
        scope = accounts[scopes[journey.name]]
        if scope.empty:
            continue
        _evaluate_scope(
            outcome, journey, scope, signals, thresholds, as_of, set(unmeasured)
        )
    return outcome


def _signals(
    workspace: Workspace,
    con: ibis.BaseBackend,
    table: ibis.Table,
    scope: pd.DataFrame,
    horizon: int,
    taxonomy: EventTaxonomy,
    thresholds: list[float],
) -> pd.DataFrame:
    """The journey signals of ``scope`` by account id.

    Accounts within ``horizon`` days of their start come from the kept
    summary (:mod:`steward.metrics.firsts`) when the metrics are kept
    incrementally on Steward's own files; the others (a first run over a
    book's history) from the events.
    """
    incremental = (
        workspace.settings.metrics_incremental
        and type(workspace.events) is EventStore
        and con.name == "duckdb"
    )
    young = scope["age"].to_numpy() <= horizon if incremental else np.zeros(0, bool)
    parts = []
    if incremental and young.any():
        parts.append(
            journey_signals(workspace.events, scope[young], taxonomy, thresholds)
        )
    rest = scope[~young] if incremental else scope
    if len(rest):
        query = milestone_signals(table, rest, taxonomy, thresholds)
        parts.append(con.execute(query).set_index("account_id"))
    return pd.concat(parts) if len(parts) > 1 else parts[0]


def _accounts_with_start(facts: AccountFacts, as_of: dt.date) -> pd.DataFrame:
    starts = facts.start_days
    accounts = facts.accounts.assign(
        start_day=facts.accounts["account_id"].map(starts)
    ).dropna(subset=["start_day"])
    accounts["start_day"] = accounts["start_day"].astype("int64")
    accounts = accounts[accounts["start_day"] <= day_number(as_of)].copy()
    accounts["age"] = day_number(as_of) - accounts["start_day"]
    accounts["seats"] = accounts["seats"].fillna(0)
    accounts["country"] = accounts["country"].fillna("")
    return accounts


def _evaluate_scope(
    outcome: JourneyOutcome,
    journey: Journey,
    scope: pd.DataFrame,
    signals: pd.DataFrame,
    thresholds: list[float],
    as_of: dt.date,
    unmeasured: set[str],
) -> None:
    scope = scope.reset_index(drop=True)
    found = signals.reindex(scope["account_id"])
    achieved = {}
    for milestone in journey.milestones:
        if milestone.signal == "seat_activation":
            column = f"seat_activation_{thresholds.index(milestone.threshold)}"
        else:
            column = milestone.signal
        achieved[milestone.key] = day_numbers_as_dates(
            found[column].to_numpy(dtype=float)
        )
    started = day_numbers_as_dates(scope["start_day"].to_numpy(dtype=float))
    table = rules.evaluate_many(
        journey, started, scope["country"].to_numpy(dtype=object), achieved, as_of
    )

    table["account_id"] = scope["id"].to_numpy()[table["account"]]
    blind = table["key"].isin(unmeasured)
    table.loc[blind, "status"] = "not_measured"
    table.loc[blind, "overdue_business_days"] = 0
    for name, values in _state_columns(journey, table, started, as_of).items():
        outcome.states[name].extend(values)
    reached = table.groupby("account")["achieved_on"].count().to_numpy()
    unreached = reached < len(journey.milestones)
    young = scope["age"].to_numpy() < journey.window_days
    external = scope["account_id"].to_numpy(dtype=object)
    outcome.open_accounts.update(external[young & unreached].tolist())

    # Only accounts with a miss inside the alert window can raise anything.
    recent = (np.datetime64(as_of, "D") - table["missed_on"]).dt.days
    missed = (table["status"] == "missed") | (
        table["achieved_on"] >= table["missed_on"]
    )
    candidates = table.loc[missed & (recent <= journey.alert_within_days), "account"]
    chosen = table[table["account"].isin(set(candidates))]
    ids, names, csm_ids, countries = (
        scope[column].to_numpy(dtype=object)
        for column in ("id", "name", "csm_id", "country")
    )
    # The table is sorted by account: each account's statuses are one run.
    every = rules.statuses_of(chosen)
    positions = chosen["account"].to_numpy()
    runs = np.flatnonzero(np.diff(positions, prepend=-1, append=-1))
    for first, end in zip(runs[:-1].tolist(), runs[1:].tolist(), strict=True):
        index = int(positions[first])
        statuses = every[first:end]
        calendar = calendar_for(countries[index])
        for alert in rules.alerts(journey, statuses, as_of, calendar):
            outcome.raised.append(
                Raised(
                    int(ids[index]),
                    names[index],
                    _int(csm_ids[index]),
                    journey,
                    rules.day_of(started[index]),
                    alert,
                    statuses,
                )
            )


STATE_COLUMNS = (
    "account_id",
    "journey",
    "milestone",
    "position",
    "started_on",
    "due_on",
    "achieved_on",
    "status",
    "days_to_value",
    "overdue_business_days",
    "evaluated_on",
)


def _columns() -> dict[str, list[Any]]:
    return {name: [] for name in STATE_COLUMNS}


def _state_columns(
    journey: Journey, table: pd.DataFrame, started: np.ndarray, as_of: dt.date
) -> dict[str, list[Any]]:
    count = len(table)
    to_value = table["days_to_value"].astype(int).tolist()
    return {
        "account_id": table["account_id"].astype(int).tolist(),
        "journey": [journey.name] * count,
        "milestone": table["key"].tolist(),
        "position": table["position"].astype(int).tolist(),
        "started_on": _dates(started[table["account"].to_numpy()]),
        "due_on": _dates(table["due_on"].to_numpy()),
        "achieved_on": _dates(table["achieved_on"].to_numpy()),
        "status": table["status"].tolist(),
        "days_to_value": [None if days < 0 else days for days in to_value],
        "overdue_business_days": table["overdue_business_days"].astype(int).tolist(),
        "evaluated_on": [as_of] * count,
    }


def _dates(values: np.ndarray) -> list[dt.date | None]:
    """``datetime64`` values as dates, NaT as None."""
    return values.astype("datetime64[D]").astype(object).tolist()


def _int(value: Any) -> int | None:
    return None if pd.isna(value) else int(value)


def _task(
    session: Session, item: Raised, managers: dict[int | None, int | None]
) -> TaskSpec:
    """The task of one alert; ``managers`` keeps each CSM's manager once found."""
    alert = item.alert
    key = (
        f"journey:{item.journey.name}:{item.account_db_id}:"
        f"{item.started_on.isoformat()}:{alert.key}"
    )
    by_key = {status.key: status for status in item.statuses}
    status = by_key[alert.milestone]
    if alert.kind == "missed":
        return TaskSpec(
            occurrence_key=key,
            kind="milestone_missed",
            title=f"{item.account_name}: onboarding milestone missed: {status.title}",
            body=(
                f"'{status.title}' was due on {status.due_on.isoformat()} and is "
                f"{status.overdue_business_days} business days late. Check in "
                "with the customer, offer a 30-minute remediation call and the "
                "Quick Win guide for their industry, and log the outcome."
            ),
            account_id=item.account_db_id,
            assignee_id=item.csm_id,
            role="csm",
            due_on=alert.due_on,
            priority="high",
            source=f"journey:{item.journey.name}",
        )
    if item.csm_id not in managers:
        managers[item.csm_id] = manager_of(session, item.csm_id)
    titles = ", ".join(by_key[key_].title for key_ in alert.milestones)
    return TaskSpec(
        occurrence_key=key,
        kind="escalation",
        title=(
            f"{item.account_name}: escalation: {len(alert.milestones)} onboarding "
            "milestones missed in a row"
        ),
        body=(
            f"Missed in a row: {titles}. The CSM has been alerted for each; the "
            "account needs a manager's attention and a recovery plan."
        ),
        account_id=item.account_db_id,
        assignee_id=managers[item.csm_id],
        role="manager",
        due_on=alert.due_on,
        priority="urgent",
        source=f"journey:{item.journey.name}",
    )
