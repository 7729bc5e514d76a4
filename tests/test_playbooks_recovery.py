"""The built-in recovery and expansion playbooks on dated scenarios worked by hand."""

import datetime as dt

import pytest
from sqlalchemy import select

from steward.store.automation import AccountTagChange
from steward.store.models import (
    Account,
    AccountTag,
    HealthScore,
    LifecycleChange,
    Note,
)
from tests.playbook_company import (
    LOGIN_SCORECARD,
    build,
    days,
    invoke,
    messages,
    run,
    runs,
    tasks,
)

D = dt.date

# Logins three a day from 13 May 2025: the 28-day window holds none up to
# the run of 12 May (score 21, at risk) and 21 or more from the run of
# 19 May on (score 81 and up, healthy).
LOGINS = "".join(
    f"hurt,u1,login,{day}T09:00:00Z,3\n" for day in days("2025-05-13", "2025-08-04")
)
RECOVERY = {
    "accounts": """external_id,name,industry,country,seats,arr,csm_email
hurt,Hurt plc,FinTech,GB,40,40000,csm1@x.example
""",
    "contacts": """external_id,account,name,email,role
e1,hurt,Eve Exec,eve@hurt.example,executive_sponsor
""",
    "contracts": """external_id,account,start_date,end_date,arr,seats
k-hurt,hurt,2024-01-01,2025-12-31,40000,40
""",
    "events": "account,user_id,event,ts,quantity\n" + LOGINS,
}


@pytest.fixture
def recovery(tmp_path, monkeypatch):
    workspace = build(tmp_path, monkeypatch, RECOVERY)
    workspace.scorecard_path().write_text(LOGIN_SCORECARD)
    recorded = invoke(
        "incident", "hurt", "--kind", "outage", "--on", "2025-04-17",
        "--summary", "API down for 3 hours", "--id", "INC-7",
    )  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    return workspace


def _tags(workspace) -> list[tuple[str, str, dt.date]]:
    with workspace.store.session() as session:
        return [
            (row.tag, row.change, row.changed_on)
            for row in session.scalars(
                select(AccountTagChange).order_by(AccountTagChange.id)
            )
        ]


def test_incident_starts_the_recovery_plan_with_due_dates_across_easter(recovery):
    run(recovery, "2025-04-17")
    run(recovery, "2025-04-17")

    # Incident on Thu 17 Apr 2025 (GB: Good Friday 18 Apr and Mon 5 May are
    # holidays; Easter Monday is not a UK-wide one). The apology is due a day
    # later: Fri 18 is a holiday, the weekend follows, so Mon 21 Apr. Root
    # cause in 5 business days: 21-25 Apr. Bridge call (the CS manager) in
    # 10: 28 Apr-2 May. Joint plan in 15: 6-9, 12 May. Check-ins a month
    # apart from 17 Apr, moved off weekends: Sat 17 May -> Mon 19 May, 17 Jun,
    # 17 Jul, Sun 17 Aug -> Mon 18 Aug, 17 Sep, 17 Oct.
    csm, lead = "csm1@x.example", "lead@x.example"
    plan = [(due, who, title) for _, _, _, due, who, title in tasks(recovery)]
    assert plan == [
        (D(2025, 4, 21), csm, "Hurt plc: apologise to the executive sponsor"),
        (D(2025, 4, 25), csm, "Hurt plc: root-cause briefing"),
        (D(2025, 5, 2), lead, "Hurt plc: executive bridge call"),
        (D(2025, 5, 12), csm, "Hurt plc: agree the 90-day joint success plan"),
        *[
            (day, csm, f"Hurt plc: monthly executive check-in {n} of 6")
            for n, day in enumerate(
                [
                    D(2025, 5, 19),
                    D(2025, 6, 17),
                    D(2025, 7, 17),
                    D(2025, 8, 18),
                    D(2025, 9, 17),
                    D(2025, 10, 17),
                ],
                start=1,
            )
        ],
    ]
    with recovery.store.session() as session:
        stage = session.scalar(select(Account.lifecycle_stage))
        body = session.scalar(
            select(Note.body).where(
                Note.kind == "playbook", Note.body.like("Recovery%")
            )
        )
    assert stage == "recovery"
    assert body == "Recovery started after the outage of 2025-04-17."
    assert _tags(recovery) == [("Recovery", "added", D(2025, 4, 17))]
    [apology] = messages(recovery)
    assert (apology.target, apology.subject) == (
        "eve@hurt.example",
        "Hurt plc: our apology, and what happens next",
    )
    assert apology.payload["text"].startswith("Dear Eve Exec,")
    assert "a service credit of 15%" in apology.payload["text"]


def test_joint_plan_names_the_service_credit_on_the_arr(recovery):
    run(recovery, "2025-04-17")

    with recovery.store.session() as session:
        from steward.store.models import Task

        body = session.scalar(select(Task.body).where(Task.title.like("%joint%")))

    assert "service credit of 15% (6,000 on an ARR of 40,000)" in " ".join(body.split())


def test_recovery_tag_comes_off_after_two_healthy_months(recovery):
    mondays = days("2025-04-21", "2025-08-04", step=7)
    run(recovery, "2025-04-17")
    for day in mondays:
        run(recovery, day)

    reviews = [
        created for _, kind, created, *_ in tasks(recovery, kind="recovery_review")
    ]
    with recovery.store.session() as session:
        stages = session.execute(
            select(LifecycleChange.changed_on, LifecycleChange.stage).order_by(
                LifecycleChange.id
            )
        ).all()
        tagged = session.scalar(select(AccountTag.tag))
    exit_run = runs(recovery, "recovery-exit")

    # At risk at every Monday run up to 12 May, healthy from 19 May: two
    # months from 19 May is Sat 19 Jul, so the Monday run of 21 Jul takes
    # the tag off (14 Jul is still 5 days short). The weekly review runs on
    # each Monday the tag is on as the day opens: 21 Apr to 21 Jul.
    assert reviews == [D.fromisoformat(day) for day in mondays if day <= "2025-07-21"]
    assert _tags(recovery) == [
        ("Recovery", "added", D(2025, 4, 17)),
        ("Recovery", "removed", D(2025, 7, 21)),
    ]
    assert tagged is None
    assert [(run.as_of, run.inputs["trigger"]["since"]) for run in exit_run] == [
        (D(2025, 7, 21), "2025-05-19")
    ]
    assert (D(2025, 7, 21), "adoption") in stages
    assert (D(2025, 4, 17), "recovery") in stages


EXPANSION = {
    "accounts": """external_id,name,industry,country,seats,arr,csm_email,ae_email
grow,Grow Inc,DevTools,US,10,30000,csm1@x.example,ae1@x.example
flat,Flat Inc,DevTools,US,10,30000,csm1@x.example,ae1@x.example
""",
    "contracts": """external_id,account,start_date,end_date,arr,seats
k-grow,grow,2024-05-13,2025-05-12,30000,10
k-flat,flat,2024-05-13,2025-05-12,30000,10
""",
    "nps": """account,score,responded_at
grow,9,2025-01-15T10:00:00Z
flat,9,2025-01-15T10:00:00Z
""",
    # grow: 9 of its 10 seats active in the weeks before (90% > 80%), 18
    # logins (healthy on the login scorecard); flat: 1 user, 12 logins
    # (neutral). Neither at risk, so the lifecycle rules leave the stages to
    # the playbook and to the renewal window.
    "events": "account,user_id,event,ts,quantity\n"
    + "".join(f"grow,u{n},login,2025-01-{20 + n}T09:00:00Z,2\n" for n in range(9))
    + "flat,v1,login,2025-01-21T09:00:00Z,12\n",
}


@pytest.fixture
def expansion(tmp_path, monkeypatch):
    workspace = build(tmp_path, monkeypatch, EXPANSION)
    workspace.scorecard_path().write_text(LOGIN_SCORECARD)
    return workspace


def test_expansion_fires_within_90_days_of_renewal_and_once(expansion):
    run(expansion, "2025-02-10")
    on_10 = tasks(expansion)
    run(expansion, "2025-02-11")
    run(expansion, "2025-02-12")

    with expansion.store.session() as session:
        scores = dict(
            session.execute(
                select(Account.external_id, HealthScore.expansion)
                .join(Account, HealthScore.account_id == Account.id)
                .where(HealthScore.as_of == D(2025, 2, 11))
            ).all()
        )
        stage = dict(
            session.execute(select(Account.external_id, Account.lifecycle_stage)).all()
        )

    # Renewal Mon 12 May 2025: 91 days after 10 Feb, 90 after 11 Feb. grow
    # scores 90 (utilisation 40 + NPS 9 > 8 30 + no tickets 20; no sponsor
    # engaged). flat scores 50. The Strategic Value Review is due 5 business
    # days after 11 Feb, skipping Presidents' Day (Mon 17 Feb): Wed 19 Feb.
    assert on_10 == []
    assert scores == {"grow": 90.0, "flat": 50.0}
    assert tasks(expansion) == [
        (
            "grow",
            "strategic_value_review",
            D(2025, 2, 11),
            D(2025, 2, 19),
            "csm1@x.example",
            "Grow Inc: prepare the Strategic Value Review",
        )
    ]
    alerts = [(m.target, m.subject) for m in messages(expansion)]
    subject = "Expansion: Grow Inc is 90/100 ready, renewal on 2025-05-12"
    assert alerts == [("csm1@x.example", subject), ("ae1@x.example", subject)]
    assert stage == {"grow": "expansion", "flat": "renewal"}
