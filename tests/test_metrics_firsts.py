"""The kept journey signals equal the signals computed from every event."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from steward.events.store import EVENT_SCHEMA, EventStore
from steward.metrics.catalogue import EventTaxonomy, day_number
from steward.metrics.firsts import journey_signals
from steward.metrics.signals import milestone_signals
from tests.test_metrics import _event
from tests.tracking_helpers import compacting_after_first_listing, segment_call

TX = EventTaxonomy()
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
FIRST_DAY = day_number(START.date())
THRESHOLDS = [0.5, 0.7]

events_lists = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", "C"]),
        st.sampled_from(["u1", "u2", "u3", "u4", None]),
        st.sampled_from(["login", "core_workflow_completed", "feature_used"]),
        st.integers(min_value=0, max_value=20 * 24 - 1),
    ),
    min_size=1,
    max_size=25,
)
scopes = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", "C", "D"]),
        st.integers(min_value=0, max_value=12),
        st.sampled_from([0, 1, 3, 4, 6]),
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda item: item[0],
)


def _table(rows, offset: int) -> pa.Table:
    events = [
        _event(offset + i, a, u, e, START + dt.timedelta(hours=h))
        for i, (a, u, e, h) in enumerate(rows)
    ]
    return pa.Table.from_pylist(events, schema=EVENT_SCHEMA)


def _scope(items) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": [account for account, _, _ in items],
            "start_day": [FIRST_DAY + start for _, start, _ in items],
            "seats": [float(seats) for _, _, seats in items],
        }
    )


def _from_events(events: EventStore, scope: pd.DataFrame) -> pd.DataFrame:
    con = ibis.duckdb.connect()
    query = milestone_signals(events.table(con), scope, TX, THRESHOLDS)
    return con.execute(query).set_index("account_id")


def _same(kept: pd.DataFrame, full: pd.DataFrame) -> None:
    columns = ["first_login", "first_core_workflow", "seat_activation_0"]
    columns.append("seat_activation_1")
    left = kept[columns].astype("float64").sort_index()
    right = full[columns].astype("float64").sort_index()
    pd.testing.assert_frame_equal(left, right, check_names=False)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(events_lists, scopes), min_size=1, max_size=4))
def test_each_new_file_and_scope_gives_the_signals_from_the_events(
    tmp_path_factory, steps
):
    events = EventStore(tmp_path_factory.mktemp("events"))

    for number, (rows, items) in enumerate(steps):
        events.append(_table(rows, 1000 * number))
        scope = _scope(items)

        _same(
            journey_signals(events, scope, TX, THRESHOLDS), _from_events(events, scope)
        )


def test_a_late_file_with_earlier_events_lowers_the_firsts(tmp_path):
    events = EventStore(tmp_path)
    scope = _scope([("A", 0, 2)])
    rows = [("A", "u1", "login", 24 * 9), ("A", "u2", "feature_used", 24 * 9)]
    events.append(_table([*rows, ("A", "u3", "feature_used", 24 * 7)], 0))
    before = journey_signals(events, scope, TX, THRESHOLDS)

    # u2, already kept from day 9, was active on day 3 too; u4 is new.
    late = [("A", "u2", "login", 24 * 3), ("A", "u4", "feature_used", 24 * 8)]
    events.append(_table(late, 100))
    after = journey_signals(events, scope, TX, THRESHOLDS)

    assert before.loc["A", "first_login"] == FIRST_DAY + 9
    assert after.loc["A", "first_login"] == FIRST_DAY + 3
    # Two seats: more than half of them is 2 users. Before, the second user
    # came on day 9 (u3 on 7, u1 and u2 on 9); after, on day 7 (u2 on 3).
    assert before.loc["A", "seat_activation_0"] == FIRST_DAY + 9
    assert after.loc["A", "seat_activation_0"] == FIRST_DAY + 7
    _same(after, _from_events(events, scope))


def test_a_moved_start_reads_the_account_again(tmp_path):
    events = EventStore(tmp_path)
    events.append(
        _table([("A", "u1", "login", 24 * 1), ("A", "u2", "login", 24 * 8)], 0)
    )
    journey_signals(events, _scope([("A", 0, 1)]), TX, THRESHOLDS)

    moved = journey_signals(events, _scope([("A", 5, 1)]), TX, THRESHOLDS)

    assert moved.loc["A", "first_login"] == FIRST_DAY + 8
    _same(moved, _from_events(events, _scope([("A", 5, 1)])))


def test_calls_still_in_segments_count_without_being_kept(tmp_path):
    events = EventStore(tmp_path)
    scope = _scope([("A", 0, 1), ("C", 0, 1)])
    events.append(_table([("A", "u1", "feature_used", 5)], 0))
    writer = segment_call(events, "C", "u9", "login", START + dt.timedelta(days=3))

    with_pending = journey_signals(events, scope, TX, THRESHOLDS)
    writer.close()

    assert with_pending.loc["C", "first_login"] == FIRST_DAY + 3
    _same(with_pending, _from_events(events, scope))
    assert np.isnan(with_pending.loc["A", "first_login"])


def test_calls_compacted_while_signals_are_read_count(tmp_path):
    events = EventStore(tmp_path)
    scope = _scope([("A", 0, 1), ("C", 0, 1)])
    events.append(_table([("A", "u1", "feature_used", 5)], 0))
    writer = segment_call(events, "C", "u9", "login", START + dt.timedelta(days=3))
    writer.close()
    compacting_after_first_listing(events)

    found = journey_signals(events, scope, TX, THRESHOLDS)
    again = journey_signals(events, scope, TX, THRESHOLDS)

    assert len(events.files()) == 2  # the call is in a file now
    assert found.loc["C", "first_login"] == FIRST_DAY + 3
    _same(found, again)
    _same(found, _from_events(events, scope))


def test_a_kept_summary_for_another_vocabulary_is_not_used(tmp_path):
    events = EventStore(tmp_path)
    scope = _scope([("A", 0, 1)])
    events.append(_table([("A", "u1", "feature_used", 5)], 0))
    journey_signals(events, scope, TX, THRESHOLDS)
    other = EventTaxonomy(login=["feature_used"])

    found = journey_signals(events, scope, other, THRESHOLDS)

    assert found.loc["A", "first_login"] == FIRST_DAY


def test_accounts_with_no_events_yet_have_no_signals(tmp_path):
    events = EventStore(tmp_path)
    scope = _scope([("A", 0, 3)])

    found = journey_signals(events, scope, TX, THRESHOLDS)

    assert found.loc["A"].isna().all()
    _same(found, _from_events(events, scope))
