"""Compute the metric catalogue for a day, or as weekly history for training."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd

from steward.events.store import EventStore
from steward.metrics import rollup
from steward.metrics.assemble import metric_frame
from steward.metrics.catalogue import (
    EventTaxonomy,
    day_number,
    event_metric_history,
    event_metrics_as_of,
    last_active_before,
)
from steward.metrics.facts import AccountFacts, is_in


def metrics_as_of(
    con: ibis.BaseBackend,
    events: EventStore,
    facts: AccountFacts,
    as_of: dt.date,
    window_days: int,
    tx: EventTaxonomy,
    incremental: bool = False,
) -> pd.DataFrame:
    """One row per account in the store, indexed by account id, in the order
    of ``facts.accounts`` (the daily run relies on it).

    With ``incremental``, on Steward's own files and for a day on or after
    every event, the usage comes from the kept summary
    (``steward.metrics.rollup``), which gives the same numbers without
    scanning the window; otherwise, and by default, from the events.
    """
    usage = None
    if incremental and type(events) is EventStore and con.name == "duckdb":
        usage = rollup.usage_as_of(events, as_of, window_days, tx)
    if usage is None:
        usage = _usage_from_events(con, events, facts, as_of, window_days, tx)
    usage["observed_day"] = day_number(as_of)
    observations = pd.DataFrame(
        {"account_id": facts.accounts["account_id"], "observed_day": day_number(as_of)}
    )
    return metric_frame(observations, usage, facts).set_index("account_id")


def _usage_from_events(
    con: ibis.BaseBackend,
    events: EventStore,
    facts: AccountFacts,
    as_of: dt.date,
    window_days: int,
    tx: EventTaxonomy,
) -> pd.DataFrame:
    table = events.table(con)
    usage = con.execute(event_metrics_as_of(table, as_of, window_days, tx))
    active = is_in(facts.accounts["account_id"], usage["account_id"])
    quiet = facts.accounts.loc[~active, ["account_id"]]
    if len(quiet):
        start = day_number(as_of) - window_days + 1
        earlier = con.execute(last_active_before(table, start, ibis.memtable(quiet)))
        usage = pd.concat([usage, earlier], ignore_index=True)
    return usage


def metric_history(
    con: ibis.BaseBackend,
    events: EventStore,
    facts: AccountFacts,
    last_observation: dt.date,
    weeks: int,
    window_days: int,
    tx: EventTaxonomy,
) -> pd.DataFrame:
    """Rows of (account_id, observed_day), weekly back from ``last_observation``."""
    table = events.table(con)
    usage = con.execute(
        event_metric_history(table, last_observation, weeks, window_days, tx)
    )
    days = [day_number(last_observation) - 7 * k for k in range(weeks)]
    observations = pd.MultiIndex.from_product(
        [facts.accounts["account_id"], days], names=["account_id", "observed_day"]
    ).to_frame(index=False)
    return metric_frame(observations, usage, facts)
