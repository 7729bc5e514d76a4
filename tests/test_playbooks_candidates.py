"""The column-wise narrowing of the book never drops an account the engine fires for."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.journeys.calendar import calendar_for
from steward.playbooks.assemble import Inputs, assemble
from steward.playbooks.candidates import candidate_ids
from steward.playbooks.conditions import failed_condition
from steward.playbooks.model import BUILT_IN as BUILT_IN_PLAYBOOKS
from steward.playbooks.model import Playbook, load_playbook, playbook_paths
from steward.playbooks.settings import AutomationSettings
from steward.playbooks.state import Dated, MilestoneFact
from steward.playbooks.triggers import occurrences

AS_OF = dt.date(2025, 3, 10)  # a Monday: weekly schedules are due
RUBRIC = AutomationSettings().tiers
BUILT_IN = [load_playbook(path) for path in playbook_paths(BUILT_IN_PLAYBOOKS)]
BANDS = ["healthy", "neutral", "at_risk", "insufficient_data", None]

# Offsets from AS_OF, the edges of the built-in windows drawn often.
EDGES = [0, 1, -1, 7, -7, -14, -15, -28, -29, 30, -30, -44, -45, 90, 91, -61, -62]
days = st.one_of(st.sampled_from(EDGES), st.integers(-120, 120)).map(
    lambda n: AS_OF + dt.timedelta(days=n)
)
maybe_days = st.none() | days
# Scores and ARR at and either side of the thresholds the triggers use.
numbers = st.none() | st.sampled_from([0.0, 9.9, 10.0, 39.9, 40.0, 40.1, 75.0, 80.0])
texts = st.sampled_from([None, "", "Tier 1", "tier 2", "High-Touch", "Digital-Led"])


@st.composite
def books(draw: st.DrawFn) -> Inputs:
    count = draw(st.integers(1, 6))
    ids = list(range(1, count + 1))
    accounts = pd.DataFrame(
        {
            "external_id": [f"A{i}" for i in ids],
            "name": [f"Account {i}" for i in ids],
            "industry": draw(st.lists(texts, min_size=count, max_size=count)),
            "country": draw(
                st.lists(
                    st.sampled_from(["GB", "US", None]), min_size=count, max_size=count
                )
            ),
            "tier": draw(st.lists(texts, min_size=count, max_size=count)),
            "coverage": draw(st.lists(texts, min_size=count, max_size=count)),
            "segment": draw(st.lists(texts, min_size=count, max_size=count)),
            "stage": draw(
                st.lists(
                    st.sampled_from([None, "onboarding", "adoption", "recovery"]),
                    min_size=count,
                    max_size=count,
                )
            ),
            "arr": draw(st.lists(numbers, min_size=count, max_size=count)),
            "seats": draw(st.lists(numbers, min_size=count, max_size=count)),
            "csm_id": [None] * count,
            "ae_id": [None] * count,
            "custom_integrations": draw(
                st.lists(st.booleans(), min_size=count, max_size=count)
            ),
            "started_on": draw(st.lists(maybe_days, min_size=count, max_size=count)),
            "renewal_on": draw(st.lists(maybe_days, min_size=count, max_size=count)),
        },
        index=ids,
    )
    scores = pd.DataFrame(
        {
            name: draw(st.lists(values, min_size=count, max_size=count))
            for name, values in (
                ("health", numbers),
                ("previous_health", numbers),
                ("expansion", numbers),
                ("previous_expansion", numbers),
                ("band", st.sampled_from(BANDS)),
                ("previous_band", st.sampled_from(BANDS)),
                ("band_since", maybe_days),
            )
        },
        index=ids,
    )
    metrics = pd.DataFrame(
        {
            "seat_utilisation": draw(
                st.lists(st.none() | st.floats(0, 1), min_size=count, max_size=count)
            ),
            "portal_completion": draw(
                st.lists(st.none() | st.floats(0, 1), min_size=count, max_size=count)
            ),
        },
        index=ids,
        dtype="float64",
    )

    def dated(kinds: list[str], values: st.SearchStrategy) -> st.SearchStrategy:
        one = st.builds(
            Dated,
            id=st.text("abc", min_size=1, max_size=3),
            on=days,
            kind=st.sampled_from(kinds),
            value=values,
        )
        return st.dictionaries(
            st.sampled_from(ids), st.lists(one, max_size=3).map(tuple), max_size=count
        )

    facts = st.builds(
        MilestoneFact,
        journey=st.sampled_from(["onboarding", "other"]),
        key=st.sampled_from(["first_login", "first_core_workflow", "seat_activation"]),
        title=st.just("a milestone"),
        position=st.integers(0, 2),
        started_on=days,
        # Due within the last month: late by the 5 business days of the
        # built-in rescue, and still news, often enough to be drawn.
        due_on=st.integers(5, 30).map(lambda n: AS_OF - dt.timedelta(days=n)),
        achieved_on=maybe_days,
        status=st.sampled_from(["missed", "achieved_late", "not_measured", "pending"]),
        overdue_business_days=st.integers(0, 30),
    )
    tags = st.dictionaries(
        st.sampled_from(ids),
        st.dictionaries(st.sampled_from(["Recovery", "recovery", "VIP"]), days),
        max_size=count,
    )
    return Inputs(
        accounts=accounts,
        metrics=metrics,
        scores=scores,
        tags=draw(tags),
        milestones=draw(
            st.dictionaries(
                st.sampled_from(ids), st.lists(facts, max_size=4).map(tuple)
            )
        ),
        nps=draw(dated(["nps"], st.sampled_from([None, 0, 5, 6, 7, 10]))),
        incidents=draw(dated(["outage", "complaint"], st.none() | st.text(max_size=5))),
        tag_changes=draw(
            dated(
                ["added", "removed"], st.sampled_from(["Recovery", "recovery", "VIP"])
            )
        ),
    )


TRIGGERS = (
    {"kind": "milestone_overdue", "journey": "onboarding"},
    {"kind": "milestone_overdue", "milestones": ["first_login"]},
    {"kind": "score_crosses", "below": 40},
    {"kind": "score_crosses", "score": "expansion", "at_least": 75},
    {"kind": "band_changes", "to": ["at_risk"]},
    {"kind": "band_changes", "from": ["healthy"]},
    {"kind": "renewal_within", "days": 90},
    {"kind": "nps_detractor", "at_most": 6},
    {"kind": "incident", "kinds": ["outage"]},
    {"kind": "tag", "added": "recovery"},
    {"kind": "schedule", "every": "week", "weekday": "monday"},
    {"kind": "schedule", "every": "day"},
    {"kind": "onboarding_day", "day": 30},
    {"kind": "band_held", "band": "healthy", "months": 2},
    {"kind": "band_held", "months": 1, "counting_from_tag": "Recovery"},
)
conditions = st.fixed_dictionaries(
    {},
    optional={
        "tier": st.sampled_from(["Tier 1", "Tier 2", ["tier 1", "TIER 2"]]),
        "coverage": st.sampled_from(["Digital-Led", "high-touch"]),
        "stage": st.sampled_from(
            ["contract_signed", ["onboarding", "contract_signed"]]
        ),
        "band": st.sampled_from([["at_risk"], ["healthy", "neutral"]]),
        "arr": st.sampled_from([{"min": 10}, {"below": 50}]),
        "health": st.sampled_from([{"above": 30}, {"max": 60}]),
        "expansion": st.sampled_from([{"min": 75}]),
        "tags": st.sampled_from([{"has": ["recovery"]}, {"lacks": ["VIP"]}]),
        "renewal_within_days": st.integers(1, 120),
        "metrics": st.sampled_from(
            [{"seat_utilisation": {"below": 0.5}}, {"portal_completion": {"min": 0.4}}]
        ),
    },
)


def generated(trigger: dict) -> st.SearchStrategy[Playbook]:
    """Playbooks with ``trigger`` and conditions drawn, half of them with none."""
    return st.one_of(st.just({}), conditions).map(
        lambda condition: Playbook.model_validate(
            {
                "name": "generated",
                "trigger": trigger,
                "conditions": condition,
                "actions": [{"type": "timeline", "text": "x"}],
            }
        )
    )


def _fired(playbook: Playbook, inputs: Inputs, as_of: dt.date) -> set[int]:
    """The accounts the engine's own tests pick: trigger, then conditions."""
    fired = set()
    for state in assemble(inputs, RUBRIC):
        calendar = calendar_for(state.country)
        if not occurrences(playbook.trigger, state, as_of, calendar):
            continue
        if failed_condition(playbook.conditions, state, as_of) is None:
            fired.add(state.id)
    return fired


@pytest.mark.parametrize("trigger", TRIGGERS, ids=lambda trigger: trigger["kind"])
@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_account_that_would_fire_is_left_out(trigger, data):
    inputs = data.draw(books())
    playbook = data.draw(generated(trigger))
    as_of = data.draw(st.sampled_from([AS_OF, AS_OF + dt.timedelta(days=1)]))

    kept = candidate_ids([playbook], inputs, RUBRIC, as_of)

    assert _fired(playbook, inputs, as_of) <= kept


@pytest.mark.parametrize("playbook", BUILT_IN, ids=lambda playbook: playbook.name)
@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow])
@given(inputs=books())
def test_no_account_the_built_in_playbooks_fire_for_is_left_out(playbook, inputs):
    kept = candidate_ids([playbook], inputs, RUBRIC, AS_OF)

    assert _fired(playbook, inputs, AS_OF) <= kept


def test_only_accounts_with_something_happening_are_kept():
    ids = [1, 2, 3]
    inputs = Inputs(
        accounts=pd.DataFrame(
            {
                "external_id": ["A1", "A2", "A3"],
                "name": ["One", "Two", "Three"],
                "stage": ["adoption"] * 3,
                "coverage": ["Tech-Touch"] * 3,
                "renewal_on": [AS_OF + dt.timedelta(days=30), None, None],
                "seats": [10.0] * 3,
                "custom_integrations": [False] * 3,
                "tier": [None] * 3,
            },
            index=ids,
        ),
        metrics=pd.DataFrame({"tenure_days": [400.0] * 3}, index=ids),
        scores=pd.DataFrame(
            {
                "band": ["healthy", "neutral", "healthy"],
                "previous_band": ["healthy", "healthy", "healthy"],
                "expansion": [80.0, 80.0, 80.0],
            },
            index=ids,
        ),
    )

    kept = candidate_ids(BUILT_IN, inputs, RUBRIC, AS_OF)

    # One renews within 90 days ready to expand; Two slipped a band
    # (tech-touch-adoption); Three has nothing happening.
    assert kept == {1, 2}


def _one_account(**frames) -> Inputs:
    columns = ["industry", "country", "tier", "coverage", "segment", "stage"]
    columns += ["arr", "csm_id", "ae_id", "started_on", "renewal_on"]
    accounts = pd.DataFrame(
        {
            "external_id": ["A1"],
            "name": ["One"],
            "seats": [10.0],
            "custom_integrations": [False],
            **{name: [None] for name in columns},
        },
        index=[1],
    )
    return Inputs(
        accounts=accounts.assign(**frames.pop("accounts", {})),
        metrics=pd.DataFrame(index=[1]),
        scores=pd.DataFrame(index=[1]),
        **frames,
    )


def _trigger(**trigger) -> Playbook:
    return Playbook.model_validate(
        {
            "name": "t",
            "trigger": trigger,
            "actions": [{"type": "timeline", "text": "x"}],
        }
    )


@pytest.mark.parametrize(
    ("playbook", "inputs"),
    [
        # A detractor at exactly the limit, answered exactly a week ago.
        (
            _trigger(kind="nps_detractor", at_most=6, within_days=7),
            _one_account(
                nps={1: (Dated("n1", AS_OF - dt.timedelta(days=7), "nps", 6),)}
            ),
        ),
        # A renewal today.
        (
            _trigger(kind="renewal_within", days=30),
            _one_account(accounts={"renewal_on": [AS_OF]}),
        ),
        # Day 14 of onboarding, the last of its 14 days of grace.
        (
            _trigger(kind="onboarding_day", day=14, within_days=14),
            _one_account(accounts={"started_on": [AS_OF - dt.timedelta(days=28)]}),
        ),
    ],
)
def test_the_edges_of_each_window_are_kept(playbook, inputs):
    assert _fired(playbook, inputs, AS_OF) == {1}

    assert candidate_ids([playbook], inputs, RUBRIC, AS_OF) == {1}
