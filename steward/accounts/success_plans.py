"""Mutual success plans: created at kickoff, changed by the CSM and the customer,
every change kept as a new version with who made it.

The plan's document and its changes are in :mod:`steward.accounts.plan_content`;
customer links in :mod:`steward.accounts.plan_links`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import get_args

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts.plan_content import (
    Change,
    Kpi,
    PlanContent,
    apply_change,
    with_suggested_metrics,
)
from steward.audit import record
from steward.auth.permissions import check_account, may_see_account
from steward.errors import AccountNotFound, EditConflict, InputInvalid, PlanNotFound
from steward.store.models import Account, User, utcnow
from steward.store.plans import PLAN_STATUSES, SuccessPlan, SuccessPlanVersion
from steward.store.scores import details_of, score_history


def create_plan(
    session: Session,
    account_key: str,
    *,
    title: str,
    kickoff_on: dt.date,
    actor: str,
    viewer: User | None = None,
    content: PlanContent | None = None,
) -> SuccessPlan:
    """A new plan on the account, as version 1, made by ``actor``.

    ``viewer`` is checked when given; the CLI passes none (its operator holds
    the data folder).
    """
    account = _account(session, account_key, viewer, change=True)
    title = _title(title)
    plan = SuccessPlan(
        account_id=account.id,
        title=title,
        kickoff_on=kickoff_on,
        version=1,
        content=with_suggested_metrics(content or PlanContent()).model_dump(
            mode="json"
        ),
        created_by=actor,
    )
    session.add(plan)
    session.flush()
    _keep_version(session, plan, actor, f"created plan {title!r}")
    record(session, actor, "plan.created", "plan", plan.id, account=account_key)
    return plan


def get_plan(
    session: Session,
    plan_id: int,
    viewer: User | None = None,
    *,
    change: bool = False,
) -> SuccessPlan:
    """The plan when ``viewer`` may see its account (and change it, when asked)."""
    plan = session.get(SuccessPlan, plan_id)
    if plan is None or (viewer and not may_see_account(viewer, plan.account)):
        raise PlanNotFound(f"no success plan with id {plan_id}")
    if change and viewer is not None:
        check_account(viewer, plan.account, plan.account.external_id, change=True)
    return plan


def plans_of(
    session: Session, account_key: str, viewer: User | None = None
) -> list[SuccessPlan]:
    """The account's plans, newest first."""
    account = _account(session, account_key, viewer, change=False)
    return list(
        session.scalars(
            select(SuccessPlan)
            .where(SuccessPlan.account_id == account.id)
            .order_by(SuccessPlan.id.desc())
        )
    )


def content_of(plan: SuccessPlan) -> PlanContent:
    return PlanContent.model_validate(plan.content)


def change_plan(
    session: Session, plan: SuccessPlan, change: Change, actor: str
) -> SuccessPlan:
    """Apply one change as ``actor`` (already allowed to) and keep the new version."""
    content, summary = apply_change(content_of(plan), change)
    return _save(session, plan, content, actor, summary)


def replace_plan(
    session: Session,
    plan: SuccessPlan,
    *,
    title: str,
    status: str,
    content: PlanContent,
    base_version: int,
    actor: str,
) -> SuccessPlan:
    """Replace the whole plan, if nobody changed it since ``base_version``.

    A replacement the plan already equals (a retry whose answer was lost)
    answers the plan as it is, whatever version it names.
    """
    if (plan.title, plan.status, content_of(plan)) == (
        _title(title),
        status,
        content,
    ):
        return plan
    if base_version != plan.version:
        raise EditConflict(
            f"the plan changed since version {base_version} (it is at version "
            f"{plan.version}); read it again and apply your change to that",
            field="version",
        )
    if status not in PLAN_STATUSES:
        raise InputInvalid(
            f"status must be one of {', '.join(PLAN_STATUSES)}", field="status"
        )
    plan.title = _title(title)
    plan.status = status
    return _save(session, plan, content, actor, "replaced the plan")


def parse_content(raw: object) -> PlanContent:
    """A plan document from JSON-like data; errors name the field."""
    try:
        return PlanContent.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InputInvalid(f"{where}: {message}", field=where or None) from None


_CHANGE = TypeAdapter(Change)
CHANGE_OPS = tuple(
    member.model_fields["op"].default for member in get_args(get_args(Change)[0])
)


def parse_change(raw: object) -> Change:
    """One change from JSON-like data (``{"op": ..., ...}``); errors name the field."""
    try:
        return _CHANGE.validate_python(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        if first["type"] in ("union_tag_not_found", "union_tag_invalid"):
            given = (raw or {}).get("op") if isinstance(raw, dict) else None
            said = "missing" if given is None else f"{given!r} is not a change"
            raise InputInvalid(
                f"op: {said}; use one of {', '.join(CHANGE_OPS)}", field="op"
            ) from None
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InputInvalid(f"{where}: {message}", field=where or None) from None


def plan_versions(session: Session, plan: SuccessPlan) -> list[SuccessPlanVersion]:
    """Every version, newest first."""
    return list(
        session.scalars(
            select(SuccessPlanVersion)
            .where(SuccessPlanVersion.plan_id == plan.id)
            .order_by(SuccessPlanVersion.version.desc())
        )
    )


def content_at(
    session: Session, plan: SuccessPlan, moment: dt.datetime
) -> PlanContent | None:
    """The plan as it stood at ``moment``; None before it was created."""
    version = session.scalar(
        select(SuccessPlanVersion)
        .where(
            SuccessPlanVersion.plan_id == plan.id,
            SuccessPlanVersion.changed_at <= moment,
        )
        .order_by(SuccessPlanVersion.version.desc())
        .limit(1)
    )
    return None if version is None else PlanContent.model_validate(version.content)


def _save(
    session: Session,
    plan: SuccessPlan,
    content: PlanContent,
    actor: str,
    summary: str,
) -> SuccessPlan:
    plan.content = content.model_dump(mode="json")
    plan.version += 1
    plan.updated_at = utcnow()
    session.flush()
    _keep_version(session, plan, actor, summary)
    record(
        session,
        actor,
        "plan.changed",
        "plan",
        plan.id,
        version=plan.version,
        summary=summary,
    )
    return plan


def _keep_version(
    session: Session, plan: SuccessPlan, actor: str, summary: str
) -> None:
    session.add(
        SuccessPlanVersion(
            plan_id=plan.id,
            version=plan.version,
            title=plan.title,
            content=plan.content,
            changed_by=actor,
            changed_at=plan.updated_at,
            summary=summary,
        )
    )
    session.flush()


def _account(
    session: Session, key: str, viewer: User | None, *, change: bool
) -> Account:
    account = session.scalar(select(Account).where(Account.external_id == key))
    if viewer is not None:
        return check_account(viewer, account, key, change=change)
    if account is None:
        raise AccountNotFound(
            f"no account with id {key!r}; `steward accounts` lists them"
        )
    return account


def _title(title: str) -> str:
    title = title.strip()
    if not 1 <= len(title) <= 200:
        raise InputInvalid(
            "name the plan in 1 to 200 characters, e.g. 'FY26 success plan'",
            field="title",
        )
    return title


# KPIs as people read them: the value now, and where it came from.


@dataclass(frozen=True)
class KpiValue:
    kpi: Kpi
    current: float | None
    # "metric on 2026-06-30" for a live value, "typed in" otherwise.
    source: str
    as_of: dt.date | None


def metric_values(
    session: Session, account_id: int, on: dt.date
) -> tuple[dt.date | None, dict[str, float]]:
    """The daily run's metrics for the account on its newest scored day <= ``on``."""
    scores = score_history(session, account_id, last=on, newest_first=True)
    if not scores:
        return None, {}
    day = scores[0].as_of
    detail = details_of(session, account_id, [day]).get(day)
    metrics = detail.metrics if detail is not None else {}
    return day, {k: float(v) for k, v in metrics.items() if v is not None}


def kpi_values(session: Session, plan: SuccessPlan, on: dt.date) -> dict[str, KpiValue]:
    """Each KPI's current value by KPI id: live where linked to a metric."""
    day, metrics = metric_values(session, plan.account_id, on)
    found = {}
    for goal in content_of(plan).goals:
        for kpi in goal.kpis:
            if kpi.metric:
                value = metrics.get(kpi.metric)
                source = f"{kpi.metric} on {day}" if day else "no daily run yet"
                found[kpi.id] = KpiValue(kpi, value, source, day)
            else:
                found[kpi.id] = KpiValue(kpi, kpi.current, "typed in", None)
    return found
