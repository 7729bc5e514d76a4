"""What a business review shows, read from the stores as plain values.

:func:`review_facts` gathers them for one account and day; the deck is drawn
from the result by :mod:`steward.reports.qbr` without touching a store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts.success_plans import content_at, content_of, metric_values
from steward.auth.permissions import check_account
from steward.errors import AccountNotFound, PlanNotFound
from steward.events.duck import quiet_duckdb
from steward.events.store import EventStore
from steward.metrics.definitions import CATALOGUE
from steward.store.models import (
    Account,
    MilestoneState,
    NpsResponse,
    Ticket,
    User,
)
from steward.store.plans import BusinessReview, SuccessPlan
from steward.store.scores import details_of, score_history

EPOCH = dt.date(1970, 1, 1)
# Trends show at least this much history, even when the last review was recent.
MIN_TREND_DAYS = 90
MAX_TREND_DAYS = 400


@dataclass(frozen=True)
class KpiResult:
    name: str
    unit: str
    metric: str | None
    baseline: float | None
    target: float | None
    then: float | None
    now: float | None
    # Where ``then`` came from: "measured" at the start, or the plan's "baseline".
    then_from: str
    value_per_unit: float | None


@dataclass(frozen=True)
class GoalResult:
    goal: str
    kpis: list[KpiResult]


@dataclass(frozen=True)
class MilestoneLine:
    title: str
    due_on: dt.date
    reached_on: dt.date | None
    source: str


@dataclass(frozen=True)
class NextStep:
    party: str
    owner: str
    task: str
    due_on: dt.date | None


@dataclass
class ReviewFacts:
    account_key: str
    account_name: str
    industry: str | None
    arr: float | None
    as_of: dt.date
    since: dt.date
    since_label: str
    goals: list[GoalResult] = field(default_factory=list)
    health: list[tuple[dt.date, float | None]] = field(default_factory=list)
    band: str | None = None
    seat_utilisation: list[tuple[dt.date, float]] = field(default_factory=list)
    # (week start, weekly active users, events)
    usage: list[tuple[dt.date, int, int]] = field(default_factory=list)
    reached: list[MilestoneLine] = field(default_factory=list)
    missed: list[MilestoneLine] = field(default_factory=list)
    tickets_opened: int = 0
    tickets_open_now: int = 0
    tickets_escalated: int = 0
    nps_answers: list[int] = field(default_factory=list)
    nps_comments: list[str] = field(default_factory=list)
    next_steps: list[NextStep] = field(default_factory=list)
    plan_versions: dict[str, int] = field(default_factory=dict)


def review_facts(
    session: Session,
    events: EventStore,
    account_key: str,
    as_of: dt.date,
    viewer: User | None = None,
) -> ReviewFacts:
    """Everything a review of ``account_key`` on ``as_of`` shows.

    Results are measured since the newest review held before ``as_of`` (or the
    plan's kickoff when there was none). ``viewer`` limits it to their book.
    """
    account = session.scalar(select(Account).where(Account.external_id == account_key))
    if viewer is not None:
        check_account(viewer, account, account_key, change=False)
    if account is None:
        raise AccountNotFound(
            f"no account with id {account_key!r}; `steward accounts` lists them"
        )
    plans = _active_plans(session, account, account_key)
    since, label = _since(session, account, plans, as_of)
    facts = ReviewFacts(
        account_key=account_key,
        account_name=account.name,
        industry=account.industry,
        arr=account.arr,
        as_of=as_of,
        since=since,
        since_label=label,
        plan_versions={str(plan.id): plan.version for plan in plans},
    )
    facts.goals = _goal_results(session, account, plans, since, as_of)
    _add_trends(session, events, account, facts)
    _add_milestones(session, account, plans, facts)
    _add_support_and_nps(session, account, facts)
    facts.next_steps = _next_steps(plans)
    return facts


def _active_plans(
    session: Session, account: Account, account_key: str
) -> list[SuccessPlan]:
    plans = list(
        session.scalars(
            select(SuccessPlan)
            .where(SuccessPlan.account_id == account.id, SuccessPlan.status == "active")
            .order_by(SuccessPlan.id)
        )
    )
    if not plans:
        raise PlanNotFound(
            f"account {account_key!r} has no active success plan, and a review "
            "opens with the customer's goals: create one with `steward plan "
            f"create {account_key} --title ...` or on the account's Plans page"
        )
    return plans


def _since(
    session: Session, account: Account, plans: list[SuccessPlan], as_of: dt.date
) -> tuple[dt.date, str]:
    held = session.scalar(
        select(BusinessReview.held_on)
        .where(BusinessReview.account_id == account.id, BusinessReview.held_on < as_of)
        .order_by(BusinessReview.held_on.desc())
        .limit(1)
    )
    if held is not None:
        return held, f"since the last review on {held}"
    kickoff = min(plan.kickoff_on for plan in plans)
    return kickoff, f"since kickoff on {kickoff}"


def _goal_results(
    session: Session,
    account: Account,
    plans: list[SuccessPlan],
    since: dt.date,
    as_of: dt.date,
) -> list[GoalResult]:
    _, then_metrics = metric_values(session, account.id, since)
    _, now_metrics = metric_values(session, account.id, as_of)
    end_of_since = dt.datetime.combine(since, dt.time.max, dt.UTC)
    results = []
    for plan in plans:
        earlier = content_at(session, plan, end_of_since)
        typed_then = {
            kpi.id: kpi.current
            for goal in (earlier.goals if earlier else [])
            for kpi in goal.kpis
        }
        for goal in content_of(plan).goals:
            kpis = []
            for kpi in goal.kpis:
                if kpi.metric:
                    then = then_metrics.get(kpi.metric)
                    now = now_metrics.get(kpi.metric)
                    unit = CATALOGUE[kpi.metric].unit
                else:
                    then, now, unit = typed_then.get(kpi.id), kpi.current, kpi.unit
                then_from = "measured" if then is not None else "baseline"
                kpis.append(
                    KpiResult(
                        name=kpi.name,
                        unit=unit,
                        metric=kpi.metric,
                        baseline=kpi.baseline,
                        target=kpi.target,
                        then=then if then is not None else kpi.baseline,
                        now=now,
                        then_from=then_from,
                        value_per_unit=kpi.value_per_unit,
                    )
                )
            results.append(GoalResult(goal=goal.title, kpis=kpis))
    return results


def _add_trends(
    session: Session, events: EventStore, account: Account, facts: ReviewFacts
) -> None:
    days = (facts.as_of - facts.since).days + 1
    first = facts.as_of - dt.timedelta(
        days=min(max(days, MIN_TREND_DAYS), MAX_TREND_DAYS) - 1
    )
    rows = score_history(session, account.id, first, facts.as_of)
    facts.health = [(row.as_of, row.score) for row in rows]
    facts.band = rows[-1].band if rows else None
    details = details_of(session, account.id, [row.as_of for row in rows])
    facts.seat_utilisation = [
        (day, float(detail.metrics["seat_utilisation"]))
        for day, detail in sorted(details.items())
        if detail.metrics.get("seat_utilisation") is not None
    ]
    facts.usage = weekly_usage(events, account.external_id, first, facts.as_of)


def weekly_usage(
    events: EventStore, account_key: str, first: dt.date, last: dt.date
) -> list[tuple[dt.date, int, int]]:
    """(Monday, distinct users, events) per week from ``first`` to ``last``.

    Reads Steward's own event files; weeks without events are included as
    zeros so a chart shows the gap.
    """
    monday = first - dt.timedelta(days=first.weekday())
    weeks = [
        monday + dt.timedelta(weeks=k) for k in range((last - monday).days // 7 + 1)
    ]
    files = [str(path) for path in events.files()]
    found: dict[int, tuple[int, int]] = {}
    if files:
        query = """
            select (day - $monday) // 7, count(distinct user_id), count(*)
            from read_parquet($files)
            where account_id = $account and day between $first and $last
            group by 1
        """
        rows = (
            quiet_duckdb()
            .execute(
                query,
                {
                    "files": files,
                    "account": account_key,
                    "monday": (monday - EPOCH).days,
                    "first": (first - EPOCH).days,
                    "last": (last - EPOCH).days,
                },
            )
            .fetchall()
        )
        found = {int(week): (int(users), int(count)) for week, users, count in rows}
    return [(week, *found.get(k, (0, 0))) for k, week in enumerate(weeks)]


def _add_milestones(
    session: Session, account: Account, plans: list[SuccessPlan], facts: ReviewFacts
) -> None:
    """Reached in the period, and missed: due by now and not reached in time."""
    journeys = session.scalars(
        select(MilestoneState)
        .where(MilestoneState.account_id == account.id)
        .order_by(MilestoneState.journey, MilestoneState.position)
    )
    lines = [
        MilestoneLine(
            state.milestone.replace("_", " ").capitalize(),
            state.due_on,
            state.achieved_on,
            f"{state.journey} journey",
        )
        for state in journeys
    ]
    for plan in plans:
        lines.extend(
            MilestoneLine(m.title, m.due_on, m.done_on, "success plan")
            for m in content_of(plan).milestones
        )
    for line in lines:
        if _reached_in(line, facts):
            facts.reached.append(line)
        elif _missed_by(line, facts):
            facts.missed.append(line)


def _reached_in(line: MilestoneLine, facts: ReviewFacts) -> bool:
    reached = line.reached_on
    return reached is not None and facts.since < reached <= facts.as_of


def _missed_by(line: MilestoneLine, facts: ReviewFacts) -> bool:
    """Due by the review day and not reached by its due day: those due in the
    period, and those due earlier that are still open.
    """
    if line.due_on > facts.as_of:
        return False
    if line.reached_on is None:
        return True
    return line.reached_on > line.due_on and line.due_on > facts.since


def _add_support_and_nps(
    session: Session, account: Account, facts: ReviewFacts
) -> None:
    start = dt.datetime.combine(facts.since, dt.time.max, dt.UTC)
    end = dt.datetime.combine(facts.as_of, dt.time.max, dt.UTC)
    tickets = session.execute(
        select(Ticket.opened_at, Ticket.closed_at, Ticket.escalated).where(
            Ticket.account_id == account.id, Ticket.opened_at <= end
        )
    ).all()
    period = [t for t in tickets if t.opened_at > start]
    facts.tickets_opened = len(period)
    facts.tickets_escalated = sum(1 for t in period if t.escalated)
    facts.tickets_open_now = sum(
        1 for t in tickets if t.closed_at is None or t.closed_at > end
    )
    answers = session.execute(
        select(NpsResponse.score, NpsResponse.comment)
        .where(
            NpsResponse.account_id == account.id,
            NpsResponse.responded_at > start,
            NpsResponse.responded_at <= end,
        )
        .order_by(NpsResponse.responded_at.desc())
    ).all()
    facts.nps_answers = [int(answer.score) for answer in answers]
    facts.nps_comments = [a.comment for a in answers if a.comment][:3]


def _next_steps(plans: list[SuccessPlan]) -> list[NextStep]:
    """The plan's open responsibilities, soonest first (undated last)."""
    steps = [
        NextStep(item.party, item.owner, item.task, item.due_on)
        for plan in plans
        for item in content_of(plan).responsibilities
        if not item.done
    ]
    return sorted(steps, key=lambda s: (s.due_on is None, s.due_on or dt.date.max))
