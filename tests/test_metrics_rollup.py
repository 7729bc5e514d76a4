"""The incremental daily metrics equal the metrics computed from all events."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from steward.events.store import EVENT_SCHEMA, EventStore, utc_days
from steward.metrics import rollup
from steward.metrics.catalogue import EventTaxonomy
from steward.metrics.service import metrics_as_of
from tests.test_metrics import _event, _facts
from tests.tracking_helpers import compacting_after_first_listing, segment_call

TX = EventTaxonomy()
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
FACTS = _facts([("A", 3), ("B", 0), ("C", 2), ("D", 1)])

batches = st.lists(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),
            st.sampled_from(["u1", "u2", "u3", None]),
            st.sampled_from(
                [
                    "login",
                    "core_workflow_completed",
                    "feature_used",
                    "api_call",
                    "error",
                ]
            ),
            st.sampled_from([None, "f1", "f2"]),
            st.integers(min_value=0, max_value=24 * 24 - 1),
            st.integers(min_value=1, max_value=5),
        ),
        min_size=1,
        max_size=30,
    ),
    min_size=1,
    max_size=4,
)


def _table(rows, offset: int) -> pa.Table:
    events = [
        _event(offset + i, a, u, e, START + dt.timedelta(hours=h), q, feature=f)
        for i, (a, u, e, f, h, q) in enumerate(rows)
    ]
    return pa.Table.from_pylist(events, schema=EVENT_SCHEMA)


def _both(events: EventStore, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    con = ibis.duckdb.connect()
    fast = metrics_as_of(con, events, FACTS, as_of, 14, TX, incremental=True)
    full = metrics_as_of(con, events, FACTS, as_of, 14, TX, incremental=False)
    return fast, full


@settings(max_examples=15, deadline=None)
@given(batches=batches)
def test_each_new_file_folded_in_gives_the_full_computation(tmp_path_factory, batches):
    events = EventStore(tmp_path_factory.mktemp("events"))
    as_of = (START + dt.timedelta(days=24)).date()

    for number, rows in enumerate(batches):
        events.append(_table(rows, 1000 * number))
        fast, full = _both(events, as_of)

        pd.testing.assert_frame_equal(fast, full)


def test_calls_still_in_segments_count_without_being_kept(tmp_path):
    events = EventStore(tmp_path)
    events.append(_table([("A", "u1", "login", None, 5, 1)], 0))
    writer = segment_call(
        events, "C", "u9", "feature_used", START + DAY * 3, feature="f2", quantity=2
    )
    as_of = (START + dt.timedelta(days=10)).date()

    fast, full = _both(events, as_of)
    kept = rollup.update(events, TX)

    pd.testing.assert_frame_equal(fast, full)
    assert fast.loc["C", "active_users"] == 1
    assert kept.accounts == ["A"]
    writer.close()


def test_calls_compacted_while_an_answer_is_read_count_once(tmp_path):
    events = EventStore(tmp_path)
    events.append(_table([("A", "u1", "login", None, 5, 1)], 0))
    writer = segment_call(
        events, "C", "u9", "feature_used", START + DAY * 3, feature="f2", quantity=2
    )
    writer.close()
    as_of = (START + dt.timedelta(days=10)).date()
    compacting_after_first_listing(events)

    usage = rollup.usage_as_of(events, as_of, 14, TX).set_index("account_id")
    again = rollup.usage_as_of(events, as_of, 14, TX).set_index("account_id")

    assert len(events.files()) == 2  # the call is in a file now
    assert usage.loc["C", "active_users"] == 1
    pd.testing.assert_frame_equal(usage, again)
    fast, full = _both(events, as_of)
    pd.testing.assert_frame_equal(fast, full)


def test_a_folded_file_removed_rebuilds_the_summary(tmp_path):
    events = EventStore(tmp_path)
    events.append(_table([("A", "u1", "login", None, 5, 1)], 0))
    removed = events.append(_table([("C", "u2", "feature_used", "f1", 30, 3)], 100))
    as_of = (START + dt.timedelta(days=10)).date()
    before, _ = _both(events, as_of)

    for path in removed.written:
        path.unlink()
    fast, full = _both(events, as_of)

    assert before.loc["C", "active_users"] == 1
    assert fast.loc["C", "active_users"] == 0
    pd.testing.assert_frame_equal(fast, full)


def test_a_day_before_the_latest_event_is_computed_from_the_events(tmp_path):
    events = EventStore(tmp_path)
    events.append(_table([("A", "u1", "login", None, 5, 1)], 0))
    events.append(_table([("A", "u2", "login", None, 24 * 20, 1)], 10))

    usage = rollup.usage_as_of(events, START.date() + dt.timedelta(days=10), 14, TX)
    fast, full = _both(events, START.date() + dt.timedelta(days=10))

    assert usage is None
    pd.testing.assert_frame_equal(fast, full)
    assert fast.loc["A", "active_users"] == 1


def test_a_later_file_named_like_one_of_another_month_is_folded_in(tmp_path):
    events = EventStore(tmp_path)
    january = _table([("A", "u1", "login", None, 5, 1)], 0)
    february = _table([("A", "u2", "login", None, 24 * 35, 1)], 10)
    as_of = (START + dt.timedelta(days=40)).date()

    for month, table in (("2024-01", january), ("2024-02", february)):
        folder = tmp_path / month
        folder.mkdir()
        dated = table.drop_columns(["day"]).append_column("day", utc_days(table["ts"]))
        pq.write_table(dated, folder / "x.parquet")
        fast, full = _both(events, as_of)

    pd.testing.assert_frame_equal(fast, full)
    assert fast.loc["A", "logins"] == 1


def test_an_account_quiet_longer_than_the_days_kept_keeps_its_last_active_day(
    tmp_path,
):
    events = EventStore(tmp_path)
    events.append(_table([("A", "u1", "login", None, 5, 1)], 0))
    later = START + dt.timedelta(days=rollup.KEEP_DAYS + 40)
    events.append(
        pa.Table.from_pylist(
            [_event(9, "C", "u2", "login", later, 1)], schema=EVENT_SCHEMA
        )
    )
    as_of = later.date()

    fast, full = _both(events, as_of)

    pd.testing.assert_frame_equal(fast, full)
    assert fast.loc["A", "days_since_last_activity"] == rollup.KEEP_DAYS + 40


def test_an_unreadable_summary_is_rebuilt_from_the_event_files(tmp_path):
    events = EventStore(tmp_path)
    events.append(_table([("A", "u1", "login", None, 5, 1)], 0))
    as_of = (START + dt.timedelta(days=3)).date()
    rollup.update(events, TX)
    (tmp_path / "rollup" / "users_main_keys.npy").write_bytes(b"not a summary")

    fast, full = _both(events, as_of)

    pd.testing.assert_frame_equal(fast, full)
    assert fast.loc["A", "logins"] == 1


@settings(max_examples=10, deadline=None)
@given(batches=batches)
def test_files_folded_a_few_rows_at_a_time_with_pairs_merged_give_the_same(
    tmp_path_factory, batches
):
    events = EventStore(tmp_path_factory.mktemp("events"))
    as_of = (START + dt.timedelta(days=24)).date()
    original = rollup.TAIL_MIN, rollup.BATCH_ROWS
    rollup.TAIL_MIN = 0  # every new pair makes the tail too long
    rollup.BATCH_ROWS = 3  # a file's events in batches of three
    try:
        for number, rows in enumerate(batches):
            events.append(_table(rows, 1000 * number))
            fast, full = _both(events, as_of)

            pd.testing.assert_frame_equal(fast, full)
        assert len(rollup.update(events, TX).users.tail_keys) == 0
    finally:
        rollup.TAIL_MIN, rollup.BATCH_ROWS = original


def test_an_update_cut_short_is_thrown_away_and_rebuilt(tmp_path):
    events = EventStore(tmp_path)
    events.append(_table([("A", "u1", "login", None, 5, 1)], 0))
    rollup.update(events, TX)
    # A process killed after changing a day in place, before lifting the mark.
    (tmp_path / "rollup" / "dirty").write_text("")
    last = tmp_path / "rollup" / "users_main_last.npy"
    np.save(last, np.full_like(np.load(last), -1))
    events.append(_table([("A", "u2", "login", None, 24 * 2, 1)], 10))
    as_of = (START + dt.timedelta(days=3)).date()

    fast, full = _both(events, as_of)

    pd.testing.assert_frame_equal(fast, full)
    assert fast.loc["A", "active_users"] == 2
    assert not (tmp_path / "rollup" / "dirty").exists()


def test_events_older_than_the_days_kept_rebuild_the_summary(tmp_path):
    events = EventStore(tmp_path)
    later = START + dt.timedelta(days=rollup.KEEP_DAYS + 40)
    for table in (
        _table([("A", "u1", "login", None, 5, 1)], 0),
        _table([("A", "u1", "login", None, 24 * 20, 1)], 5),
        pa.Table.from_pylist(
            [_event(9, "C", "u2", "login", later, 1)], schema=EVENT_SCHEMA
        ),
    ):
        events.append(table)
        kept = rollup.update(events, TX)  # each file folded as it lands
    assert kept.pruned  # the first day is no longer kept
    # A late file with an event from before every day kept.
    events.append(_table([("B", "u3", "login", None, 24 * 2, 1)], 20))
    as_of = later.date()

    fast, full = _both(events, as_of)

    pd.testing.assert_frame_equal(fast, full)
    assert fast.loc["B", "days_since_last_activity"] == rollup.KEEP_DAYS + 38
    assert "B" in rollup.update(events, TX).accounts


def test_a_first_catch_up_reads_only_last_days_from_files_too_old_to_count(tmp_path):
    events = EventStore(tmp_path)
    events.append(
        _table([("A", "u1", "login", None, 5, 1), ("B", "u2", "login", None, 30, 2)], 0)
    )
    later = START + dt.timedelta(days=rollup.KEEP_DAYS + 40)
    recent = [
        _event(20 + i, "C", f"u{i}", "login", later - dt.timedelta(days=i), 1)
        for i in range(20)
    ]
    events.append(pa.Table.from_pylist(recent, schema=EVENT_SCHEMA))
    as_of = later.date()

    kept = rollup.update(events, TX)
    fast, full = _both(events, as_of)

    pd.testing.assert_frame_equal(fast, full)
    assert rollup.usage_as_of(events, as_of, 14, TX) is not None
    # The old file was not folded: no day of it is kept, yet its accounts
    # keep their last active day.
    assert min(kept.days) > rollup.day_number(START.date()) + 5
    assert fast.loc["A", "days_since_last_activity"] == rollup.KEEP_DAYS + 40
    assert fast.loc["B", "days_since_last_activity"] == rollup.KEEP_DAYS + 39
    assert fast.loc["C", "active_users"] == 14
