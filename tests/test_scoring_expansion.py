"""Expansion readiness: components, configurable weights, missing data."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from steward.errors import ScorecardInvalid
from steward.jobs.playbook_inputs import engaged_on, sponsor_engagement
from steward.scoring.expansion import (
    BUILT_IN,
    component_values,
    expansion_frame,
    load_expansion_config,
)
from steward.store.models import Account, Contact, Note, NpsResponse


def frame(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns, index=["a", "b", "c", "d"])


def test_each_component_earns_its_points_past_its_bound():
    config = load_expansion_config(BUILT_IN)
    metrics = frame(
        seat_utilisation=[0.81, 0.80, 0.95, np.nan],
        latest_nps=[9, 8, 10, np.nan],
        tickets_per_month=[1.9, 2.0, 0.0, np.nan],
        sponsor_engaged=[1.0, 0.0, 1.0, np.nan],
    )

    scored = expansion_frame(config, metrics)

    # a: every bound passed; b: every bound exactly missed (80% is not
    # above 80%, NPS 8 is not above 8, 2 tickets is not fewer than 2).
    assert scored["score"].tolist()[:3] == [100.0, 0.0, 100.0]
    assert np.isnan(scored["score"].iloc[3])
    assert scored.loc["a"].drop("score").to_dict() == {
        "points.utilisation": 40.0,
        "points.nps": 30.0,
        "points.support": 20.0,
        "points.sponsor": 10.0,
    }


def test_a_metric_the_data_does_not_carry_counts_as_missing():
    config = load_expansion_config(BUILT_IN)
    metrics = frame(seat_utilisation=[0.9, 0.1, 0.9, 0.1], tickets_per_month=[0] * 4)

    scored = expansion_frame(config, metrics)
    values = component_values(config, metrics)

    assert scored["score"].tolist() == [60.0, 20.0, 60.0, 20.0]
    assert np.isnan(values.loc["a", "nps"]) and scored.loc["a", "points.nps"] == 0
    assert values.loc["b", "utilisation"] == 0.1
    assert scored.loc["b", "points.utilisation"] == 0


def test_weights_and_bounds_come_from_the_file(tmp_path):
    path = tmp_path / "expansion.yaml"
    path.write_text(
        "components:\n"
        "  - {key: usage, metric: seat_utilisation, min: 0.5, points: 70}\n"
        "  - {key: nps, metric: latest_nps, above: 6, points: 30}\n"
    )
    metrics = frame(seat_utilisation=[0.5, 0.49, 0.9, 0.0], latest_nps=[7, 7, 6, 0])

    scored = expansion_frame(load_expansion_config(path), metrics)

    assert scored["score"].tolist() == [100.0, 30.0, 70.0, 0.0]


def test_points_must_add_up_to_100(tmp_path):
    path = tmp_path / "expansion.yaml"
    path.write_text(
        "components:\n"
        "  - {key: usage, metric: seat_utilisation, min: 0.5, points: 70}\n"
    )

    with pytest.raises(ScorecardInvalid) as raised:
        load_expansion_config(path)

    assert str(raised.value) == (
        f"{path}: the components' points add up to 70; make them add "
        "up to 100 so the score runs 0-100"
    )


def test_sponsor_engagement_is_a_note_or_an_answer_from_the_sponsor(store):
    with store.session() as session:
        met, quiet, none = (
            Account(external_id=key, name=key) for key in ("met", "quiet", "none")
        )
        session.add_all([met, quiet, none])
        session.flush()
        sponsor = Contact(
            external_id="s1", account_id=quiet.id, role="executive_sponsor"
        )
        session.add_all(
            [
                Contact(external_id="s0", account_id=met.id, role="Executive Sponsor"),
                sponsor,
            ]
        )
        session.flush()
        at = dt.datetime(2025, 1, 10, 12, tzinfo=dt.UTC)
        session.add_all(
            [
                Note(account_id=met.id, kind="meeting", body="QBR", created_at=at),
                # A meeting on an account with no sponsor on record counts not.
                Note(account_id=none.id, kind="meeting", body="x", created_at=at),
                NpsResponse(
                    external_id="n1",
                    account_id=quiet.id,
                    contact_id=sponsor.id,
                    score=9,
                    responded_at=dt.datetime(2024, 9, 1, tzinfo=dt.UTC),
                ),
            ]
        )
        ids = {key: account.id for key, account in (("met", met), ("quiet", quiet))}

    with store.session() as session:
        engagement = sponsor_engagement(session, since=dt.date(2024, 7, 1))
        later = sponsor_engagement(session, since=dt.date(2024, 11, 1))
    recent = engaged_on(engagement, dt.date(2025, 2, 1), 90)
    last_year = engaged_on(engagement, dt.date(2024, 9, 30), 90)

    assert set(recent.index) == {ids["met"]}
    assert set(last_year.index) == {ids["quiet"]}
    assert set(later["account_id"]) == {ids["met"]}
