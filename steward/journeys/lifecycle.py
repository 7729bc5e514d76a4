"""Lifecycle stages moved by rules; people move them by hand too.

Contract signed → onboarding → training and setup → adoption → QBR → renewal
risk assessment → (recovery | expansion) → renewal. The daily run applies the
rules below; stages only people set (training and setup, QBR, expansion,
recovery) are kept until a rule with a stronger signal applies.
"""

from __future__ import annotations

from dataclasses import dataclass

RENEWAL_WINDOW_DAYS = 90


@dataclass(frozen=True)
class StageFacts:
    live: bool
    churned: bool
    onboarding_open: bool
    band: str | None
    days_to_renewal: int | None


def next_stage(current: str, facts: StageFacts) -> tuple[str, str] | None:
    """The stage the rules move the account to and why, or None to stay."""
    target = _rule(current, facts)
    if target is None or target[0] == current:
        return None
    return target


def _rule(current: str, facts: StageFacts) -> tuple[str, str] | None:
    if not facts.live:
        if facts.churned:
            return "churned", "no active contract after a churn"
        return None
    if facts.onboarding_open:
        if current in ("contract_signed", "churned"):
            return "onboarding", "contract started; onboarding milestones open"
        return None
    if facts.band == "at_risk" and current != "recovery":
        return "renewal_risk", "health score is at risk"
    if facts.days_to_renewal is not None and (
        0 <= facts.days_to_renewal <= RENEWAL_WINDOW_DAYS
    ):
        if current not in ("recovery", "expansion"):
            return "renewal", f"contract ends in {facts.days_to_renewal} days"
        return None
    if current in ("contract_signed", "onboarding", "churned", "renewal_risk"):
        return "adoption", "onboarding over and health not at risk"
    if current == "renewal":
        return "adoption", "renewed: next contract term"
    return None
