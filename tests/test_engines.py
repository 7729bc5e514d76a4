"""The same metric definitions on DuckDB, PostgreSQL and Spark give the same answers.

The events are Sparkify's (real page events of 98 users, November 2018) plus
a few rows with no user and with features, so nulls are exercised too.
PostgreSQL reads them from a team table with its own column names through
the column mapping; Spark reads Steward's own Parquet files and, separately,
a team table.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from steward.config import load_settings
from steward.errors import ConfigInvalid
from steward.events.engines import TeamEvents, connect, event_store, spark_session
from steward.events.store import EVENT_SCHEMA, EventStore
from steward.metrics.catalogue import EventTaxonomy, day_number
from steward.metrics.facts import AccountFacts
from steward.metrics.service import metric_history, metrics_as_of
from steward.metrics.signals import available_signals, milestone_signals

AS_OF = dt.date(2018, 11, 30)
TX = EventTaxonomy(
    login=["Login"], core_workflow=["NextSong"], api_call=["Settings"], error=["Error"]
)
TEAM_COLUMNS = {
    "message_id": "event_id",
    "account_id": "group_id",
    "user_id": "person",
    "event": "name",
    "ts": "occurred_at",
    "quantity": "qty",
    "errors": "errs",
    "value": "amount",
    "feature": "area",
}


def _events(shared_data: Path) -> pa.Table:
    path = shared_data / "events" / "sparkify_eventsim_2018-11.jsonl"
    records = [json.loads(line) for line in path.open() if line.strip()]
    rows = []
    for n, record in enumerate(records):
        if not record.get("userId"):
            continue
        when = dt.datetime.fromtimestamp(record["ts"] / 1000, dt.UTC)
        rows.append(
            _row(
                f"s{n}",
                record["userId"],
                record["userId"],
                record["page"],
                when,
                feature=None if record["page"] == "NextSong" else record["level"],
                errors=int(record["status"] >= 400),
                value=record["length"],
            )
        )
    rng = random.Random(7)
    start = dt.datetime(2018, 10, 1, tzinfo=dt.UTC)
    for n in range(300):
        when = start + dt.timedelta(hours=rng.randrange(60 * 24))
        rows.append(
            _row(
                f"x{n}",
                rng.choice(["team-a", "team-b", "39"]),
                rng.choice(["p1", "p2", None]),
                rng.choice(["Login", "NextSong", "Export", "Error", "Settings"]),
                when,
                feature=rng.choice([None, "charts", "sharing"]),
                quantity=rng.randrange(1, 4),
                errors=0,
                value=None,
            )
        )
    table = pa.Table.from_pylist(rows, schema=EVENT_SCHEMA.remove(11))
    return table.append_column("day", pa.array([0] * len(rows), pa.int32()))


def _row(mid, account, user, event, when, feature, errors, value, quantity=1):
    return {
        "message_id": mid,
        "account_id": account,
        "user_id": user,
        "event": event,
        "feature": feature,
        "ts": when,
        "quantity": quantity,
        "errors": errors,
        "value": value,
        "properties": None,
        "received_at": when,
    }


def _team_table(events: EventStore) -> pa.Table:
    """The same events as a team would keep them: its own names, no ``day``."""
    con = ibis.duckdb.connect()
    table = con.to_pyarrow(events.table(con).drop("day", "received_at"))
    return table.rename_columns([TEAM_COLUMNS.get(n, n) for n in table.column_names])


def _facts(accounts: list[str]) -> AccountFacts:
    empty = {"columns": ["account_id"]}
    return AccountFacts(
        accounts=pd.DataFrame(
            {
                "id": range(1, len(accounts) + 1),
                "account_id": accounts,
                "name": accounts,
                "seats": [3] * len(accounts),
                "arr": [1000.0] * len(accounts),
                "country": "US",
                "tier": None,
                "csm_id": None,
                "lifecycle_stage": "adoption",
                "signed_on": pd.Timestamp("2018-10-15"),
                "attributes": [{}] * len(accounts),
            }
        ),
        contracts=pd.DataFrame(
            columns=[
                "account_id",
                "start_date",
                "end_date",
                "seats",
                "arr",
                "outcome",
                "closed_on",
            ]
        ),  # fmt: skip
        tickets=pd.DataFrame(columns=["account_id", "opened_at"]),
        nps=pd.DataFrame(columns=["account_id", "responded_at", "score"]),
        outcomes=pd.DataFrame(**empty).assign(kind=None, occurred_on=None),
    )


def _results(con, events) -> dict[str, pd.DataFrame]:  # noqa: ANN001
    table = events.table(con)
    accounts = sorted(
        set(con.execute(table.select("account_id").distinct())["account_id"])
        | {"quiet"}
    )
    facts = _facts(accounts)
    scope = pd.DataFrame(
        {"account_id": accounts, "start_day": day_number(AS_OF) - 45, "seats": 3}
    )
    signals = con.execute(milestone_signals(table, scope, TX, [0.7, 0.3]))
    return {
        "daily": metrics_as_of(con, events, facts, AS_OF, 28, TX).reset_index(),
        "history": metric_history(con, events, facts, AS_OF, 6, 28, TX),
        "signals": signals,
        "available": pd.DataFrame(
            {"signal": sorted(available_signals(con, table, day_number(AS_OF), TX))}
        ),
    }


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("account_id", "observed_day", "signal") if c in frame]
    frame = frame[sorted(frame.columns)].sort_values(keys).reset_index(drop=True)
    for column in frame.columns:
        if frame[column].dtype == object and column not in keys:
            frame[column] = pd.to_numeric(frame[column])
    return frame.astype({c: "float64" for c in frame.columns if c not in keys})


@pytest.fixture(scope="module")
def stored(tmp_path_factory, shared_data) -> EventStore:
    events = EventStore(tmp_path_factory.mktemp("engines") / "events")
    events.append(_events(shared_data))
    return events


@pytest.fixture(scope="module")
def duckdb_results(stored) -> dict[str, pd.DataFrame]:
    con = connect(load_settings())
    return _results(con, stored)


@pytest.fixture(scope="module")
def spark():
    session = spark_session("local[2]")
    yield session
    session.stop()


def _assert_same(actual: dict, expected: dict) -> None:
    assert expected["daily"]["events_total"].sum() > 5000  # really computed
    for name in expected:
        pd.testing.assert_frame_equal(
            _canonical(actual[name]), _canonical(expected[name]), rtol=1e-9
        )


def test_postgresql_on_a_team_table_with_its_own_column_names(
    stored, duckdb_results, pg_url, tmp_path
):
    url = pg_url.replace("postgresql+psycopg://", "postgresql://")
    settings = load_settings(
        home=tmp_path,
        events_url=url,
        events_table="product_events",
        events_columns=TEAM_COLUMNS,
    )
    con = connect(settings)
    con.create_table("product_events", _team_table(stored), overwrite=True)

    results = _results(con, event_store(settings))

    _assert_same(results, duckdb_results)


def test_spark_on_stewards_own_parquet_files(stored, duckdb_results, spark):
    con = connect(load_settings(events_url="pyspark://local[2]"))

    results = _results(con, stored)

    _assert_same(results, duckdb_results)


def test_spark_on_a_team_table(stored, duckdb_results, spark, tmp_path):
    pq.write_table(_team_table(stored), tmp_path / "team.parquet")
    team = spark.read.parquet(str(tmp_path / "team.parquet"))
    team.createOrReplaceTempView("product_events")
    settings = load_settings(
        home=tmp_path,
        events_url="pyspark://local[2]",
        events_table="product_events",
        events_columns=TEAM_COLUMNS,
    )

    con = connect(settings)
    facts = _facts(sorted(duckdb_results["daily"]["account_id"]))
    events = event_store(settings)

    daily = metrics_as_of(con, events, facts, AS_OF, 28, TX).reset_index()

    _assert_same({"daily": daily}, {"daily": duckdb_results["daily"]})


def test_a_team_table_missing_a_required_column_names_the_fix(tmp_path):
    con = ibis.duckdb.connect()
    con.create_table("raw", pd.DataFrame({"group_id": ["a"], "name": ["x"]}))
    events = TeamEvents(tmp_path, "raw", {"account_id": "group_id", "event": "name"})

    with pytest.raises(ConfigInvalid) as error:
        events.table(con)

    assert str(error.value) == (
        "event table raw has no column 'ts' for Steward's 'ts'; map it in "
        'STEWARD_EVENTS_COLUMNS, e.g. \'{"ts": "your_column"}\''
    )


def test_postgresql_without_a_table_is_refused_with_the_fix(tmp_path):
    settings = load_settings(home=tmp_path, events_url="postgresql://x@h/db")

    with pytest.raises(ConfigInvalid) as error:
        event_store(settings)

    assert str(error.value) == (
        "STEWARD_EVENTS_URL points at postgresql, which cannot read Steward's own "
        "files: set STEWARD_EVENTS_TABLE to the event table there"
    )
