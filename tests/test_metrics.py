import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steward.errors import ConfigInvalid
from steward.events.store import EVENT_SCHEMA, EventStore
from steward.metrics.catalogue import EventTaxonomy, day_number
from steward.metrics.config import load_events_config
from steward.metrics.facts import AccountFacts
from steward.metrics.service import metric_history, metrics_as_of

UTC = dt.UTC
TX = EventTaxonomy()


def _event(i, account, user, event, when, quantity=1, errors=0, feature=None):
    return {
        "message_id": f"m{i}",
        "account_id": account,
        "user_id": user,
        "event": event,
        "feature": feature,
        "ts": when,
        "quantity": quantity,
        "errors": errors,
        "value": None,
        "properties": None,
        "received_at": when,
    }


def _facts(accounts, contracts=(), tickets=(), nps=(), outcomes=()):
    return AccountFacts(
        accounts=pd.DataFrame(
            [
                {
                    "id": index + 1,
                    "account_id": account,
                    "name": account,
                    "seats": seats,
                    "arr": 1000.0,
                    "country": "US",
                    "tier": None,
                    "csm_id": None,
                    "lifecycle_stage": "adoption",
                    "signed_on": None,
                    "attributes": {},
                }
                for index, (account, seats) in enumerate(accounts)
            ]
        ),
        contracts=pd.DataFrame(
            list(contracts),
            columns=[
                "account_id",
                "start_date",
                "end_date",
                "seats",
                "arr",
                "outcome",
                "closed_on",
            ],
        ),
        tickets=pd.DataFrame(list(tickets), columns=["account_id", "opened_at"]),
        nps=pd.DataFrame(list(nps), columns=["account_id", "responded_at", "score"]),
        outcomes=pd.DataFrame(
            list(outcomes), columns=["account_id", "kind", "occurred_on"]
        ),
    )


@pytest.fixture
def con():
    return ibis.duckdb.connect()


def test_metrics_for_a_day_worked_by_hand(tmp_path, con):
    day = dt.date(2024, 6, 30)
    at = lambda d, h=12: dt.datetime(2024, 6, d, h, tzinfo=UTC)  # noqa: E731
    events = EventStore(tmp_path / "events")
    events.append(
        pa.Table.from_pylist(
            [
                _event(1, "A", "u1", "login", at(3)),  # day 1 of the window
                _event(2, "A", "u2", "login", at(30, 23), quantity=2),
                _event(
                    3, "A", "u2", "core_workflow_completed", at(10), feature="reports"
                ),
                _event(
                    4, "A", "u3", "feature_used", at(11), feature="alerts", errors=1
                ),
                _event(5, "A", "u3", "api_call", at(12), quantity=40),
                _event(6, "A", "u9", "login", dt.datetime(2024, 6, 2, 23, tzinfo=UTC)),
                _event(7, "A", "u4", "login", dt.datetime(2024, 7, 1, tzinfo=UTC)),
                _event(8, "B", "v1", "login", dt.datetime(2024, 5, 1, tzinfo=UTC)),
            ],
            schema=EVENT_SCHEMA,
        )
    )
    facts = _facts(
        [("A", 10), ("B", 0), ("C", 5)],
        contracts=[
            ("A", dt.date(2023, 7, 1), dt.date(2024, 6, 30), 4, 1200.0, None, None),
            ("A", dt.date(2024, 1, 1), None, 6, 600.0, None, None),
            ("B", dt.date(2024, 1, 1), dt.date(2024, 12, 31), 0, 100.0, None, None),
        ],
        tickets=[
            ("A", dt.datetime(2024, 4, 2, tzinfo=UTC)),  # 89 days before: counted
            ("A", dt.datetime(2024, 4, 1, tzinfo=UTC)),  # 90 days before: not
            ("A", dt.datetime(2024, 6, 30, 22, tzinfo=UTC)),
        ],
        nps=[
            ("A", dt.datetime(2024, 1, 5, tzinfo=UTC), 9),
            ("A", dt.datetime(2024, 5, 5, tzinfo=UTC), 4),
            ("A", dt.datetime(2024, 7, 5, tzinfo=UTC), 10),
        ],
    )

    metrics = metrics_as_of(con, events, facts, day, 28, TX)

    a = metrics.loc["A"]
    assert a["active_users"] == 3
    assert a["logins"] == 3
    assert a["core_workflows"] == 1
    assert a["api_calls"] == 40
    assert a["events_total"] == 45
    assert a["errors"] == 1
    assert a["feature_breadth"] == 2
    assert a["seats"] == 10
    assert a["seat_utilisation"] == pytest.approx(0.3)
    assert a["error_rate"] == pytest.approx(1 / 45)
    assert a["days_since_last_activity"] == 0
    assert a["tickets_per_month"] == pytest.approx(2 / 3)
    assert a["latest_nps"] == 4
    assert a["tenure_days"] == (day - dt.date(2023, 7, 1)).days
    assert bool(a["live"])
    b = metrics.loc["B"]
    assert b["active_users"] == 0
    assert np.isnan(b["seat_utilisation"])  # no seats: undefined, not infinite
    assert np.isnan(b["error_rate"])  # no events in the window
    assert b["days_since_last_activity"] == (day - dt.date(2024, 5, 1)).days
    c = metrics.loc["C"]
    assert np.isnan(c["days_since_last_activity"])  # never active
    assert c["seats"] == 5  # no contract: the account's own seats
    assert np.isnan(c["latest_nps"])


def test_contract_that_ended_makes_account_not_live(tmp_path, con):
    facts = _facts(
        [("A", 10)],
        contracts=[
            ("A", dt.date(2023, 1, 1), dt.date(2023, 12, 31), 10, 1.0, "churned", None)
        ],
    )

    metrics = metrics_as_of(
        con, EventStore(tmp_path), facts, dt.date(2024, 1, 1), 28, TX
    )

    assert not bool(metrics.loc["A", "live"])


events_strategy = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", "C"]),
        st.sampled_from(["u1", "u2", "u3", None]),
        st.sampled_from(
            ["login", "core_workflow_completed", "feature_used", "api_call", "error"]
        ),
        st.sampled_from([None, "f1", "f2"]),
        st.integers(min_value=0, max_value=120 * 24 - 1),
        st.integers(min_value=1, max_value=5),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=10, deadline=None)
@given(rows=events_strategy)
def test_weekly_history_equals_the_daily_computation_on_each_date(
    tmp_path_factory, rows
):
    start = dt.datetime(2024, 1, 1, tzinfo=UTC)
    events = EventStore(tmp_path_factory.mktemp("events"))
    events.append(
        pa.Table.from_pylist(
            [
                _event(i, a, u, e, start + dt.timedelta(hours=h), quantity=q, feature=f)
                for i, (a, u, e, f, h, q) in enumerate(rows)
            ],
            schema=EVENT_SCHEMA,
        )
    )
    facts = _facts([("A", 3), ("B", 0), ("C", 2)])
    con = ibis.duckdb.connect()
    last = dt.date(2024, 4, 20)

    history = metric_history(con, events, facts, last, 10, 28, TX)
    daily = pd.concat(
        [
            metrics_as_of(con, events, facts, last - dt.timedelta(days=7 * k), 28, TX)
            .reset_index()
            .assign(observed_day=day_number(last - dt.timedelta(days=7 * k)))
            for k in range(10)
        ]
    )

    keys = ["account_id", "observed_day"]
    columns = keys + [
        "active_users", "logins", "core_workflows", "api_calls", "errors",
        "events_total", "feature_breadth", "seat_utilisation", "error_rate",
        "days_since_last_activity", "tenure_days", "tickets_per_month",
    ]  # fmt: skip
    expected = daily[columns].sort_values(keys).reset_index(drop=True)
    actual = history[columns].sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False)


def test_a_misspelt_event_kind_is_refused_not_ignored(tmp_path):
    path = tmp_path / "events.yaml"
    path.write_text("events:\n  logins: [Signed In]\n")

    with pytest.raises(ConfigInvalid) as raised:
        load_events_config(path)

    assert str(raised.value) == (
        f"{path}: events.logins: unknown field (check the spelling; known: login, "
        "core_workflow, api_call, error)"
    )
