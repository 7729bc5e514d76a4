"""Usage aggregates plus what the store knows, made into the metric catalogue.

Pure pandas over :class:`~steward.metrics.facts.AccountFacts`. Every function
works on rows of (account_id, observed_day), so the daily run (one day) and the
training history (many weeks) share one definition of each metric.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from steward.metrics.catalogue import ADDITIVE, DISTINCT
from steward.metrics.facts import AccountFacts, day_of, is_in

TICKET_DAYS = 90
ATTRIBUTE_PREFIX = "attribute."


def metric_frame(
    observations: pd.DataFrame, usage: pd.DataFrame, facts: AccountFacts
) -> pd.DataFrame:
    """The full catalogue for each (account_id, observed_day) in ``observations``.

    ``usage`` holds the event aggregates of those rows (absent rows mean no
    events at all). Adds ``live`` (an active contract, or no churn recorded for
    an account without contracts), ``seats`` and ``arr``.
    """
    rows = observations[["account_id", "observed_day"]].copy()
    rows["observed_day"] = rows["observed_day"].astype("int64")
    rows = rows.merge(usage, on=["account_id", "observed_day"], how="left")
    for name in ADDITIVE + DISTINCT:
        kind = "float64" if name == "value_total" else "int64"
        rows[name] = rows[name].fillna(0).astype(kind)

    rows = _with_contract_state(rows, facts)
    rows = _with_tickets(rows, facts.tickets)
    rows = _with_latest_nps(rows, facts.nps)
    rows = _with_attributes(rows, facts.accounts)

    seats = rows["seats"].where(rows["seats"] > 0)
    rows["seat_utilisation"] = rows["active_users"] / seats
    events = rows["events_total"].where(rows["events_total"] > 0)
    rows["error_rate"] = rows["errors"] / events
    rows["days_since_last_activity"] = rows["observed_day"] - rows["last_active_day"]
    return rows


def _with_contract_state(rows: pd.DataFrame, facts: AccountFacts) -> pd.DataFrame:
    contracts = facts.contracts.assign(
        start=day_of(facts.contracts["start_date"]),
        end=day_of(facts.contracts["end_date"]),
        seats=pd.to_numeric(facts.contracts["seats"], errors="coerce").astype(float),
        arr=pd.to_numeric(facts.contracts["arr"], errors="coerce").astype(float),
    )
    days = rows["observed_day"].unique()
    if len(days) == 1:
        rows = _running_on(rows, contracts, int(days[0]))
    else:
        rows = _asof(rows, _contract_timeline(contracts), "day")

    accounts = facts.accounts.set_index("account_id")
    starts = facts.start_days
    rows["tenure_days"] = rows["observed_day"] - rows["account_id"].map(starts)
    rows.loc[rows["tenure_days"] < 0, "tenure_days"] = np.nan

    has_contracts = is_in(rows["account_id"], contracts["account_id"])
    churned_by = _first_churn_day(facts)
    no_contract_live = ~(rows["observed_day"] >= rows["account_id"].map(churned_by))
    rows["live"] = np.where(
        has_contracts, rows["open_contracts"].fillna(0) > 0, no_contract_live
    )
    account_seats = rows["account_id"].map(accounts["seats"])
    account_arr = rows["account_id"].map(accounts["arr"])
    rows["seats"] = np.where(has_contracts, rows["c_seats"], account_seats)
    rows["arr"] = np.where(has_contracts, rows["c_arr"], account_arr)
    rows["seats"] = pd.to_numeric(rows["seats"], errors="coerce")
    rows["arr"] = pd.to_numeric(rows["arr"], errors="coerce")
    return rows.drop(columns=["open_contracts", "c_seats", "c_arr"])


def _running_on(rows: pd.DataFrame, contracts: pd.DataFrame, day: int) -> pd.DataFrame:
    """Open contracts, seats and ARR on one day: the daily run's case."""
    running = contracts[
        (contracts["start"] <= day)
        & (contracts["end"].isna() | (contracts["end"] >= day))
    ]
    # Unknown seats or ARR count as none; summed by column, not per account.
    known = running.assign(
        seats=running["seats"].fillna(0), arr=running["arr"].fillna(0)
    )
    totals = known.groupby("account_id").agg(
        open_contracts=("start", "size"),
        c_seats=("seats", "sum"),
        c_arr=("arr", "sum"),
    )
    return rows.join(totals, on="account_id")


def _contract_timeline(contracts: pd.DataFrame) -> pd.DataFrame:
    """Open contracts, seats and ARR from each day on, per account: for many days.

    A contract adds its seats and ARR on its first day and takes them away the
    day after it ends.
    """
    opening = contracts.assign(day=contracts["start"], n=1)
    closing = contracts.dropna(subset=["end"]).assign(day=lambda f: f["end"] + 1, n=-1)
    changes = pd.concat([opening, closing])
    for column in ("seats", "arr"):
        changes[column] = changes[column].fillna(0.0) * changes["n"]
    return (
        changes.groupby(["account_id", "day"])[["n", "seats", "arr"]]
        .sum()
        .groupby(level="account_id")
        .cumsum()
        .reset_index()
        .rename(columns={"n": "open_contracts", "seats": "c_seats", "arr": "c_arr"})
    )


def _first_churn_day(facts: AccountFacts) -> pd.Series:
    churns = facts.outcomes[facts.outcomes["kind"] == "churned"]
    days = day_of(churns["occurred_on"])
    return days.groupby(churns["account_id"]).min()


def _with_tickets(rows: pd.DataFrame, tickets: pd.DataFrame) -> pd.DataFrame:
    """Tickets opened in the trailing 90 days, per 30-day month."""
    counted = tickets.assign(day=day_of(tickets["opened_at"])).dropna(subset=["day"])
    counted = (
        counted.groupby(["account_id", "day"]).size().groupby(level=0).cumsum()
    ).rename("tickets_to_date")
    timeline = counted.reset_index()
    now = _asof(rows, timeline, "day")["tickets_to_date"].fillna(0)
    earlier = _asof(
        rows.assign(observed_day=rows["observed_day"] - TICKET_DAYS),
        timeline,
        "day",
    )["tickets_to_date"].fillna(0)
    rows["tickets_per_month"] = (now.to_numpy() - earlier.to_numpy()) / (
        TICKET_DAYS / 30
    )
    return rows


def _with_latest_nps(rows: pd.DataFrame, nps: pd.DataFrame) -> pd.DataFrame:
    answers = nps.assign(day=day_of(nps["responded_at"]))
    answers = answers.dropna(subset=["day"]).sort_values(["day", "responded_at"])
    latest = answers.groupby(["account_id", "day"])["score"].last().reset_index()
    rows = _asof(rows, latest.rename(columns={"score": "latest_nps"}), "day")
    rows["latest_nps"] = rows["latest_nps"].astype("float64")
    return rows


def _with_attributes(rows: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    attributes = pd.DataFrame(
        list(accounts["attributes"].map(lambda value: value or {})),
        index=accounts["account_id"],
    )
    if attributes.empty:
        return rows
    attributes.columns = [ATTRIBUTE_PREFIX + str(name) for name in attributes.columns]
    return rows.join(attributes, on="account_id")


def _asof(rows: pd.DataFrame, timeline: pd.DataFrame, on: str) -> pd.DataFrame:
    """Join each row to the latest timeline entry on or before its day."""
    order = np.argsort(rows["observed_day"].to_numpy(), kind="stable")
    left = rows.iloc[order].copy()
    left["_order"] = order
    if timeline.empty:
        for column in timeline.columns.drop(["account_id", on], errors="ignore"):
            left[column] = np.nan
        joined = left
    else:
        right = timeline.astype({on: "int64"}).sort_values(on)
        joined = pd.merge_asof(
            left,
            right,
            left_on="observed_day",
            right_on=on,
            by="account_id",
            direction="backward",
        ).drop(columns=[on])
    joined = joined.sort_values("_order").drop(columns=["_order"])
    return joined.set_axis(rows.index)
