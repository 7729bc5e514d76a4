"""The demo company's usage events: one row per user, day, event and feature.

``quantity`` is how many times the event happened that day, which keeps a
year of events for a few hundred accounts near a million rows. Error events
count their quantity as errors; an ``api_call`` row's ``errors`` are the calls
that failed. Both rates rise with the account's ``reliability_pain``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from steward.demo.drivers import BEHAVIOURS
from steward.demo.onboarding import PORTAL_STEPS
from steward.demo.usage import FEATURES, Lives, UserDays, window_start

EVENTS = (
    "login",
    "core_workflow_completed",
    "feature_used",
    "error",
    "api_call",
    "portal_step_completed",
)
LOGIN, CORE, FEATURE, ERROR, API, PORTAL = range(len(EVENTS))
# Errors per event = BASE * exp(SLOPE * reliability_pain): about 1.5% at the mean.
ERROR_BASE, ERROR_SLOPE = 0.015, 0.6
# First UTC hour of each region's working day.
WORKDAY_START_UTC = {"North America": 13, "EMEA": 7, "APAC": 0}
_EPOCH = dt.date(1970, 1, 1)


def error_rates(behaviour: np.ndarray) -> np.ndarray:
    pain = behaviour[
        BEHAVIOURS.index("reliability_pain"), :, window_start(behaviour.shape[-1]) :
    ]
    return ERROR_BASE * np.exp(ERROR_SLOPE * pain)


def user_day_rows(
    rng: np.random.Generator,
    days: UserDays,
    features: tuple[np.ndarray, np.ndarray],
    core_delay: np.ndarray,
    error_rate: np.ndarray,
    intensity: np.ndarray,
) -> dict[str, np.ndarray]:
    """Login, core workflow, feature and error rows of every user-day.

    ``intensity`` scales how much each account's users do on a day they work,
    so event volumes vary between accounts independently of utilisation.
    """
    n = days.account.size
    order, adopted = features
    busy = intensity[days.account]
    login_q = 1 + rng.poisson(0.3 * busy)

    core_ready = days.tenure >= core_delay[days.account]
    first_core = days.tenure == core_delay[days.account]
    does_core = core_ready & (
        (rng.random(n) < 0.45) | (first_core & (days.member == 0))
    )
    core_q = np.where(does_core, 1 + rng.poisson(1.0 * busy), 0)

    known = (adopted[days.account] <= days.tenure[:, None]).sum(axis=1)
    pick = np.minimum((rng.random(n) * known).astype(np.int64), known - 1)
    uses = rng.random(n) < 0.6
    feature_q = np.where(uses, 1 + rng.poisson(1.5 * busy), 0)
    feature = order[days.account, pick]

    rate = error_rate[days.account, days.w]
    error_q = rng.poisson(rate * (login_q + core_q + feature_q))

    start = rng.uniform(0, 9 * 60, n)
    parts = [
        _part(days, LOGIN, None, login_q, start),
        _part(
            days, CORE, order[days.account, 0], core_q, start + rng.uniform(5, 240, n)
        ),
        _part(days, FEATURE, feature, feature_q, start + rng.uniform(5, 300, n)),
        _part(days, ERROR, None, error_q, start + rng.uniform(5, 300, n)),
    ]
    return _concat(parts)


def _part(
    days: UserDays, event: int, feature, quantity, minute
) -> dict[str, np.ndarray]:
    keep = quantity > 0
    n = int(keep.sum())
    return {
        "account": days.account[keep],
        "w": days.w[keep],
        "member": days.member[keep],
        "event": np.full(n, event),
        "feature": np.full(n, -1) if feature is None else feature[keep],
        "quantity": quantity[keep],
        "errors": np.zeros(n, dtype=np.int64),
        "minute": minute[keep],
        "step": np.zeros(n, dtype=np.int64),
    }


def api_rows(
    rng: np.random.Generator,
    members: np.ndarray,
    tenure: np.ndarray,
    api_from: np.ndarray,
    seats: np.ndarray,
    error_rate: np.ndarray,
    weekday: np.ndarray,
) -> dict[str, np.ndarray]:
    """One row per account-day of integration traffic, with no user.

    ``api_from`` is the tenure day an account's integrations went live
    (infinite for accounts without them).
    """
    level = np.sqrt(seats) * rng.lognormal(np.log(15), 0.6, seats.shape[0])
    on = (members > 0) & (tenure >= api_from[:, None])
    account, w = np.nonzero(on)
    busy = np.where(weekday[w] >= 5, 0.3, 1.0)
    quantity = rng.poisson(level[account] * busy)
    errors = rng.binomial(quantity, error_rate[account, w])
    keep = quantity > 0
    n = int(keep.sum())
    return {
        "account": account[keep],
        "w": w[keep],
        "member": np.full(n, -1),
        "event": np.full(n, API),
        "feature": np.full(n, FEATURES.index("integrations")),
        "quantity": quantity[keep],
        "errors": errors[keep],
        "minute": rng.uniform(0, 1439, n),
        "step": np.zeros(n, dtype=np.int64),
    }


def portal_rows(
    rng: np.random.Generator,
    lives: Lives,
    traits: pd.DataFrame,
    grid_days: int,
) -> dict[str, np.ndarray]:
    """Onboarding-portal steps by the account's first user, from the first login."""
    accounts = len(traits)
    gaps = rng.gamma(2.0, 1.3, (accounts, PORTAL_STEPS))
    on_tenure = traits["login_delay"].to_numpy()[:, None] + np.floor(np.cumsum(gaps, 1))
    grid_day = lives.signed[:, None] + on_tenure.astype(np.int64)
    step = np.arange(1, PORTAL_STEPS + 1)[None, :]
    start = window_start(grid_days)
    done = (
        (step <= traits["portal_steps"].to_numpy()[:, None])
        & (grid_day >= start)
        & (grid_day <= lives.last_day[:, None])
    )
    account, position = np.nonzero(done)
    n = account.size
    return {
        "account": account,
        "w": grid_day[account, position] - start,
        "member": np.zeros(n, dtype=np.int64),
        "event": np.full(n, PORTAL),
        "feature": np.full(n, -1),
        "quantity": np.ones(n, dtype=np.int64),
        "errors": np.zeros(n, dtype=np.int64),
        "minute": rng.uniform(0, 9 * 60, n),
        "step": position + 1,
    }


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def to_table(
    parts: list[dict[str, np.ndarray]],
    account_ids: list[str],
    regions: list[str],
    first_day: dt.date,
) -> pa.Table:
    """Rows as the events.parquet table, sorted by time, account, user and event."""
    rows = _concat(parts)
    day = (first_day - _EPOCH).days + rows["w"]
    offset = np.array([WORKDAY_START_UTC[region] * 60 for region in regions])
    minute = np.where(
        rows["event"] == API, rows["minute"], offset[rows["account"]] + rows["minute"]
    )
    minute = np.minimum(minute, 1439).astype(np.int64)
    # Seconds from the event's own order keep one user's rows in sequence.
    seconds = (rows["event"] * 7 + rows["step"]) % 60
    micros = ((day * 86400 + minute * 60 + seconds) * 1_000_000).astype(np.int64)
    order = np.lexsort(
        (rows["step"], rows["event"], rows["member"], rows["account"], micros)
    )
    rows = {key: value[order] for key, value in rows.items()}
    micros, day = micros[order], day[order]
    return _arrow(rows, micros, day, account_ids)


def _arrow(rows, micros, day, account_ids) -> pa.Table:
    accounts = pa.array(account_ids)
    account = accounts.take(pa.array(rows["account"]))
    has_user = rows["member"] >= 0
    member_text = _labels("u{:04d}", rows["member"] + 1)
    user = pc.if_else(
        pa.array(has_user), pc.binary_join_element_wise(account, member_text, "-"), None
    )
    events = pa.array(EVENTS).take(pa.array(rows["event"]))
    feature = pa.array(FEATURES + (None,)).take(
        pa.array(np.where(rows["feature"] < 0, len(FEATURES), rows["feature"]))
    )
    first = int(day.min(initial=0))
    dates = [
        (_EPOCH + dt.timedelta(days=first + n)).strftime("%Y%m%d")
        for n in range(int(day.max(initial=0)) - first + 1)
    ]
    date_text = pa.array(dates).take(pa.array(day - first))
    who = pc.if_else(pa.array(has_user), member_text, "api")
    suffix = _labels("{}", rows["step"])
    message_id = pc.binary_join_element_wise(
        account, date_text, who, events, suffix, ":"
    )
    portal = rows["event"] == PORTAL
    return pa.table(
        {
            "message_id": message_id,
            "account_id": account,
            "user_id": user,
            "event": events,
            "feature": feature,
            "ts": pa.array(micros, pa.timestamp("us", tz="UTC")),
            "quantity": pa.array(rows["quantity"], pa.int64()),
            "errors": pa.array(rows["errors"], pa.int64()),
            # Onboarding-portal progress, which the mapping stores as properties.
            "step": pa.array(rows["step"], pa.int64(), mask=~portal),
            "of": pa.array(
                np.full(portal.size, PORTAL_STEPS), pa.int64(), mask=~portal
            ),
        }
    )


def _labels(pattern: str, numbers: np.ndarray) -> pa.Array:
    """``pattern`` formatted for each number, formatting each distinct number once."""
    top = int(numbers.max(initial=0)) + 1
    return pa.array([pattern.format(n) for n in range(top)]).take(pa.array(numbers))
