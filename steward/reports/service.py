"""The retention, cohort, time-to-value and NPS reports, read from the stores.

The functions the CLI, the API and the web app call: each reads the rows it
needs (limited to the viewer's book for a CSM), hands them to the pure
functions of :mod:`steward.reports`, and returns a :class:`ReportTable`.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from steward.accounts.coverage import CoverageRules
from steward.accounts.workload import effort_report
from steward.auth.permissions import book_of
from steward.errors import InputInvalid
from steward.reports import cohorts, nps, retention, ttv
from steward.reports.tables import Column, ReportTable, rows_of
from steward.store.models import (
    Account,
    Contract,
    MilestoneState,
    NpsResponse,
    User,
)
from steward.workspace import Workspace

GROUPINGS = ("segment", "tier", "coverage", "csm", "industry")
REPORTS = ("retention", "cohorts", "ttv", "nps", "effort")

RETENTION_COLUMNS = [
    Column("group", "Group"),
    Column("accounts_start", "Customers at start", "count"),
    Column("arr_start", "ARR at start", "money"),
    Column("arr_end", "Their ARR at end", "money"),
    Column("grr", "GRR", "share"),
    Column("nrr", "NRR", "share"),
    Column("logo_churn", "Logo churn", "share"),
    Column("revenue_churn", "Revenue churn", "share"),
    Column("churned_accounts", "Churned", "count"),
    Column("churned_arr", "Churned ARR", "money"),
    Column("contraction_arr", "Contraction", "money"),
    Column("expansion_arr", "Expansion", "money"),
    Column("new_customers", "New customers", "count"),
    Column("new_judged", "Past 90 days", "count"),
    Column("new_churned_90d", "Churned in 90 days", "count"),
    Column("churn_90d", "90-day churn", "share"),
    Column("expansion_deals", "Expansion deals", "count"),
    Column("expansion_deal_mean", "Mean deal", "money"),
    Column("expansion_deal_median", "Median deal", "money"),
    Column("expansion_deal_total", "Deals total", "money"),
]
COHORT_COLUMNS = [
    Column("group", "Group"),
    Column("cohort", "Signed"),
    Column("accounts", "Accounts", "count"),
    Column("month", "Month", "count"),
    Column("retained", "Retained", "count"),
    Column("share", "Retained share", "share"),
    Column("arr_share", "ARR share", "share"),
]
TTV_COLUMNS = [
    Column("group", "Group"),
    Column("journey", "Journey"),
    Column("milestone", "Milestone"),
    Column("accounts", "Accounts", "count"),
    Column("reached", "Reached", "count"),
    Column("on_time", "On time", "count"),
    Column("waiting", "Waiting", "count"),
    Column("missed", "Missed", "count"),
    Column("median_days", "Median days", "days"),
    Column("mean_days", "Mean days", "days"),
    Column("p75_days", "75th pct days", "days"),
]
NPS_COLUMNS = [
    Column("group", "Group"),
    Column("month", "Month"),
    Column("answers", "Answers", "count"),
    Column("promoters", "Promoters", "count"),
    Column("passives", "Passives", "count"),
    Column("detractors", "Detractors", "count"),
    Column("nps", "NPS", "score"),
]


EFFORT_COLUMNS = [
    Column("group", "Group"),
    Column("accounts", "Accounts", "count"),
    Column("planned_hours", "Planned hours", "hours"),
    Column("logged_hours", "Logged hours", "hours"),
    Column("planned_per_account_month", "Planned per account a month", "hours"),
    Column("logged_per_account_month", "Logged per account a month", "hours"),
    Column("logged_vs_plan", "Logged / planned", "share"),
]


def check_period(start: dt.date, end: dt.date, by: str | None) -> None:
    if end < start:
        raise InputInvalid(
            f"the period ends ({end}) before it starts ({start}); swap from and to",
            field="to",
        )
    if by is not None and by not in GROUPINGS:
        raise InputInvalid(
            f"cannot group by {by!r}; use one of {', '.join(GROUPINGS)}", field="by"
        )


def retention_report(
    session: Session,
    start: dt.date,
    end: dt.date,
    *,
    by: str | None = None,
    today: dt.date,
    viewer: User | None = None,
) -> ReportTable:
    """GRR, NRR, churn, 90-day churn of new customers and expansion deals."""
    check_period(start, end, by)
    book = _book(viewer)
    frame = retention.retention(
        contract_frame(session, book),
        start,
        end,
        groups=group_series(session, by, book),
        observed_until=max(today, end),
    )
    return ReportTable(
        "retention",
        "Revenue and retention",
        start,
        end,
        by,
        RETENTION_COLUMNS,
        rows_of(frame, RETENTION_COLUMNS),
    )


def cohort_report(
    session: Session,
    workspace: Workspace,
    start: dt.date,
    end: dt.date,
    *,
    by: str | None = None,
    basis: str = "auto",
    viewer: User | None = None,
) -> ReportTable:
    """Retention curves of the accounts that signed from ``start`` to ``end``."""
    check_period(start, end, by)
    if basis not in (*cohorts.BASES, "auto"):
        raise InputInvalid(
            f"unknown basis {basis!r}; use contracts, activity or auto", field="basis"
        )
    book = _book(viewer)
    contracts = contract_frame(session, book)
    if basis == "auto":
        paying = contracts["arr"].fillna(0) > 0
        basis = "contracts" if paying.any() else "activity"
    groups = group_series(session, by, book)
    if basis == "contracts":
        frame = cohorts.contract_curves(contracts, start, end, end, groups)
    else:
        months = _activity(session, workspace, book)
        frame = cohorts.activity_curves(months, start, end, end, groups)
    table = ReportTable(
        "cohorts",
        "Cohort retention by signing month",
        start,
        end,
        by,
        COHORT_COLUMNS,
        rows_of(frame, COHORT_COLUMNS),
    )
    table.notes.append(f"basis: {basis}")
    return table


def ttv_report(
    session: Session,
    start: dt.date,
    end: dt.date,
    *,
    by: str | None = None,
    viewer: User | None = None,
) -> ReportTable:
    """Days from start to each onboarding milestone, journeys begun in the period."""
    check_period(start, end, by)
    book = _book(viewer)
    query = select(
        Account.external_id.label("account_id"),
        MilestoneState.journey,
        MilestoneState.milestone,
        MilestoneState.position,
        MilestoneState.started_on,
        MilestoneState.status,
        MilestoneState.days_to_value,
    ).join(Account, Account.id == MilestoneState.account_id)
    states = _frame(session, _in_book(query, book))
    frame = ttv.time_to_value(states, start, end, group_series(session, by, book))
    return ReportTable(
        "ttv", "Time to value", start, end, by, TTV_COLUMNS, rows_of(frame, TTV_COLUMNS)
    )


def nps_report(
    session: Session,
    start: dt.date,
    end: dt.date,
    *,
    by: str | None = None,
    viewer: User | None = None,
) -> ReportTable:
    check_period(start, end, by)
    book = _book(viewer)
    query = select(
        Account.external_id.label("account_id"),
        NpsResponse.responded_at,
        NpsResponse.score,
    ).join(Account, Account.id == NpsResponse.account_id)
    answers = _frame(session, _in_book(query, book))
    frame = nps.nps_by_month(answers, start, end, group_series(session, by, book))
    return ReportTable(
        "nps", "NPS over time", start, end, by, NPS_COLUMNS, rows_of(frame, NPS_COLUMNS)
    )


def effort_table(
    session: Session,
    rules: CoverageRules,
    start: dt.date,
    end: dt.date,
    *,
    by: str = "tier",
    viewer: User | None = None,
) -> ReportTable:
    """CSM hours logged against the coverage plan (see ``effort_report``)."""
    check_period(start, end, None)
    frame = effort_report(session, rules, start, end, by, viewer)
    frame["accounts"] = frame["accounts"].astype(int)
    return ReportTable(
        "effort",
        "CSM effort against plan",
        start,
        end,
        by,
        EFFORT_COLUMNS,
        rows_of(frame, EFFORT_COLUMNS),
    )


def contract_frame(session: Session, book: int | None = None) -> pd.DataFrame:
    """Every contract by account external id, dates as timestamps."""
    query = select(
        Account.external_id.label("account_id"),
        Contract.start_date,
        Contract.end_date,
        Contract.arr,
        Contract.outcome,
        Contract.closed_on,
        Contract.new_arr,
    ).join(Account, Account.id == Contract.account_id)
    frame = _frame(session, _in_book(query, book))
    for column in ("start_date", "end_date", "closed_on"):
        frame[column] = pd.to_datetime(frame[column])
    for column in ("arr", "new_arr"):
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    return frame


def group_series(
    session: Session, by: str | None, book: int | None
) -> pd.Series | None:
    """Each account's value of ``by`` today, by external id (the CSM's name)."""
    if by is None:
        return None
    column = User.name if by == "csm" else getattr(Account, by)
    query = select(Account.external_id, column).outerjoin(
        User, User.id == Account.csm_id
    )
    rows = session.execute(_in_book(query, book)).all()
    return pd.Series(
        {key: value for key, value in rows if value is not None}, dtype=object
    )


def _activity(session: Session, workspace: Workspace, book: int | None) -> pd.DataFrame:
    con = workspace.event_engine()
    months = con.execute(cohorts.activity_months(workspace.events.table(con)))
    if book is not None:
        mine = set(
            session.scalars(select(Account.external_id).where(Account.csm_id == book))
        )
        months = months[months["account_id"].isin(mine)]
    return months


def _book(viewer: User | None) -> int | None:
    return book_of(viewer) if viewer is not None else None


def _in_book(query: Select, book: int | None) -> Select:
    return query if book is None else query.where(Account.csm_id == book)


def _frame(session: Session, query: Select) -> pd.DataFrame:
    result = session.execute(query)
    return pd.DataFrame(result.all(), columns=list(result.keys()))
