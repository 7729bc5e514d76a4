"""Triggers, conditions, due dates and the engine, on plain values."""

import dataclasses
import datetime as dt

import pytest

from steward.journeys.calendar import calendar_for
from steward.notify.templates import EmailTemplates
from steward.playbooks.actions import Skipped, TaskEffect, due_date
from steward.playbooks.actions_model import Due
from steward.playbooks.conditions import failed_condition
from steward.playbooks.dryrun import replay
from steward.playbooks.engine import Tools, evaluate
from steward.playbooks.model import Conditions, Playbook
from steward.playbooks.settings import AutomationSettings
from steward.playbooks.state import AccountState, Dated, MilestoneFact
from steward.playbooks.triggers import Occurrence, occurrences

D = dt.date
GB = calendar_for("GB")


def account(**values) -> AccountState:
    base = AccountState(id=7, external_id="A-7", name="Acme", country="GB")
    return dataclasses.replace(base, **values)


def trigger(**values):
    return Playbook.model_validate(
        {"name": "t", "trigger": values, "actions": [{"type": "timeline", "text": "x"}]}
    ).trigger


def keys(found: list[Occurrence]) -> list[str]:
    return [occurrence.key for occurrence in found]


def milestone(key: str, position: int, late: int, reached: dt.date | None = None):
    return MilestoneFact(
        journey="onboarding",
        key=key,
        title=key.replace("_", " "),
        position=position,
        started_on=D(2024, 12, 2),
        due_on=D(2024, 12, 9),
        achieved_on=reached,
        status="achieved_late" if reached else "missed",
        overdue_business_days=late,
    )


@pytest.mark.parametrize(
    ("as_of", "late", "fires"),
    [
        # Due Mon 9 Dec (GB): more than 5 business days late from Tue 17 Dec.
        (D(2024, 12, 16), 5, False),
        (D(2024, 12, 17), 6, True),
        # 14 days after Tue 17 Dec is the last day it is news.
        (D(2024, 12, 31), 13, True),
        (D(2025, 1, 1), 13, False),
    ],
)
def test_milestone_overdue_fires_once_late_and_while_fresh(as_of, late, fires):
    state = account(milestones=(milestone("first_login", 0, late),))

    found = occurrences(trigger(kind="milestone_overdue"), state, as_of, GB)

    assert keys(found) == (["onboarding:2024-12-02:first_login"] if fires else [])


def test_milestone_overdue_counts_consecutive_misses():
    state = account(
        milestones=(
            milestone("first_login", 0, 8, reached=D(2024, 12, 20)),
            milestone("first_core_workflow", 1, 7),
        )
    )

    [found] = occurrences(trigger(kind="milestone_overdue"), state, D(2024, 12, 18), GB)

    assert found.facts["consecutive_misses"] == 2
    assert found.facts["milestone"] == "first_core_workflow"


def test_a_milestone_reached_or_not_measured_raises_nothing():
    not_measured = dataclasses.replace(
        milestone("first_login", 0, 0), status="not_measured"
    )
    reached = milestone("first_core_workflow", 1, 9, reached=D(2024, 12, 18))
    state = account(milestones=(not_measured, reached))

    found = occurrences(trigger(kind="milestone_overdue"), state, D(2024, 12, 18), GB)

    assert found == []


@pytest.mark.parametrize(
    ("before", "now", "rule", "fires"),
    [
        (45.0, 39.0, {"below": 40}, True),
        (40.0, 39.9, {"below": 40}, True),
        (39.0, 30.0, {"below": 40}, False),
        (None, 30.0, {"below": 40}, False),
        (74.0, 75.0, {"at_least": 75}, True),
        (75.0, 80.0, {"at_least": 75}, False),
    ],
)
def test_score_crossing_needs_both_sides(before, now, rule, fires):
    state = account(previous_health=before, health=now)

    found = occurrences(trigger(kind="score_crosses", **rule), state, D(2025, 3, 3), GB)

    assert keys(found) == (["health:2025-03-03"] if fires else [])


def test_expansion_crossing_reads_the_expansion_score():
    state = account(previous_expansion=70.0, expansion=76.0, health=10.0)

    found = occurrences(
        trigger(kind="score_crosses", score="expansion", at_least=75),
        state,
        D(2025, 3, 3),
        GB,
    )

    assert [o.facts for o in found] == [
        {"score": "expansion", "threshold": 75.0, "before": 70.0, "now": 76.0}
    ]


@pytest.mark.parametrize(
    ("before", "now", "rule", "fires"),
    [
        ("neutral", "at_risk", {"to": ["at_risk"]}, True),
        ("healthy", "neutral", {"to": ["at_risk"]}, False),
        ("healthy", "neutral", {"from": ["healthy"]}, True),
        ("neutral", "neutral", {}, False),
        (None, "at_risk", {}, False),
    ],
)
def test_band_change_filters_by_from_and_to(before, now, rule, fires):
    state = account(previous_band=before, band=now)

    found = occurrences(trigger(kind="band_changes", **rule), state, D(2025, 3, 3), GB)

    assert bool(found) is fires


@pytest.mark.parametrize(
    ("renewal", "fires"),
    [(D(2025, 6, 1), True), (D(2025, 6, 2), False), (D(2025, 3, 2), False)],
)
def test_renewal_within_counts_calendar_days_to_the_end(renewal, fires):
    state = account(renewal_on=renewal)

    found = occurrences(
        trigger(kind="renewal_within", days=90), state, D(2025, 3, 3), GB
    )

    assert keys(found) == ([f"renewal:{renewal.isoformat()}"] if fires else [])


def test_nps_incident_and_tag_triggers_key_on_the_record():
    state = account(
        nps=(
            Dated("11", D(2025, 3, 1), "nps", 6),
            Dated("12", D(2025, 3, 2), "nps", 7),
            Dated("13", D(2025, 2, 20), "nps", 2),
        ),
        incidents=(
            Dated("INC-1", D(2025, 3, 3), "outage", "down"),
            Dated("INC-2", D(2025, 3, 3), "executive_complaint", "angry"),
        ),
        tag_changes=(
            Dated("5", D(2025, 3, 2), "added", "Recovery"),
            Dated("6", D(2025, 3, 2), "removed", "VIP"),
        ),
    )
    day = D(2025, 3, 3)

    nps = occurrences(trigger(kind="nps_detractor"), state, day, GB)
    outages = occurrences(trigger(kind="incident", kinds=["Outage"]), state, day, GB)
    added = occurrences(trigger(kind="tag", added="recovery"), state, day, GB)
    removed = occurrences(trigger(kind="tag", removed="VIP"), state, day, GB)

    assert keys(nps) == ["nps:11"]
    assert keys(outages) == ["incident:INC-1"]
    assert keys(added) == ["tag:5"]
    assert keys(removed) == ["tag:6"]


def test_weekly_schedule_fires_on_its_weekday_once_per_iso_week():
    weekly = trigger(kind="schedule", every="week", weekday="monday")

    monday = occurrences(weekly, account(), D(2025, 3, 3), GB)
    tuesday = occurrences(weekly, account(), D(2025, 3, 4), GB)
    daily = occurrences(
        trigger(kind="schedule", every="day"), account(), D(2025, 3, 4), GB
    )

    assert keys(monday) == ["week:2025-W10"]
    assert tuesday == []
    assert keys(daily) == ["day:2025-03-04"]


@pytest.mark.parametrize(
    ("as_of", "fires"),
    [(D(2025, 3, 14), False), (D(2025, 3, 15), True), (D(2025, 3, 29), True),
     (D(2025, 3, 30), False)],
)  # fmt: skip
def test_onboarding_day_is_news_for_its_window(as_of, fires):
    state = account(started_on=D(2025, 3, 1))

    found = occurrences(trigger(kind="onboarding_day", day=14), state, as_of, GB)

    assert keys(found) == (["start:2025-03-01:day-14"] if fires else [])


@pytest.mark.parametrize(
    ("since", "tagged", "as_of", "fires"),
    [
        (D(2025, 1, 31), D(2025, 1, 1), D(2025, 3, 30), False),
        (D(2025, 1, 31), D(2025, 1, 1), D(2025, 3, 31), True),
        # Healthy long before the tag: the two months count from the tag.
        (D(2024, 6, 1), D(2025, 2, 10), D(2025, 4, 9), False),
        (D(2024, 6, 1), D(2025, 2, 10), D(2025, 4, 10), True),
    ],
)
def test_band_held_counts_months_from_the_later_of_streak_and_tag(
    since, tagged, as_of, fires
):
    state = account(
        band="healthy",
        band_since=since,
        tags=frozenset({"Recovery"}),
        tag_added_on={"Recovery": tagged},
    )
    rule = trigger(
        kind="band_held", band="healthy", months=2, counting_from_tag="recovery"
    )

    found = occurrences(rule, state, as_of, GB)

    assert bool(found) is fires


@pytest.mark.parametrize(
    ("conditions", "failed"),
    [
        ({"tier": "tier 1"}, None),
        ({"tier": ["Tier 2"]}, "tier"),
        ({"coverage": ["High-Touch"], "country": ["GB"]}, None),
        ({"stage": ["adoption"]}, "stage"),
        ({"arr": {"min": 40000, "below": 40001}}, None),
        ({"arr": {"above": 40000}}, "arr"),
        ({"segment": ["SMB"]}, "segment"),
        ({"industry": "fintech"}, None),
        ({"tags": {"has": ["recovery"], "lacks": ["Do not contact"]}}, None),
        ({"tags": {"lacks": ["VIP"]}}, "tags"),
        ({"band": ["at_risk"]}, None),
        ({"health": {"max": 30}}, "health"),
        ({"expansion": {"min": 75}}, "expansion"),
        ({"renewal_within_days": 30}, None),
        ({"renewal_within_days": 10}, "renewal_within_days"),
        ({"metrics": {"seat_utilisation": {"above": 0.8}}}, None),
        (
            {"metrics": {"portal_completion": {"below": 0.4}}},
            "metrics.portal_completion",
        ),
    ],
)
def test_conditions_name_the_first_that_fails(conditions, failed):
    state = account(
        tier="Tier 1",
        coverage="High-Touch",
        stage="onboarding",
        arr=40000.0,
        industry="FinTech",
        tags=frozenset({"Recovery", "VIP"}),
        band="at_risk",
        health=35.0,
        expansion=None,
        renewal_on=D(2025, 3, 31),
        metrics={"seat_utilisation": 0.9, "portal_completion": None},
    )

    found = failed_condition(
        Conditions.model_validate(conditions), state, D(2025, 3, 3)
    )

    assert found == failed


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        # Mon 23 Dec 2024, GB: 24 Dec, then 27 Dec after Christmas and Boxing Day.
        ({"business_days": 2}, D(2024, 12, 27)),
        # 2 calendar days land on Christmas: moved to the next business day.
        ({"days": 2}, D(2024, 12, 27)),
        ({"days": 5}, D(2024, 12, 30)),
        # A month after 23 Dec is Thu 23 Jan.
        ({"months": 1}, D(2025, 1, 23)),
        # From the event (Fri 20 Dec): 2 business days is Tue 24 Dec.
        ({"business_days": 2, "from": "event"}, D(2024, 12, 24)),
        ({"business_days": 0, "from": "start"}, D(2024, 12, 2)),
    ],
)
def test_due_dates_respect_the_account_country_holidays(due, expected):
    occurrence = Occurrence("x", D(2024, 12, 20), start_on=D(2024, 12, 2))

    found = due_date(Due.model_validate(due), occurrence, D(2024, 12, 23), GB)

    assert found == expected


def test_a_month_after_the_31st_is_the_last_day_of_the_next_month():
    occurrence = Occurrence("x", D(2025, 1, 31))

    found = due_date(Due(months=1, **{"from": "event"}), occurrence, D(2025, 1, 31), GB)

    assert found == D(2025, 2, 28)


PLAYBOOK = Playbook.model_validate(
    {
        "name": "nudge",
        "trigger": {"kind": "schedule", "every": "week", "weekday": "monday"},
        "conditions": {"tags": {"lacks": ["Nudged"]}},
        "actions": [
            {"type": "task", "title": "Nudge {{ account.name }}", "hours": 0.25},
            {"type": "tag", "add": "Nudged"},
            {"type": "email", "template": "nudge", "to": ["champion"]},
        ],
    }
)


def tools(tmp_path) -> Tools:
    (tmp_path / "nudge.yaml").write_text(
        "subject: Hi\ntext: Hello {{ contact.name }}\n"
    )
    return Tools(EmailTemplates(tmp_path), lambda address: f"https://u/{address}")


def test_engine_skips_occurrences_it_is_told_have_fired(tmp_path):
    states = [account(), account(id=8, external_id="A-8", name="Bolt")]

    fresh = evaluate(
        PLAYBOOK, states, D(2025, 3, 3), lambda keys: set(), tools(tmp_path)
    )
    again = evaluate(
        PLAYBOOK, states, D(2025, 3, 3), lambda keys: set(keys), tools(tmp_path)
    )

    assert [firing.key for firing in fresh] == [
        "nudge:7:week:2025-W10",
        "nudge:8:week:2025-W10",
    ]
    assert again == []
    [task, tag, email] = fresh[0].effects
    assert isinstance(task, TaskEffect) and task.title == "Nudge Acme"
    assert (tag.type, tag.change, tag.value) == ("tag", "add", "Nudged")
    assert isinstance(email, Skipped)
    assert email.reason == "no recipient: no champion with an email address"


def test_dry_run_remembers_the_tags_its_playbook_adds(tmp_path):
    states = [account(), account(id=8, external_id="A-8", name="Bolt")]
    weeks = [(D(2025, 3, 3) + dt.timedelta(days=7 * k), states) for k in range(3)]
    settings = AutomationSettings(hours={"task": 1.0, "email": 0.5})

    result = replay(PLAYBOOK, weeks, tools(tmp_path), settings)

    # Both accounts are nudged in the first week and tagged: never again.
    assert [(week.fired, week.accounts, week.hours) for week in result.weeks] == [
        (2, 2, 0.5),
        (0, 0, 0.0),
        (0, 0, 0.0),
    ]
    assert result.totals() == {"task": 2, "tag": 2}
    assert [fired.account for fired in result.firings] == ["A-7", "A-8"]
