"""Migration 0008 on a store that kept explanations as JSON per account and day."""

import datetime as dt
import json

from alembic import command
from sqlalchemy import select, text

from steward.store.db import Store, alembic_config
from steward.store.models import HealthScore
from steward.store.scores import details_of, score_history

DAYS = (dt.date(2025, 6, 23), dt.date(2025, 6, 30))


def _old_store(store: Store) -> Store:
    """``store`` at the revisions before 0008, with two days of scores."""
    command.upgrade(alembic_config(store.engine), "0002")
    command.upgrade(alembic_config(store.engine), "0003")
    score = text(
        "INSERT INTO health_scores (account_id, as_of, status, score, band, "
        "churn_probability, scorecard, scorecard_version, contributions, metrics) "
        "VALUES (:account, :day, :status, :score, :band, NULL, 'default', 2, "
        ":contributions, :metrics)"
    )
    expansion = text(
        "INSERT INTO expansion_scores (account_id, as_of, score, parts) "
        "VALUES (:account, :day, :score, :parts)"
    )
    with store.engine.begin() as connection:
        for account in ("acme", "bolt"):
            connection.execute(
                text(
                    "INSERT INTO accounts (external_id, name, lifecycle_stage, "
                    "custom_integrations, attributes, created_at, updated_at) "
                    "VALUES (:key, :key, 'adoption', false, '{}', :at, :at)"
                ),
                {"key": account, "at": dt.datetime(2025, 1, 1)},
            )
        for number, day in enumerate(DAYS):
            connection.execute(
                score,
                {
                    "account": 1,
                    "day": day,
                    "status": "scored",
                    "score": 60.0 + number,
                    "band": "neutral",
                    "contributions": json.dumps(
                        {
                            "logins": {"value": 12 + number, "points": 1.5},
                            "plan": {"value": "pro", "points": -2.0, "missing": False},
                        }
                    ),
                    "metrics": json.dumps(
                        {"logins": 12.0 + number, "latest_nps": None}
                    ),
                },
            )
            connection.execute(
                score,
                {
                    "account": 2,
                    "day": day,
                    "status": "insufficient_data",
                    "score": None,
                    "band": "insufficient_data",
                    "contributions": json.dumps(
                        {
                            "logins": {"value": None, "points": 0.0, "missing": True},
                            "plan": {"value": None, "points": 0.0, "missing": True},
                        }
                    ),
                    "metrics": json.dumps({"logins": None, "latest_nps": None}),
                },
            )
            connection.execute(
                expansion,
                {
                    "account": 1,
                    "day": day,
                    "score": 40.0,
                    "parts": json.dumps({"nps": {"value": 9.0, "points": 40.0}}),
                },
            )
        # An expansion score on a day without health scores: not carried over.
        connection.execute(
            expansion,
            {"account": 2, "day": dt.date(2025, 7, 1), "score": 10.0, "parts": "{}"},
        )
    return store


def test_every_stored_day_keeps_its_scores_and_explanations(bare_store: Store):
    store = _old_store(bare_store)

    store.upgrade()

    with store.session() as session:
        rows = session.execute(
            select(
                HealthScore.as_of,
                HealthScore.account_id,
                HealthScore.score,
                HealthScore.band,
                HealthScore.expansion,
            ).order_by(HealthScore.as_of, HealthScore.account_id)
        ).all()
        history = [score.as_of for score in score_history(session, 1)]
        acme = details_of(session, 1, DAYS)
        bolt = details_of(session, 2, DAYS)
    assert [tuple(row) for row in rows] == [
        (DAYS[0], 1, 60.0, "neutral", 40.0),
        (DAYS[0], 2, None, "insufficient_data", None),
        (DAYS[1], 1, 61.0, "neutral", 40.0),
        (DAYS[1], 2, None, "insufficient_data", None),
    ]
    assert history == list(DAYS)
    assert acme[DAYS[1]].contributions == {
        "logins": {"value": 13.0, "points": 1.5, "missing": False},
        "plan": {"value": "pro", "points": -2.0, "missing": False},
    }
    assert acme[DAYS[0]].metrics == {"logins": 12.0, "latest_nps": None}
    assert acme[DAYS[0]].expansion == {"nps": {"value": 9.0, "points": 40.0}}
    assert bolt[DAYS[0]].contributions["logins"] == {
        "value": None,
        "points": 0.0,
        "missing": True,
    }
    assert bolt[DAYS[0]].expansion == {"nps": {"value": None, "points": 0.0}}
