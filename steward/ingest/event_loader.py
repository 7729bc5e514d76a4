"""Usage events from a prepared file into the event store, column at a time.

Events may arrive before the CRM sync that creates their accounts, so an
unknown account does not reject an event: it is kept and counted in one
warning. Events without a ``message_id`` get a stable one: a hash of the
row's values and of how many identical rows came before it in the file, so
importing the same file again stores nothing twice.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.orm import Session

from steward.events.duck import quiet_duckdb
from steward.events.store import EventStore
from steward.ingest import loaders
from steward.ingest.convert import Prepared, typed_property
from steward.ingest.kinds import account_names
from steward.ingest.mapping import Source
from steward.ingest.report import ImportReport, Problem
from steward.store.models import Account

_NUMBERS = ("ts::varchar", "quantity::varchar", "errors::varchar", "value::varchar")


def load_events(
    session: Session,
    store: EventStore,
    prepared: Prepared,
    source: Source,
    actor: str,
    report: ImportReport,
) -> tuple[Path, ...]:
    """Append the kept rows to ``store``; new ones count as inserted, known ones
    (same ``message_id``) as unchanged. Returns the event files written, which
    the caller removes if its transaction fails."""
    accounts = _accounts(session, prepared, source)
    kept = pa.array(prepared.kept())
    accounts = accounts.take(kept)
    _check_accounts(session, prepared, source, accounts, kept, actor, report)
    table = _events_table(prepared, kept, accounts)
    result = store.append(table)
    report.inserted += result.inserted
    report.unchanged += result.duplicates
    return result.written


def _accounts(session: Session, prepared: Prepared, source: Source) -> pa.Array:
    if source.specs["account"].lookup == "contract":
        return pa.array(account_names(session, prepared, source), pa.string())
    return prepared.fields["account"]


def _check_accounts(
    session: Session,
    prepared: Prepared,
    source: Source,
    accounts: pa.Array,
    kept: pa.Array,
    actor: str,
    report: ImportReport,
) -> None:
    wanted = set(pc.unique(accounts).to_pylist())
    known = loaders.ids_by_key(session, Account, "external_id", wanted)
    unknown = wanted - set(known)
    if not unknown:
        return
    if source.create_accounts:
        loaders.create_accounts(session, unknown, actor, prepared.name)
        report.accounts_created = len(unknown)
        return
    strangers = pc.is_in(accounts, pa.array(sorted(unknown), pa.string()))
    report.unknown_accounts = pc.sum(strangers).as_py()
    first = int(pc.index(strangers, True).as_py())
    row = int(prepared.rows[kept[first].as_py()])
    rule = (
        f"{report.unknown_accounts} events name {len(unknown)} accounts Steward does "
        f"not know yet (first: '{accounts[first]}' in row {row}); they are kept and "
        "count once those accounts are imported"
    )
    column = prepared.columns.get("account")
    report.problems.append(Problem(prepared.name, None, column, rule, level="warning"))


def _events_table(prepared: Prepared, kept: pa.Array, accounts: pa.Array) -> pa.Table:
    fields = {name: array.take(kept) for name, array in prepared.fields.items()}
    size = len(kept)
    columns = {
        "account_id": accounts,
        "user_id": fields.get("user_id", pa.nulls(size, pa.string())),
        "event": fields["event"],
        "feature": fields.get("feature", pa.nulls(size, pa.string())),
        "ts": fields["ts"],
        "quantity": fields.get("quantity", pa.repeat(pa.scalar(1, pa.int64()), size)),
        "errors": fields.get("errors", pa.repeat(pa.scalar(0, pa.int64()), size)),
        "value": fields.get("value", pa.nulls(size, pa.float64())),
    }
    properties = {name: array.take(kept) for name, array in prepared.properties.items()}
    table = pa.table(columns)
    given = fields.get("message_id")
    derived = _derived(table, properties)
    message_id = given if given is not None else derived.column("message_id")
    now = pa.scalar(dt.datetime.now(dt.UTC), pa.timestamp("us", "UTC"))
    table = table.append_column("message_id", message_id)
    table = table.append_column("properties", derived.column("properties"))
    return table.append_column("received_at", pa.repeat(now, size))


def _derived(table: pa.Table, properties: dict[str, pa.Array]) -> pa.Table:
    """Stable message ids and the properties as JSON text, in row order.

    The hash reads the values as text that does not depend on any library's
    number formatting: times as microseconds, values as millionths.
    """
    size = table.num_rows
    key = {
        "pos": pa.array(np.arange(size, dtype=np.int64)),
        "account": table["account_id"],
        "user": table["user_id"],
        "event": table["event"],
        "feature": table["feature"],
        "ts": pc.cast(table["ts"], pa.int64()),
        "quantity": table["quantity"],
        "errors": table["errors"],
        "value": pc.cast(pc.round(pc.multiply(table["value"], 1e6)), pa.int64()),
    }
    raw = {f"p_{i}": array for i, array in enumerate(properties.values())}
    typed = {
        f"t_{i}": typed_property(array) for i, array in enumerate(properties.values())
    }
    frame = pa.table({**key, **raw, **typed})
    parts = ["account", "user", "event", "feature", *_NUMBERS, *raw]
    text = ", ".join(f"coalesce({part}, chr(0))" for part in parts)
    names = list(properties)
    pack = ", ".join(f'"{_escape(n)}" := t_{i}' for i, n in enumerate(names))
    json = f"to_json(struct_pack({pack}))::varchar" if names else "null::varchar"
    query = f"""
        select md5(key) as message_id, hash(key) as quick, {json} as properties
        from (select pos, concat_ws(chr(31), {text}) as key, * from frame)
        order by pos
    """
    with quiet_duckdb() as con:
        con.execute("set enable_progress_bar = false")
        con.register("frame", frame)
        derived = con.sql(query).to_arrow_table()
    numbered = _numbered(derived["message_id"], derived["quick"])
    return derived.set_column(0, "message_id", numbered)


def _numbered(hashes: pa.ChunkedArray, quick: pa.ChunkedArray) -> pa.Array:
    """Identical rows get ``.1``, ``.2``... after their hash, in file order.

    ``quick`` is a 64-bit hash of the same text: when all of those differ, so
    do the rows, and the slower look at the md5 texts is skipped.
    """
    hashes = hashes.combine_chunks()
    ordered = np.sort(quick.to_numpy())
    if not (ordered[1:] == ordered[:-1]).any():
        return hashes
    series = pd.Series(hashes.to_numpy(zero_copy_only=False))
    occurrence = series.groupby(series, sort=False).cumcount().to_numpy()
    suffix = np.where(occurrence > 0, "." + occurrence.astype(str), "")
    return pa.array(np.char.add(series.to_numpy().astype(str), suffix))


def _escape(name: str) -> str:
    return name.replace('"', '""')
