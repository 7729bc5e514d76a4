"""Support tickets and quarterly NPS answers of the demo company.

Tickets arrive at a rate set by the ``support_load`` behaviour (and a little
by account size); NPS scores follow the ``sentiment`` behaviour on the day a
contact answers. Both cover each account's whole life, up to ``as_of`` or its
churn.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from steward.demo.drivers import BEHAVIOURS
from steward.demo.events import WORKDAY_START_UTC
from steward.demo.usage import Lives

# Tickets a month = BASE * exp(SLOPE * support_load) * (seats / 25) ** SIZE.
TICKET_BASE, TICKET_SLOPE, TICKET_SIZE = 2.0, 0.8, 0.0
PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_SHARE = (0.3, 0.45, 0.2, 0.05)
# Median hours to resolve, and the chance of an escalation, by priority.
RESOLVE_HOURS = (60.0, 30.0, 16.0, 6.0)
ESCALATION = (0.01, 0.01, 0.08, 0.4)
SUBJECTS = (
    "Cannot export {feature} to CSV",
    "{feature} page loads slowly",
    "Question about {feature} permissions",
    "Error when saving {feature}",
    "How do I share {feature} with my team?",
    "Billing question about our invoice",
    "SSO login fails for new users",
    "API rate limit reached",
    "Request to add seats",
    "Data looks out of date in {feature}",
)
SUBJECT_FEATURES = ("reports", "dashboards", "alerts", "automations", "exports")

# NPS: a survey every quarter from day 45; who answers, and how.
SURVEY_FIRST_DAY, SURVEY_EVERY = 45, 91
ANSWER_CHANCE = {"executive_sponsor": 0.5, "champion": 0.7, "admin": 0.45, "user": 0.4}
NPS_CENTER, NPS_SLOPE, NPS_NOISE = 7.2, 2.0, 0.7
COMMENTS = {
    "promoter": (
        "The dashboards save our team hours every week.",
        "Great product and a responsive CSM.",
        "Onboarding was smooth; we rely on it daily.",
    ),
    "passive": (
        "Works well, but reporting could be more flexible.",
        "Good value; a few features are hard to find.",
        "Solid, though the API documentation needs work.",
    ),
    "detractor": (
        "Too many errors in the last month.",
        "Support takes too long to answer.",
        "Hard to get the team to use it; considering alternatives.",
        "Too expensive for what we use.",
    ),
}


def _stamp(day: np.ndarray, minute: np.ndarray, first_day: dt.date) -> pd.Series:
    base = pd.Timestamp(first_day, tz="UTC")
    offsets = pd.to_timedelta(day * 1440 + np.floor(minute), unit="min")
    return pd.Series(base + offsets)


def tickets(
    rng: np.random.Generator,
    behaviour: np.ndarray,
    lives: Lives,
    firms: pd.DataFrame,
    first_day: dt.date,
) -> pd.DataFrame:
    """Every ticket opened by a live account on the grid, oldest first."""
    load = behaviour[BEHAVIOURS.index("support_load")]
    days = load.shape[1]
    grid_day = np.arange(days)[None, :]
    live = (grid_day >= lives.signed[:, None]) & (grid_day <= lives.last_day[:, None])
    size = (np.maximum(lives.seats, 1) / 25.0) ** TICKET_SIZE
    per_day = TICKET_BASE * np.exp(TICKET_SLOPE * load) * size / 30.4
    counts = rng.poisson(np.where(live, per_day, 0.0))
    account, day = np.nonzero(counts)
    times = counts[account, day]
    account, day = np.repeat(account, times), np.repeat(day, times)
    return _ticket_frame(rng, account, day, firms, first_day, days)


def _ticket_frame(rng, account, day, firms, first_day, days) -> pd.DataFrame:
    n = account.size
    offset = firms["region"].map(WORKDAY_START_UTC).to_numpy()[account] * 60
    opened = _stamp(day, offset + rng.uniform(0, 9 * 60, n), first_day)
    priority = rng.choice(len(PRIORITIES), size=n, p=PRIORITY_SHARE)
    hours = rng.lognormal(np.log(np.array(RESOLVE_HOURS)[priority]), 0.8)
    closed = opened + pd.to_timedelta(np.round(hours * 60), unit="min")
    end = pd.Timestamp(first_day, tz="UTC") + pd.Timedelta(days=days)
    still_open = (closed >= end).to_numpy()
    status = np.where(
        still_open, np.where(rng.random(n) < 0.3, "pending", "open"), "closed"
    )
    answered = ~still_open & (rng.random(n) < 0.55)
    satisfaction = np.clip(np.rint(rng.normal(4.0, 0.9, n)), 1, 5)
    subject = [
        SUBJECTS[s].format(feature=SUBJECT_FEATURES[f])
        for s, f in zip(
            rng.integers(0, len(SUBJECTS), n),
            rng.integers(0, len(SUBJECT_FEATURES), n),
            strict=True,
        )
    ]
    frame = pd.DataFrame(
        {
            "account_id": firms["account_id"].to_numpy()[account],
            "opened_at": opened,
            "closed_at": closed.where(~still_open),
            "priority": np.array(PRIORITIES)[priority],
            "status": status,
            "subject": subject,
            "satisfaction": pd.array(np.where(answered, satisfaction, np.nan)).astype(
                "Int64"
            ),
            "escalated": rng.random(n) < np.array(ESCALATION)[priority],
        }
    )
    frame = frame.sort_values(
        ["opened_at", "account_id"], kind="stable", ignore_index=True
    )
    frame.insert(0, "ticket_id", [f"T{number:06d}" for number in range(1, n + 1)])
    return frame


def nps(
    rng: np.random.Generator,
    behaviour: np.ndarray,
    lives: Lives,
    people: pd.DataFrame,
    firms: pd.DataFrame,
    first_day: dt.date,
) -> pd.DataFrame:
    """Answers to the quarterly survey from live accounts' contacts, oldest first."""
    sentiment = behaviour[BEHAVIOURS.index("sentiment")]
    days = sentiment.shape[1]
    index = pd.Index(firms["account_id"])
    account = index.get_indexer(people["account_id"])
    surveys = SURVEY_FIRST_DAY + SURVEY_EVERY * np.arange(days // SURVEY_EVERY + 1)
    lag = np.minimum(rng.geometric(0.3, (len(people), surveys.size)) - 1, 13)
    day = lives.signed[account, None] + surveys[None, :] + lag
    chance = people["role"].map(ANSWER_CHANCE).to_numpy()[:, None]
    answers = (
        (rng.random(day.shape) < chance)
        & (day <= lives.last_day[account, None])
        & (day < days)
    )
    person, survey = np.nonzero(answers)
    day, account = day[person, survey], account[person]
    noise = rng.normal(0, NPS_NOISE, person.size)
    score = np.clip(
        np.rint(NPS_CENTER + NPS_SLOPE * sentiment[account, day] + noise), 0, 10
    )
    offset = firms["region"].map(WORKDAY_START_UTC).to_numpy()[account] * 60
    frame = pd.DataFrame(
        {
            "account_id": index.to_numpy()[account],
            "contact_id": people["contact_id"].to_numpy()[person],
            "score": score.astype(np.int64),
            "comment": _comments(rng, score),
            "responded_at": _stamp(
                day, offset + rng.uniform(0, 9 * 60, person.size), first_day
            ),
        }
    )
    frame = frame.sort_values(
        ["responded_at", "contact_id"], kind="stable", ignore_index=True
    )
    frame.insert(
        0, "response_id", [f"N{number:06d}" for number in range(1, len(frame) + 1)]
    )
    return frame


def _comments(rng: np.random.Generator, score: np.ndarray) -> list[str | None]:
    band = np.where(
        score >= 9, "promoter", np.where(score >= 7, "passive", "detractor")
    )
    says = rng.random(score.size) < 0.5
    pick = rng.integers(0, 1000, score.size)
    return [
        COMMENTS[b][p % len(COMMENTS[b])] if s else None
        for b, s, p in zip(band, says, pick, strict=True)
    ]
