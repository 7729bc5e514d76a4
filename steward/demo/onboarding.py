"""How each demo account gets going after it signs: its onboarding traits.

Most accounts log in within days, complete a core workflow within weeks and
bring most seats in by day 45. Some are late on each step. A few accounts
whose miss falls just before ``as_of`` are made to miss on purpose, so the
daily run on ``as_of`` always has fresh milestone tasks and an escalation to
show, whatever the seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Days after the contract start each default milestone is due
# (steward/journeys/journeys/onboarding.yaml).
LOGIN_DUE, CORE_DUE, ACTIVATION_DUE = 7, 30, 60
# A miss raises a task when noticed within 14 days of becoming a miss, which is
# about 8-9 calendar days after the due date; these ages land inside that.
FRESH_MISS = (10, 19)
PORTAL_STEPS = 10


def onboarding_traits(
    rng: np.random.Generator, ages: np.ndarray, tier_2: np.ndarray
) -> pd.DataFrame:
    """Per account (``ages`` = days since signing on ``as_of``), in grid-free days.

    login_delay / core_delay: days from contract start to the first login and
    the first core workflow; level: the share of seats active at the end of
    the ramp; ramp_days: how long reaching it takes; portal_steps: onboarding
    portal steps completed (10 = all), only for Tier 2 accounts.
    """
    n = len(ages)
    login = np.minimum(rng.geometric(0.45, n) - 1, 6)
    late_login = rng.random(n) < 0.08
    login = np.where(late_login, rng.integers(9, 26, n), login)
    core = login + 1 + np.minimum(rng.geometric(0.12, n), 25)
    late_core = rng.random(n) < np.where(late_login, 0.5, 0.08)
    core = np.where(late_core, login + rng.integers(35, 70, n), core)
    poor = rng.random(n) < 0.22
    level = np.where(poor, rng.uniform(0.3, 0.6, n), rng.uniform(0.82, 0.97, n))
    stalled = tier_2 & (rng.random(n) < 0.2)
    steps = np.where(stalled, rng.integers(1, 4, n), PORTAL_STEPS)
    traits = pd.DataFrame(
        {
            "login_delay": login,
            "core_delay": core,
            "level": level,
            "ramp_days": rng.integers(15, 46, n),
            "portal_steps": np.where(tier_2, steps, 0),
        }
    )
    _force_fresh_misses(rng, traits, np.asarray(ages), np.asarray(tier_2))
    return traits


def _force_fresh_misses(
    rng: np.random.Generator, traits: pd.DataFrame, ages: np.ndarray, tier_2: np.ndarray
) -> None:
    def near(due: int) -> np.ndarray:
        low, high = due + FRESH_MISS[0], due + FRESH_MISS[1]
        return np.flatnonzero((ages >= low) & (ages <= high))

    # No login yet, two accounts.
    for account in near(LOGIN_DUE)[:2]:
        traits.loc[account, "login_delay"] = ages[account] + rng.integers(5, 30)
        traits.loc[account, "core_delay"] = ages[account] + rng.integers(40, 60)

    # Logged in on time but no core workflow yet, then one account that was
    # also late to log in: two misses in a row, which escalates.
    core_window = near(CORE_DUE)
    for position, account in enumerate(core_window[:3]):
        login = rng.integers(0, 4) if position < 2 else rng.integers(18, 25)
        traits.loc[account, "login_delay"] = login
        traits.loc[account, "core_delay"] = ages[account] + rng.integers(5, 30)

    # Stuck well under 70% of seats.
    for account in near(ACTIVATION_DUE)[:2]:
        traits.loc[account, "level"] = rng.uniform(0.3, 0.5)

    # Tier 2 accounts past two weeks that stopped early in the portal.
    on_time = traits["login_delay"].to_numpy() < LOGIN_DUE
    settled = np.flatnonzero(tier_2 & on_time & (ages >= 14) & (ages <= 60))
    for account in settled[:2]:
        traits.loc[account, "portal_steps"] = rng.integers(1, 4)
