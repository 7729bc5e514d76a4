"""Plain frames of what the operational store knows, for the metric step.

The only module of ``steward.metrics`` that reads the store: everything else
here takes these frames and returns frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import orjson
import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from steward.store.models import (
    Account,
    Contract,
    NpsResponse,
    Outcome,
    Ticket,
)


@dataclass(frozen=True)
class AccountFacts:
    """One frame per kind of record; ``account_id`` is the external id throughout."""

    accounts: pd.DataFrame
    contracts: pd.DataFrame
    tickets: pd.DataFrame
    nps: pd.DataFrame
    outcomes: pd.DataFrame

    @cached_property
    def start_days(self) -> pd.Series:
        """Each account's first contract start as a day number, by account id.

        An account without contracts starts on its signing date, if known.
        """
        first = (
            day_of(self.contracts["start_date"])
            .groupby(self.contracts["account_id"])
            .min()
        )
        signed = day_of(self.accounts["signed_on"])
        signed.index = self.accounts["account_id"]
        signed = signed.dropna()
        both = pd.concat([first, signed[~is_in(signed.index, first.index)]])
        return both.sort_index()

    @cached_property
    def _contract_days(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each contract's account position (in ``accounts``), start and end day."""
        positions = pd.Index(self.accounts["account_id"]).get_indexer(
            self.contracts["account_id"]
        )
        start = day_of(self.contracts["start_date"]).to_numpy(dtype="float64")
        end = day_of(self.contracts["end_date"]).to_numpy(dtype="float64")
        return positions, start, end

    def renewal_days(self, day: int) -> np.ndarray:
        """Per account, in ``accounts`` order: the last end day of its contracts
        running on ``day`` (started, not ended), NaN where none runs or none
        of them has an end."""
        positions, start, end = self._contract_days
        with np.errstate(invalid="ignore"):
            running = (start <= day) & (end >= day) & (positions >= 0)
        found = np.full(len(self.accounts), -np.inf)
        np.maximum.at(found, positions[running], end[running])
        found[np.isinf(found)] = np.nan
        return found


# What the daily run reads of every account, once: the metric step, the
# coverage rules, the journeys and the playbooks all take it from here.
ACCOUNT_COLUMNS = {
    "id": Account.id,
    "account_id": Account.external_id,
    "name": Account.name,
    "seats": Account.seats,
    "arr": Account.arr,
    "country": Account.country,
    "industry": Account.industry,
    "tier": Account.tier,
    "coverage": Account.coverage,
    "segment": Account.segment,
    "custom_integrations": Account.custom_integrations,
    "csm_id": Account.csm_id,
    "ae_id": Account.ae_id,
    "lifecycle_stage": Account.lifecycle_stage,
    "signed_on": Account.signed_on,
    "attributes": Account.attributes,
}


def load_facts(session: Session) -> AccountFacts:
    """Every account with its contracts, tickets, NPS answers and outcomes.

    Rows are fetched without SQLAlchemy's per-value conversion and converted
    a column at a time: at 100,000 accounts that is seconds per daily run.
    """
    account_rows = plain_rows(session, select(*ACCOUNT_COLUMNS.values()))
    ids = {row[0]: row[1] for row in account_rows}
    accounts = pd.DataFrame(account_rows, columns=list(ACCOUNT_COLUMNS))
    accounts["custom_integrations"] = flags(accounts["custom_integrations"])
    contracts = _frame(
        session,
        select(
            Contract.account_id,
            Contract.start_date,
            Contract.end_date,
            Contract.seats,
            Contract.arr,
            Contract.outcome,
            Contract.closed_on,
            Contract.billing_period,
        ),
        [
            "account",
            "start_date",
            "end_date",
            "seats",
            "arr",
            "outcome",
            "closed_on",
            "billing_period",
        ],
        ids,
    )
    tickets = _frame(
        session,
        select(Ticket.account_id, Ticket.opened_at),
        ["account", "opened_at"],
        ids,
    )
    nps = _frame(
        session,
        select(NpsResponse.account_id, NpsResponse.responded_at, NpsResponse.score),
        ["account", "responded_at", "score"],
        ids,
    )
    outcomes = _frame(
        session,
        select(Outcome.account_id, Outcome.kind, Outcome.occurred_on),
        ["account", "kind", "occurred_on"],
        ids,
    )
    accounts["attributes"] = accounts["attributes"].map(_json)
    for frame, column in (
        (accounts, "signed_on"),
        (contracts, "start_date"),
        (contracts, "end_date"),
        (contracts, "closed_on"),
        (outcomes, "occurred_on"),
    ):
        # Midnight timestamps, not date objects: day arithmetic on them is
        # vectorised, where a column of Python dates is not.
        frame[column] = pd.to_datetime(frame[column])
    for frame, column in ((tickets, "opened_at"), (nps, "responded_at")):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return AccountFacts(accounts, contracts, tickets, nps, outcomes)


def plain_rows(session: Session, query: Select) -> list[tuple]:
    """Plain tuples from the driver, without SQLAlchemy's per-value conversion.

    Values are as the driver gives them: dates may be text (SQLite) or
    objects, booleans 0 and 1 on SQLite. Bound values are rendered into the
    SQL, so queries carry only ids, dates and names, never a person's text.
    Pending ORM changes are flushed first, as a session query would.
    """
    session.flush()
    connection = session.connection()
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"literal_binds": True}
    )
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled))
        return cursor.fetchall()
    finally:
        cursor.close()


def flags(column: pd.Series) -> pd.Series:
    """A boolean column read by :func:`plain_rows` as SQLAlchemy reads it.

    SQLite gives 0 and 1: these become True and False, None stays None.
    """
    values = [None if v is None or v != v else bool(v) for v in column.tolist()]
    return pd.Series(values, index=column.index)


def _json(value: object) -> dict:
    if value is None:
        return {}
    return orjson.loads(value) if isinstance(value, str | bytes) else dict(value)


def _frame(
    session: Session, query: Select, columns: list[str], ids: dict[int, str]
) -> pd.DataFrame:
    frame = pd.DataFrame(plain_rows(session, query), columns=columns)
    frame.insert(0, "account_id", frame.pop("account").map(ids))
    return frame


def is_in(values: pd.Series | pd.Index, pool: pd.Series | pd.Index) -> np.ndarray:
    """Which of ``values`` are in ``pool``, as a boolean array.

    Through a hash index of plain Python strings: pandas' ``isin`` on its
    Arrow-backed text walks the pool in Python, about a second at 100,000.
    """
    known = pd.Index(pd.unique(np.asarray(pool, dtype=object)))
    return known.get_indexer(np.asarray(values, dtype=object)) >= 0


def day_of(values: pd.Series) -> pd.Series:
    """Dates or timestamps as day numbers since 1970-01-01 (float, NaN if missing).

    Timestamps are taken in UTC; a plain date is that calendar day.
    """
    stamps = pd.to_datetime(values, utc=True, errors="coerce")
    return (stamps - _EPOCH) // pd.Timedelta(days=1)


_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
