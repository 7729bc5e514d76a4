"""Who the demo company sells to, and the CS team that looks after them.

Plain values in, data frames out: firmographics are drawn with numpy, names
come from :class:`steward.demo.names.NameBook`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from steward.demo.names import TEAM_DOMAIN, NameBook, email
from steward.demo.timeline import GRID_DAYS, HISTORY_YEARS

_NA, _EU, _AP = "North America", "EMEA", "APAC"
# code, region, time zones, Faker locale, share of accounts
COUNTRIES = (
    ("US", _NA, ("America/New_York", "America/Chicago", "America/Denver",
                 "America/Los_Angeles"), "en_US", 0.36),
    ("CA", _NA, ("America/Toronto", "America/Vancouver"), "en_CA", 0.08),
    ("GB", _EU, ("Europe/London",), "en_GB", 0.12),
    ("DE", _EU, ("Europe/Berlin",), "de_DE", 0.10),
    ("FR", _EU, ("Europe/Paris",), "fr_FR", 0.07),
    ("NL", _EU, ("Europe/Amsterdam",), "nl_NL", 0.05),
    ("SE", _EU, ("Europe/Stockholm",), "sv_SE", 0.03),
    ("ES", _EU, ("Europe/Madrid",), "es_ES", 0.03),
    ("IN", _AP, ("Asia/Kolkata",), "en_IN", 0.08),
    ("AU", _AP, ("Australia/Sydney", "Australia/Melbourne"), "en_AU", 0.08),
)  # fmt: skip
INDUSTRIES = (
    "Software", "Financial Services", "Healthcare", "Retail", "Manufacturing",
    "Education", "Media", "Logistics", "Professional Services", "Energy",
)  # fmt: skip
PRICE_PER_SEAT = {"Starter": 300.0, "Growth": 550.0, "Enterprise": 900.0}
RECENT_SHARE = 0.10
RECENT_MAX_AGE = 89
FIRST_YEAR_SHARE = 0.15

# Coverage by ARR, segment by seats, onboarding tier by complexity.
HIGH_TOUCH_ARR = 50_000
TECH_TOUCH_ARR = 10_000
TIER_1_SEATS = 500


def draw_firms(rng: np.random.Generator, accounts: int) -> pd.DataFrame:
    """One row per account: signing day on the grid and the first contract's terms."""
    picks = rng.choice(len(COUNTRIES), size=accounts, p=[c[4] for c in COUNTRIES])
    seats = np.clip(np.round(rng.lognormal(np.log(22), 1.0, accounts)), 3, 480)
    # A few large customers, so Tier 1 by seat count exists at any size.
    large = rng.choice(accounts, size=max(1, accounts // 100), replace=False)
    seats[large] = rng.integers(520, 1200, size=large.size)
    enterprise_odds = np.clip(0.05 + seats / 400, 0, 0.9)
    draw = rng.random(accounts)
    plan = np.where(
        draw < enterprise_odds,
        "Enterprise",
        np.where(draw < enterprise_odds + 0.45, "Growth", "Starter"),
    )
    price = np.array([PRICE_PER_SEAT[p] for p in plan]) * rng.uniform(
        0.85, 1.15, accounts
    )
    custom = rng.random(accounts) < np.where(plan == "Enterprise", 0.35, 0.08)
    return pd.DataFrame(
        {
            "account_id": [f"A{number:04d}" for number in range(1, accounts + 1)],
            "signed": GRID_DAYS - 1 - _ages(rng, accounts),
            "country": [COUNTRIES[i][0] for i in picks],
            "region": [COUNTRIES[i][1] for i in picks],
            "timezone": [str(rng.choice(COUNTRIES[i][2])) for i in picks],
            "locale": [COUNTRIES[i][3] for i in picks],
            "industry": rng.choice(INDUSTRIES, size=accounts),
            "seats": seats.astype(int),
            "plan": plan,
            "arr": np.round(seats * price, -1),
            "custom_integrations": custom,
        }
    )


def _ages(rng: np.random.Generator, accounts: int) -> np.ndarray:
    """Days since signing: a tenth signed in the last 90 days, evenly spread, so
    every onboarding milestone has accounts near its due date on ``as_of``."""
    recent = max(4, round(accounts * RECENT_SHARE))
    spread = np.linspace(3, RECENT_MAX_AGE, recent) + rng.uniform(-1, 1, recent)
    # Most customers are past their first year, so most renew inside the year
    # of events and a fitted score has as many labelled renewals as possible.
    rest = accounts - recent
    first_year = rng.integers(RECENT_MAX_AGE + 2, 366, rest)
    later = rng.integers(366, HISTORY_YEARS * 365, rest)
    older = np.where(rng.random(rest) < FIRST_YEAR_SHARE, first_year, later)
    ages = np.concatenate([np.round(spread), older]).astype(np.int64)
    return ages[rng.permutation(accounts)]


def team(book: NameBook, csms: int = 8) -> pd.DataFrame:
    """The CS team: an admin, two managers, ``csms`` CSMs and three AEs.

    AEs sign in read-only: they own the commercial side of accounts and are
    alerted about expansion, but carry no book.
    """
    taken: set[str] = set()
    rows = [_member(book, "admin", None, None, taken, fixed="admin")]
    managers = [_member(book, "manager", None, None, taken) for _ in range(2)]
    rows += managers
    for number in range(csms):
        boss = managers[number % 2]["email"]
        rows.append(_member(book, "csm", boss, 40.0 if number % 4 else 32.0, taken))
    rows += [
        _member(book, "read_only", None, None, taken, title="ae") for _ in range(3)
    ]
    return pd.DataFrame(rows)


def _member(book, role, manager, hours, taken, fixed=None, title=None) -> dict:
    first, last = book.person("en_US")
    address = (
        f"{fixed}@{TEAM_DOMAIN}" if fixed else email(first, last, TEAM_DOMAIN, taken)
    )
    return {
        "email": address,
        "name": f"{first} {last}",
        "role": role,
        "title": title or role,
        "manager_email": manager,
        "capacity_hours": hours,
    }


def classify(seats: pd.Series, arr: pd.Series, custom: pd.Series) -> pd.DataFrame:
    """Tier, coverage model and segment from the current contract's terms."""
    tier = np.where((seats > TIER_1_SEATS) | custom, "Tier 1", "Tier 2")
    coverage = np.select(
        [arr >= HIGH_TOUCH_ARR, arr >= TECH_TOUCH_ARR],
        ["High-Touch", "Tech-Touch"],
        "Digital-Led",
    )
    segment = np.select([seats > 250, seats > 50], ["Enterprise", "Mid-Market"], "SMB")
    return pd.DataFrame(
        {"tier": tier, "coverage": coverage, "segment": segment}, index=seats.index
    )


def assign_owners(accounts: pd.DataFrame, staff: pd.DataFrame) -> pd.DataFrame:
    """CSM by coverage model (three pods), AE round-robin; largest ARR dealt first."""
    csms = staff.loc[staff["role"] == "csm", "email"].tolist()
    aes = staff.loc[staff["title"] == "ae", "email"].tolist()
    third = max(1, len(csms) // 3)
    pods = {
        "High-Touch": csms[:third],
        "Tech-Touch": csms[third : 2 * third],
        "Digital-Led": csms[2 * third :] or csms,
    }
    owners = pd.DataFrame(index=accounts.index, columns=["csm_email", "ae_email"])
    ranked = accounts.sort_values(["arr", "account_id"], ascending=[False, True])
    dealt = {pod: 0 for pod in pods}
    for position, (index, row) in enumerate(ranked.iterrows()):
        pod = pods[row["coverage"]]
        owners.loc[index, "csm_email"] = pod[dealt[row["coverage"]] % len(pod)]
        owners.loc[index, "ae_email"] = aes[position % len(aes)]
        dealt[row["coverage"]] += 1
    return owners


ROLE_TITLES = {
    "executive_sponsor": (
        "VP Operations", "Chief Operating Officer", "VP Customer Experience",
        "Chief Revenue Officer", "Head of Digital",
    ),
    "champion": (
        "Operations Manager", "Team Lead", "Program Manager", "Director of Analytics",
    ),
    "admin": ("IT Administrator", "Systems Administrator", "Platform Owner"),
    "user": ("Analyst", "Specialist", "Coordinator", "Associate", "Consultant"),
}  # fmt: skip
_ROLE_ORDER = ("executive_sponsor", "champion", "admin", "user", "user", "user")


def contacts(
    rng: np.random.Generator, book: NameBook, accounts: pd.DataFrame
) -> pd.DataFrame:
    """Two to six people per account, bigger accounts more; one executive sponsor."""
    rows = []
    for account in accounts.itertuples():
        extra = int(account.seats > 20) + int(account.seats > 100) + rng.integers(0, 3)
        taken: set[str] = set()
        for number, role in enumerate(_ROLE_ORDER[: min(6, 2 + extra)], start=1):
            first, last = book.person(account.locale)
            rows.append(
                {
                    "contact_id": f"{account.account_id}-P{number}",
                    "account_id": account.account_id,
                    "name": f"{first} {last}",
                    "email": email(first, last, account.domain, taken),
                    "role": role,
                    "title": str(rng.choice(ROLE_TITLES[role])),
                }
            )
    return pd.DataFrame(rows)
