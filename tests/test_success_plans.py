"""Success plans: changes kept as versions with who made them, KPIs linked to live
metrics, and the rules a change must keep. Run on SQLite and PostgreSQL.
"""

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import update

from steward.accounts.plan_content import (
    AddGoal,
    AddKpi,
    AddMilestone,
    AddResponsibility,
    CompleteResponsibility,
    RemoveItem,
    UpdateKpi,
    apply_change,
)
from steward.accounts.success_plans import (
    change_plan,
    content_at,
    content_of,
    create_plan,
    get_plan,
    kpi_values,
    parse_change,
    parse_content,
    plan_versions,
    replace_plan,
)
from steward.errors import (
    EditConflict,
    InputInvalid,
    PlanItemNotFound,
    PlanNotFound,
)
from steward.store.models import Account, HealthScore, User
from steward.store.plans import SuccessPlanVersion
from steward.store.scores import write_details

KICKOFF = dt.date(2026, 1, 5)


@pytest.fixture
def plan_store(store):
    with store.session() as session:
        csm = User(email="cam@x.example", name="Cam", role="csm")
        other = User(email="cat@x.example", name="Cat", role="csm")
        session.add_all([csm, other])
        session.flush()
        session.add_all(
            [
                Account(external_id="acme", name="Acme", csm_id=csm.id, arr=50_000),
                Account(external_id="bolt", name="Bolt", csm_id=other.id),
            ]
        )
    return store


def _user(session, email):
    return session.query(User).filter_by(email=email).one()


def test_every_change_is_a_new_version_with_who_made_it(plan_store):
    with plan_store.session() as session:
        cam = _user(session, "cam@x.example")
        plan = create_plan(
            session,
            "acme",
            title="FY26",
            kickoff_on=KICKOFF,
            actor=cam.email,
            viewer=cam,
        )
        change_plan(session, plan, AddGoal(title="Close the books faster"), cam.email)
        goal = content_of(plan).goals[0].id
        change_plan(
            session,
            plan,
            AddKpi(
                goal_id=goal, name="Days to close", baseline=12, target=5, current=12
            ),
            "dana@acme.example",
        )
        kpi = content_of(plan).goals[0].kpis[0].id
        change_plan(
            session, plan, UpdateKpi(kpi_id=kpi, current=9), "dana@acme.example"
        )

        versions = plan_versions(session, plan)

    assert [v.version for v in versions] == [4, 3, 2, 1]
    assert [v.changed_by for v in versions] == [
        "dana@acme.example",
        "dana@acme.example",
        "cam@x.example",
        "cam@x.example",
    ]
    assert versions[0].summary == "KPI 'Days to close': current 12 → 9"
    assert (
        versions[1].summary
        == "added KPI 'Days to close' to goal 'Close the books faster'"
    )
    assert versions[3].summary == "created plan 'FY26'"
    assert versions[1].content["goals"][0]["kpis"][0]["current"] == 12
    assert versions[0].content["goals"][0]["kpis"][0]["current"] == 9


def test_the_plan_as_it_stood_at_a_moment_comes_from_its_versions(plan_store):
    with plan_store.session() as session:
        plan = create_plan(
            session, "acme", title="FY26", kickoff_on=KICKOFF, actor="cli"
        )
        change_plan(session, plan, AddGoal(title="First goal"), "cli")
        # Arrange history: the second version was made on 1 March.
        session.execute(
            update(SuccessPlanVersion)
            .where(SuccessPlanVersion.plan_id == plan.id)
            .values(changed_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
        )
        change_plan(session, plan, AddGoal(title="Second goal"), "cli")

        before = content_at(session, plan, dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
        march = content_at(session, plan, dt.datetime(2026, 3, 2, tzinfo=dt.UTC))

    assert [g.title for g in march.goals] == ["First goal"]
    assert before is None


def test_a_kpi_named_like_a_metric_reads_its_live_value_from_the_daily_run(plan_store):
    with plan_store.session() as session:
        plan = create_plan(
            session, "acme", title="FY26", kickoff_on=KICKOFF, actor="cli"
        )
        change_plan(session, plan, AddGoal(title="Everyone on board"), "cli")
        goal = content_of(plan).goals[0].id
        change_plan(
            session,
            plan,
            AddKpi(goal_id=goal, name="Seat utilisation", baseline=0.3, target=0.8),
            "cli",
        )
        change_plan(
            session,
            plan,
            AddKpi(goal_id=goal, name="Hours saved", unit="hours", current=14),
            "cli",
        )
        acme = session.query(Account).filter_by(external_id="acme").one()
        for day, share in ((dt.date(2026, 5, 31), 0.55), (dt.date(2026, 6, 30), 0.61)):
            session.add(
                HealthScore(
                    account_id=acme.id,
                    as_of=day,
                    status="scored",
                    score=70,
                    band="healthy",
                    scorecard="default",
                    scorecard_version=1,
                )
            )
            metrics = {"metric.seat_utilisation": pa.array([share])}
            write_details(session, day, np.array([acme.id]), metrics)
        session.flush()

        values = kpi_values(session, plan, dt.date(2026, 6, 30))
        earlier = kpi_values(session, plan, dt.date(2026, 6, 15))

    kpis = content_of(plan).goals[0].kpis
    assert kpis[0].metric == "seat_utilisation"
    assert kpis[1].metric is None
    assert values[kpis[0].id].current == 0.61
    assert values[kpis[0].id].source == "seat_utilisation on 2026-06-30"
    assert earlier[kpis[0].id].current == 0.55
    assert values[kpis[1].id].current == 14
    assert values[kpis[1].id].source == "typed in"


def test_a_live_kpi_cannot_be_typed_over(plan_store):
    with plan_store.session() as session:
        plan = create_plan(
            session, "acme", title="FY26", kickoff_on=KICKOFF, actor="cli"
        )
        change_plan(session, plan, AddGoal(title="Adoption"), "cli")
        goal = content_of(plan).goals[0].id
        change_plan(session, plan, AddKpi(goal_id=goal, name="Logins"), "cli")
        kpi = content_of(plan).goals[0].kpis[0].id

        with pytest.raises(InputInvalid) as refused:
            change_plan(session, plan, UpdateKpi(kpi_id=kpi, current=400), "cli")

    assert str(refused.value) == (
        "KPI 'Logins' takes its current value from the metric 'logins'; change "
        "its baseline or target instead"
    )


def test_an_unknown_metric_is_refused_with_the_known_ones(plan_store):
    with plan_store.session() as session:
        plan = create_plan(
            session, "acme", title="FY26", kickoff_on=KICKOFF, actor="cli"
        )
        change_plan(session, plan, AddGoal(title="Adoption"), "cli")
        goal = content_of(plan).goals[0].id

        with pytest.raises(InputInvalid) as refused:
            change_plan(
                session, plan, AddKpi(goal_id=goal, name="Joy", metric="joy"), "cli"
            )

    assert str(refused.value).startswith(
        "unknown metric 'joy'; use one of active_users,"
    )
    assert refused.value.field == "metric"


def test_an_item_of_another_plan_is_not_found(plan_store):
    with plan_store.session() as session:
        mine = create_plan(
            session, "acme", title="Mine", kickoff_on=KICKOFF, actor="cli"
        )
        theirs = create_plan(
            session, "bolt", title="Theirs", kickoff_on=KICKOFF, actor="cli"
        )
        change_plan(
            session,
            theirs,
            AddResponsibility(party="vendor", owner="Cat", task="Train admins"),
            "cli",
        )
        foreign = content_of(theirs).responsibilities[0].id

        with pytest.raises(PlanItemNotFound) as refused:
            change_plan(
                session, mine, CompleteResponsibility(responsibility_id=foreign), "cli"
            )

    assert str(refused.value) == f"no responsibility {foreign!r} in this plan"


def test_a_csm_sees_only_plans_of_their_own_accounts(plan_store):
    with plan_store.session() as session:
        theirs = create_plan(
            session, "bolt", title="Theirs", kickoff_on=KICKOFF, actor="cli"
        )
        cam = _user(session, "cam@x.example")

        with pytest.raises(PlanNotFound) as hidden:
            get_plan(session, theirs.id, cam)

    assert str(hidden.value) == f"no success plan with id {theirs.id}"


def test_replacing_from_a_stale_version_is_refused(plan_store):
    with plan_store.session() as session:
        plan = create_plan(
            session, "acme", title="FY26", kickoff_on=KICKOFF, actor="cli"
        )
        read = content_of(plan)
        change_plan(
            session,
            plan,
            AddMilestone(title="SSO live", due_on=dt.date(2026, 2, 1)),
            "cli",
        )
        mine, _ = apply_change(read, AddGoal(title="Budget freeze"))

        with pytest.raises(EditConflict) as refused:
            replace_plan(
                session,
                plan,
                title="FY26",
                status="active",
                content=mine,
                base_version=1,
                actor="cli",
            )

    assert str(refused.value) == (
        "the plan changed since version 1 (it is at version 2); read it again and "
        "apply your change to that"
    )


def test_a_replacement_sent_again_answers_the_plan_it_made(plan_store):
    with plan_store.session() as session:
        plan = create_plan(
            session, "acme", title="FY26", kickoff_on=KICKOFF, actor="cli"
        )
        mine, _ = apply_change(content_of(plan), AddGoal(title="Budget freeze"))
        fields = dict(title="FY26 v2", status="active", content=mine, actor="cli")
        replace_plan(session, plan, base_version=1, **fields)

        again = replace_plan(session, plan, base_version=1, **fields)

        assert again.version == 2
        assert [goal.title for goal in content_of(again).goals] == ["Budget freeze"]


def test_removing_an_item_says_what_went(plan_store):
    with plan_store.session() as session:
        plan = create_plan(
            session, "acme", title="FY26", kickoff_on=KICKOFF, actor="cli"
        )
        change_plan(session, plan, AddGoal(title="Old goal"), "cli")
        goal = content_of(plan).goals[0].id

        change_plan(session, plan, RemoveItem(item_id=goal), "cam@x.example")

        versions = plan_versions(session, plan)
    assert content_of(plan).goals == []
    assert versions[0].summary == "removed goal 'Old goal'"


def test_a_change_from_json_names_the_bad_field():
    with pytest.raises(InputInvalid) as refused:
        parse_change({"op": "add_milestone", "title": "SSO", "due_on": "soon"})

    assert refused.value.field == "add_milestone.due_on"
    assert str(refused.value).startswith(
        "add_milestone.due_on: Input should be a valid date"
    )


def test_a_change_without_a_known_op_names_op_and_the_changes():
    with pytest.raises(InputInvalid) as missing:
        parse_change({"title": "SSO"})
    with pytest.raises(InputInvalid) as unknown:
        parse_change({"op": "rename"})

    assert missing.value.field == unknown.value.field == "op"
    assert str(missing.value).startswith("op: missing; use one of add_goal, ")
    assert str(unknown.value).startswith("op: 'rename' is not a change; use one of")


def test_a_plan_made_from_a_document_links_kpis_named_for_metrics(plan_store):
    document = {
        "goals": [
            {
                "title": "Everyone in",
                "kpis": [{"name": "Active users", "target": 50}, {"name": "NPS"}],
            }
        ]
    }

    with plan_store.session() as session:
        plan = create_plan(
            session,
            "acme",
            title="FY26",
            kickoff_on=KICKOFF,
            actor="cli",
            content=parse_content(document),
        )

    kpis = content_of(plan).goals[0].kpis
    assert [kpi.metric for kpi in kpis] == ["active_users", None]
