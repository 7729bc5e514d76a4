"""Who uses the product on which day: the demo company's user-days.

Each account has one member per licensed seat. On a day, the first
``round(utilisation x seats)`` members are enrolled, and each enrolled member
works that day with their own propensity (less at weekends). Utilisation
follows the ``adoption`` behaviour once onboarding is over; before that it
ramps from the first login to the account's onboarding level. Everything here
is vectorised over account-days and member-days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from steward.demo.drivers import BEHAVIOURS

EVENT_DAYS = 365
FEATURES = (
    "reports", "dashboards", "alerts", "exports", "sharing",
    "integrations", "automations", "forecasting", "sso", "audit_log",
)  # fmt: skip
PLAN_FEATURES = {"Starter": 5, "Growth": 8, "Enterprise": 10}
# Utilisation = center + slope * adoption, kept within [floor, 1]: linear, so
# the metric a health score sees moves in step with the behaviour behind it.
UTILISATION_CENTER, UTILISATION_SLOPE, UTILISATION_FLOOR = 0.68, 0.17, 0.08
ONBOARDING_DAYS, BLEND_DAYS = 90, 60
WEEKEND_FACTOR = 0.2


@dataclass(frozen=True)
class Lives:
    """Each account's span on the grid and its licensed seats per grid day."""

    signed: np.ndarray
    last_day: np.ndarray
    seats: np.ndarray


@dataclass(frozen=True)
class UserDays:
    """One entry per member who worked on a day (index ``w`` of the event window)."""

    account: np.ndarray
    w: np.ndarray
    member: np.ndarray
    tenure: np.ndarray


def window_start(grid_days: int) -> int:
    return grid_days - EVENT_DAYS


def utilisation(
    behaviour: np.ndarray, lives: Lives, traits: pd.DataFrame
) -> np.ndarray:
    """Share of seats enrolled per account and event-window day (0 before login)."""
    start = window_start(behaviour.shape[-1])
    adoption = behaviour[BEHAVIOURS.index("adoption"), :, start:]
    steady = np.clip(
        UTILISATION_CENTER + UTILISATION_SLOPE * adoption, UTILISATION_FLOOR, 1.0
    )
    tenure = tenure_days(lives, start, adoption.shape[1])
    login = traits["login_delay"].to_numpy()[:, None]
    ramp = np.clip((tenure - login) / traits["ramp_days"].to_numpy()[:, None], 0, 1)
    blend = np.clip((tenure - ONBOARDING_DAYS) / BLEND_DAYS, 0, 1)
    level = traits["level"].to_numpy()[:, None]
    return ramp * ((1 - blend) * level + blend * steady)


def tenure_days(lives: Lives, start: int, days: int) -> np.ndarray:
    return (start + np.arange(days))[None, :] - lives.signed[:, None]


def enrolled(
    behaviour: np.ndarray, lives: Lives, traits: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """(members enrolled, tenure) per account and event-window day."""
    start = window_start(behaviour.shape[-1])
    share = utilisation(behaviour, lives, traits)
    days = share.shape[1]
    tenure = tenure_days(lives, start, days)
    grid_day = start + np.arange(days)
    live = (tenure >= traits["login_delay"].to_numpy()[:, None]) & (
        grid_day[None, :] <= lives.last_day[:, None]
    )
    seats = lives.seats[:, start:]
    # The person who signs in first is always there once the account is live.
    members = np.where(live, np.maximum(np.rint(share * seats), 1), 0)
    return members.astype(np.int64), tenure


def user_days(
    rng: np.random.Generator,
    behaviour: np.ndarray,
    lives: Lives,
    traits: pd.DataFrame,
    weekday: np.ndarray,
) -> UserDays:
    """Draw which enrolled members work on each day of the event window.

    ``weekday`` gives Monday=0..Sunday=6 per event-window day. Member 0 works
    on the day of the first login and of the first core workflow, so those
    milestones land exactly where the traits put them.
    """
    members, tenure = enrolled(behaviour, lives, traits)
    days = members.shape[1]
    propensity, offsets = _propensities(rng, lives)

    cells = np.flatnonzero(members)
    counts = members.ravel()[cells]
    cell = np.repeat(cells, counts)
    member = np.arange(cell.size) - np.repeat(np.cumsum(counts) - counts, counts)
    account, w = cell // days, cell % days
    chance = propensity[offsets[account] + member]
    chance = chance * np.where(weekday[w] >= 5, WEEKEND_FACTOR, 1.0)
    works = rng.random(cell.size) < chance

    on_tenure = tenure[account, w]
    firsts = traits[["login_delay", "core_delay"]].to_numpy()[account]
    forced = (member == 0) & ((on_tenure == firsts[:, 0]) | (on_tenure == firsts[:, 1]))
    keep = works | forced
    return UserDays(account[keep], w[keep], member[keep], on_tenure[keep])


def _propensities(
    rng: np.random.Generator, lives: Lives
) -> tuple[np.ndarray, np.ndarray]:
    """Chance each member works on a weekday: mostly every few days, a few daily."""
    most = lives.seats.max(axis=1).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(most)[:-1]])
    propensity = 0.09 + rng.beta(1.6, 5.0, int(most.sum())) * 0.55
    return propensity, offsets


def feature_plan(
    rng: np.random.Generator, plans: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per account, the order features are taken up and the tenure day of each.

    Returns (feature codes, adoption tenure), both shaped (accounts,
    len(FEATURES)); features never adopted have an infinite tenure. The first
    feature (reports or dashboards) is the account's core workflow, used from
    day one.
    """
    accounts = len(plans)
    order = np.empty((accounts, len(FEATURES)), dtype=np.int64)
    adopted = np.full((accounts, len(FEATURES)), np.inf)
    for account, plan in enumerate(plans):
        available = PLAN_FEATURES[str(plan)]
        core = rng.integers(0, 2)
        rest = [code for code in rng.permutation(available) if code != core]
        unavailable = list(range(available, len(FEATURES)))
        order[account] = [core, *rest, *unavailable]
        gaps = rng.exponential(12.0, available - 1)
        taken = rng.random(available - 1) < 0.8
        adopted[account, 0] = 0.0
        adopted[account, 1:available] = np.where(taken, np.cumsum(gaps), np.inf)
    # Sorted by adoption day so "the first n adopted" is a prefix.
    by_day = np.argsort(adopted, axis=1, kind="stable")
    return np.take_along_axis(order, by_day, 1), np.take_along_axis(adopted, by_day, 1)
