"""Lifecycle stages moved by rules; people move them by hand too.

Contract signed → onboarding → training and setup → adoption → QBR → renewal
risk assessment → (recovery | expansion) → renewal. The daily run applies the
rules below; stages only people set (training and setup, QBR, expansion,
recovery) are kept until a rule with a stronger signal applies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    moves = next_stages(
        np.array([current], dtype=object),
        StageColumns(
            live=np.array([facts.live]),
            churned=np.array([facts.churned]),
            onboarding_open=np.array([facts.onboarding_open]),
            band=np.array([facts.band], dtype=object),
            days_to_renewal=np.array(
                [np.nan if facts.days_to_renewal is None else facts.days_to_renewal]
            ),
        ),
    )
    return (moves.stage[0], moves.reason[0]) if moves.moved[0] else None


@dataclass(frozen=True)
class StageColumns:
    """:class:`StageFacts` of many accounts, one array each (NaN: no renewal)."""

    live: np.ndarray
    churned: np.ndarray
    onboarding_open: np.ndarray
    band: np.ndarray
    days_to_renewal: np.ndarray


@dataclass(frozen=True)
class Moves:
    moved: np.ndarray
    stage: np.ndarray
    reason: np.ndarray


def next_stages(current: np.ndarray, facts: StageColumns) -> Moves:
    """:func:`next_stage` of every account at once: the rules below, in order,
    each applying where no earlier one did."""
    count = len(current)
    target = np.full(count, None, dtype=object)
    reason = np.full(count, None, dtype=object)
    decided = np.zeros(count, dtype=bool)

    def rule(where: np.ndarray, stage: str | None, why: str | np.ndarray) -> None:
        nonlocal decided
        fresh = where & ~decided
        if stage is not None:
            target[fresh] = stage
            reason[fresh] = why[fresh] if isinstance(why, np.ndarray) else why
        decided = decided | fresh

    live = facts.live.astype(bool)
    rule(
        ~live & facts.churned.astype(bool),
        "churned",
        "no active contract after a churn",
    )
    rule(~live, None, "")
    opening = np.isin(current, ["contract_signed", "churned"])
    onboarding = facts.onboarding_open.astype(bool)
    rule(
        onboarding & opening,
        "onboarding",
        "contract started; onboarding milestones open",
    )
    rule(onboarding, None, "")
    rule(
        (facts.band == "at_risk") & (current != "recovery"),
        "renewal_risk",
        "health score is at risk",
    )
    days = facts.days_to_renewal.astype("float64")
    with np.errstate(invalid="ignore"):
        renewing = (days >= 0) & (days <= RENEWAL_WINDOW_DAYS)
    ends = np.full(count, "", dtype=object)
    ends[renewing] = [f"contract ends in {d:.0f} days" for d in days[renewing]]
    rule(renewing & ~np.isin(current, ["recovery", "expansion"]), "renewal", ends)
    rule(renewing, None, "")
    early = np.isin(
        current, ["contract_signed", "onboarding", "churned", "renewal_risk"]
    )
    rule(early, "adoption", "onboarding over and health not at risk")
    rule(current == "renewal", "adoption", "renewed: next contract term")
    moved = (target != None) & (target != current)  # noqa: E711 - elementwise
    return Moves(moved.astype(bool), target, reason)
