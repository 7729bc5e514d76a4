"""What the QBR tests share: a plan made through the service, the expected
results worked out from the store's rows, and the deck read back with python-pptx.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pypdfium2
from pptx import Presentation
from sqlalchemy import select, text, update

from steward.accounts.plan_content import (
    AddGoal,
    AddKpi,
    AddMilestone,
    AddResponsibility,
    UpdateKpi,
)
from steward.accounts.success_plans import change_plan, content_of, create_plan
from steward.store.models import Account
from steward.store.plans import BusinessReview, SuccessPlanVersion
from steward.store.scores import day_metrics, details_of

LINE = re.compile(
    r"^(?P<label>.+?): (?P<baseline>baseline )?(?P<then>-?[\d,.]+%?) → "
    r"(?P<now>-?[\d,.]+%?) \((?P<change>[^)]*)\)(?:, target (?P<target>.+))?$"
)


def scored_twice(session, first: dt.date, last: dt.date, metrics: list[str]) -> str:
    """An account the daily run scored on both days, with these metrics on both,
    and no success plan yet (each test takes its own account).
    """
    planned = set(
        session.scalars(
            text(
                "select a.external_id from success_plans p "
                "join accounts a on a.id = p.account_id"
            )
        )
    )
    keys = dict(session.execute(select(Account.id, Account.external_id)).all())
    seen: dict[str, set] = {}
    for day in (first, last):
        values = day_metrics(session, day)
        complete = values[metrics].notna().all(axis=1) & (values[metrics] != 0).all(
            axis=1
        )
        for account_id in values.index[complete]:
            seen.setdefault(keys[int(account_id)], set()).add(str(day))
    return next(
        k for k, days in sorted(seen.items()) if len(days) == 2 and k not in planned
    )


def measured(session, key: str, day: dt.date, metric: str) -> float:
    """The metric the daily run stored for the account on the day."""
    account_id = session.scalar(select(Account.id).where(Account.external_id == key))
    return float(details_of(session, account_id, [day])[day].metrics[metric])


def make_plan(
    session, key: str, kickoff: dt.date, review: dt.date, metrics: list[str]
) -> dict:
    """A plan with one goal per linked metric, a typed goal changed since the last
    review, a goal with no KPI, a milestone and a next step; the review is recorded.
    """
    plan = create_plan(
        session, key, title="Success plan", kickoff_on=kickoff, actor="cam"
    )
    goals = {}
    for metric in metrics:
        title = f"Grow {metric.replace('_', ' ')}"
        change_plan(session, plan, AddGoal(title=title), "cam")
        goal = content_of(plan).goals[-1].id
        change_plan(
            session,
            plan,
            AddKpi(goal_id=goal, name=metric, baseline=1, target=1000),
            "cam",
        )
        goals[title] = ("metric", metric)
    change_plan(session, plan, AddGoal(title="Give analysts their week back"), "dana")
    goal = content_of(plan).goals[-1].id
    change_plan(
        session,
        plan,
        AddKpi(
            goal_id=goal,
            name="Hours saved",
            unit="hours",
            baseline=0,
            target=40,
            current=10,
            value_per_unit=40,
        ),
        "dana",
    )
    change_plan(session, plan, AddGoal(title="Agree the renewal scope"), "cam")
    change_plan(
        session,
        plan,
        AddMilestone(title="Reporting live", due_on=review + dt.timedelta(days=30)),
        "cam",
    )
    change_plan(
        session,
        plan,
        AddResponsibility(
            party="customer",
            owner="Dana",
            task="Invite every analyst",
            due_on=review + dt.timedelta(days=60),
        ),
        "cam",
    )
    # Arrange history: everything so far was written before the last review.
    session.execute(
        update(SuccessPlanVersion)
        .where(SuccessPlanVersion.plan_id == plan.id)
        .values(changed_at=dt.datetime.combine(review, dt.time(9), dt.UTC))
    )
    kpi = content_of(plan).goals[len(metrics)].kpis[0].id
    change_plan(session, plan, UpdateKpi(kpi_id=kpi, current=25), "dana")
    goals["Give analysts their week back"] = ("typed", 10.0, 25.0)
    goals["Agree the renewal scope"] = ("none",)
    account_id = session.scalar(select(Account.id).where(Account.external_id == key))
    session.add(
        BusinessReview(
            account_id=account_id, held_on=review, variant="qbr", created_by="cam"
        )
    )
    return goals


def number(shown: str) -> float:
    return float(shown.replace(",", "").removesuffix("%"))


def first_slide_rows(path: Path) -> tuple[str, list[tuple[str, str]]]:
    deck = Presentation(str(path))
    slide = deck.slides[0]
    table = next(shape.table for shape in slide.shapes if shape.has_table)
    rows = [
        (table.cell(r, 0).text, table.cell(r, 1).text)
        for r in range(1, len(table.rows))
    ]
    return slide.shapes.title.text, rows


def slide_titles(path: Path) -> list[str]:
    return [slide.shapes.title.text for slide in Presentation(str(path)).slides]


def pdf_pages(path: Path) -> list:
    """Each page of the PDF rendered to an image."""
    document = pypdfium2.PdfDocument(str(path))
    return [document[i].render(scale=0.5).to_pil() for i in range(len(document))]


def check_goals(rows, goals, then_day_values, now_day_values) -> None:
    """Every goal of the plan beside its result, as the store's rows say."""
    assert [goal for goal, _ in rows] == list(goals)
    for goal, result in rows:
        kind = goals[goal]
        if kind[0] == "none":
            assert result == "No KPI agreed for this goal yet"
            continue
        match = LINE.match(result)
        assert match, result
        if kind[0] == "typed":
            assert match["label"] == "Hours saved (hours)"
            assert (number(match["then"]), number(match["now"])) == kind[1:]
            assert match["baseline"] is None
            continue
        metric = kind[1]
        then, now = then_day_values[metric], now_day_values[metric]
        percent = match["now"].endswith("%")
        scale = 100 if percent else 1
        assert match["label"].startswith(metric)
        assert abs(number(match["then"]) - then * scale) <= 0.05
        assert abs(number(match["now"]) - now * scale) <= 0.05
