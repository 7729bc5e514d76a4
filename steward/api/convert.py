"""Service results into API bodies, where the shapes differ."""

from __future__ import annotations

from dataclasses import asdict

from steward.accounts.portfolio import Portfolio
from steward.accounts.views import AccountDetail
from steward.api.schemas import (
    AccountDetailOut,
    ContactOut,
    ContractOut,
    FactorOut,
    MilestoneOut,
    NpsOut,
    PortfolioOut,
    ScoreOut,
    TaskOut,
    TicketOut,
)
from steward.store.models import HealthScore, Task


def task_out(task: Task) -> TaskOut:
    return TaskOut(
        id=task.id,
        account=task.account.external_id if task.account else None,
        title=task.title,
        body=task.body,
        kind=task.kind,
        due_on=task.due_on,
        status=task.status,
        priority=task.priority,
        assignee=task.assignee.email if task.assignee else None,
        role=task.role,
        snoozed_until=task.snoozed_until,
        completed_at=task.completed_at,
    )


def _score(score: HealthScore | None) -> ScoreOut | None:
    return None if score is None else ScoreOut.model_validate(score)


def detail_out(detail: AccountDetail) -> AccountDetailOut:
    account = detail.account
    return AccountDetailOut(
        external_id=account.external_id,
        name=account.name,
        industry=account.industry,
        country=account.country,
        tier=account.tier,
        coverage=account.coverage,
        csm=detail.csm,
        stage=account.lifecycle_stage,
        arr=detail.arr,
        renewal_on=detail.renewal_on,
        tags=detail.tags,
        score=_score(detail.score),
        previous_score=_score(detail.previous),
        factors=[FactorOut(**asdict(line)) for line in detail.factors],
        history=[ScoreOut.model_validate(s) for s in detail.history],
        milestones=[MilestoneOut.model_validate(m) for m in detail.milestones],
        open_tasks=[task_out(t) for t in detail.tasks],
        contacts=[ContactOut.model_validate(c) for c in detail.contacts],
        contracts=[ContractOut.model_validate(c) for c in detail.contracts],
        nps=[NpsOut.model_validate(n) for n in detail.nps],
        tickets=[TicketOut.model_validate(t) for t in detail.tickets],
    )


def portfolio_out(figures: Portfolio) -> PortfolioOut:
    data = asdict(figures)
    data["trend"] = [{"day": day, "bands": bands} for day, bands in figures.trend]
    return PortfolioOut(**data)
