"""The demo company assembled: every table, built from one seed and one date.

:func:`build_company` is pure (values in, tables out);
:func:`steward.demo.company.generate_company` writes the tables as files.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from steward.demo import events as ev
from steward.demo import portfolio, support, usage
from steward.demo.names import NameBook
from steward.demo.onboarding import onboarding_traits
from steward.demo.timeline import Grid, decide_renewals, simulate_behaviour
from steward.demo.usage import FEATURES, Lives


@dataclass(frozen=True)
class Company:
    users: pd.DataFrame
    accounts: pd.DataFrame
    contacts: pd.DataFrame
    contracts: pd.DataFrame
    outcomes: pd.DataFrame
    tickets: pd.DataFrame
    nps: pd.DataFrame
    events: pa.Table


def stream(seed: int, part: str) -> np.random.Generator:
    """An independent random stream per part, so changing one part moves no other."""
    return np.random.default_rng([seed, zlib.crc32(part.encode())])


def build_company(*, as_of: dt.date, seed: int = 7, accounts: int = 400) -> Company:
    """The whole simulated company as of ``as_of``."""
    if accounts < 10:
        raise ValueError(f"the demo company needs at least 10 accounts, got {accounts}")
    grid = Grid(as_of)
    firms = portfolio.draw_firms(stream(seed, "firms"), accounts)
    behaviour = simulate_behaviour(stream(seed, "behaviour"), accounts, grid.days)
    renewals = decide_renewals(stream(seed, "renewals"), grid, behaviour, firms)
    lives = _lives(grid, firms, renewals.contracts, renewals.churned_on)
    tier_2 = ~((firms["seats"] > portfolio.TIER_1_SEATS) | firms["custom_integrations"])
    traits = onboarding_traits(
        stream(seed, "onboarding"), grid.days - 1 - lives.signed, tier_2.to_numpy()
    )

    book = NameBook(seed, [*firms["locale"], "en_US"])
    staff = portfolio.team(book)
    table = _accounts(grid, firms, renewals, book, staff)
    people = portfolio.contacts(
        stream(seed, "contacts"), book, table.join(firms["locale"])
    )
    rng = stream(seed, "support")
    tickets = support.tickets(rng, behaviour, lives, firms, grid.first_day)
    answers = support.nps(rng, behaviour, lives, people, firms, grid.first_day)
    events = _events(stream(seed, "events"), grid, firms, behaviour, lives, traits)

    return Company(
        users=staff.drop(columns="title"),
        accounts=table.drop(columns="domain"),
        contacts=people,
        contracts=renewals.contracts,
        outcomes=_outcomes(renewals.contracts),
        tickets=tickets,
        nps=answers,
        events=events,
    )


def _lives(
    grid: Grid, firms: pd.DataFrame, contracts: pd.DataFrame, churned_on
) -> Lives:
    seats = np.zeros((len(firms), grid.days), dtype=np.int64)
    index = {account: row for row, account in enumerate(firms["account_id"])}
    for contract in contracts.itertuples():
        start = grid.index(contract.start_date)
        end = min(grid.index(contract.end_date), grid.days - 1)
        seats[index[contract.account_id], start : end + 1] = contract.seats
    last_day = np.where(churned_on >= 0, churned_on, grid.days - 1)
    return Lives(firms["signed"].to_numpy(), last_day, seats)


def _accounts(grid, firms, renewals, book: NameBook, staff) -> pd.DataFrame:
    """One row per account with the terms of its latest contract."""
    latest = renewals.contracts.groupby("account_id", sort=False).last()
    latest = latest.reindex(firms["account_id"])
    names = [book.company(locale) for locale in firms["locale"]]
    table = pd.DataFrame(
        {
            "account_id": firms["account_id"],
            "name": names,
            "domain": [book.domain(name) for name in names],
            "industry": firms["industry"],
            "country": firms["country"],
            "region": firms["region"],
            "timezone": firms["timezone"],
            "arr": latest["arr"].to_numpy(),
            "seats": latest["seats"].to_numpy(),
            "custom_integrations": firms["custom_integrations"],
            "plan": latest["plan"].to_numpy(),
        }
    )
    table = table.join(
        portfolio.classify(table["seats"], table["arr"], table["custom_integrations"])
    )
    table = table.join(portfolio.assign_owners(table, staff))
    table["signed_on"] = [grid.date(day) for day in firms["signed"]]
    churned = renewals.churned_on >= 0
    table["status"] = np.where(churned, "churned", "live")
    table["churned_on"] = [
        grid.date(day) if day >= 0 else None for day in renewals.churned_on
    ]
    return table


CHURN_FEEDBACK = {
    "low_adoption": "The team never really started using it.",
    "missing_feature": "We need capabilities the product does not have.",
    "support": "Too many open issues and slow answers from support.",
    "competitor": "We moved to another vendor.",
    "pricing": "The price no longer matched the value we got.",
    "budget": "Our budget for tools was cut this year.",
}


def _outcomes(contracts: pd.DataFrame) -> pd.DataFrame:
    """One dated outcome per decided contract: the labels a health score learns from."""
    decided = contracts[contracts["outcome"].notna()]
    return pd.DataFrame(
        {
            "outcome_id": decided["contract_id"] + "-O",
            "account_id": decided["account_id"],
            "contract_id": decided["contract_id"],
            "kind": decided["outcome"],
            "occurred_on": decided["closed_on"],
            "reason": decided["outcome_reason"],
            "feedback": decided["outcome_reason"]
            .map(CHURN_FEEDBACK)
            .where(decided["outcome"] == "churned"),
            "arr_change": (decided["new_arr"] - decided["arr"]).round(2),
        }
    ).reset_index(drop=True)


def _events(rng, grid: Grid, firms, behaviour, lives: Lives, traits) -> pa.Table:
    start = usage.window_start(grid.days)
    weekday = np.array(
        [(grid.date(start + w)).weekday() for w in range(usage.EVENT_DAYS)]
    )
    features = usage.feature_plan(rng, firms["plan"].to_numpy())
    days = usage.user_days(rng, behaviour, lives, traits, weekday)
    errors = ev.error_rates(behaviour)
    members, tenure = usage.enrolled(behaviour, lives, traits)

    order, adopted = features
    integrations = np.where(order == FEATURES.index("integrations"), adopted, np.inf)
    api_from = np.where(firms["custom_integrations"], 0.0, integrations.min(axis=1))
    parts = [
        ev.user_day_rows(
            rng,
            days,
            features,
            traits["core_delay"].to_numpy(),
            errors,
            rng.lognormal(0.0, 0.6, len(firms)),
        ),
        ev.api_rows(
            rng, members, tenure, api_from, lives.seats.max(axis=1), errors, weekday
        ),
        ev.portal_rows(rng, lives, traits, grid.days),
    ]
    return ev.to_table(
        parts, firms["account_id"].tolist(), firms["region"].tolist(), grid.date(start)
    )
