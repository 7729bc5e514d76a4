"""Peer benchmark: an account's metrics as percentiles among similar companies.

Peers are the other accounts of the same industry and size band (licensed
seats, bands from ``config/coverage.yaml``) on the latest scored day. When
fewer than ``min_peers`` of them exist the group widens — same industry, then
same size band, then every account — and the benchmark says which it used.

The percentile of a value is the share of peers below it plus half of those
equal to it (``scipy.stats.percentileofscore`` with ``kind="mean"``), 0-100.
``better_than`` turns it round for metrics where lower is better (error
rate, days since last activity, tickets), so a high figure is always good.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import percentileofscore
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts.coverage import CoverageRules
from steward.accounts.views import find_account
from steward.errors import AccountNotFound
from steward.metrics.catalogue import CATALOGUE
from steward.store.models import Account, HealthScore, User
from steward.store.scores import day_metrics, latest_day

LOWER_IS_BETTER = frozenset(
    {"error_rate", "days_since_last_activity", "tickets_per_month"}
)
HEALTH = "health_score"


@dataclass(frozen=True)
class Standing:
    metric: str
    label: str
    value: float
    peers: int
    peer_median: float
    percentile: float
    better_than: float


@dataclass(frozen=True)
class Benchmark:
    account: str
    name: str
    industry: str | None
    size_band: str | None
    peer_group: str
    peers: int
    as_of: dt.date | None
    standings: list[Standing]


def peer_mask(
    frame: pd.DataFrame, account: str, min_peers: int
) -> tuple[np.ndarray, str]:
    """Which rows are the account's peers, and the group's name in words.

    ``frame`` is indexed by account with ``industry`` and ``size_band``.
    """
    me = frame.loc[account]
    others = frame.index != account
    same_industry = (frame["industry"] == me["industry"]).to_numpy()
    same_band = (frame["size_band"] == me["size_band"]).to_numpy()
    choices = [
        (same_industry & same_band, f"{me['industry']}, {me['size_band']}"),
        (same_industry, f"{me['industry']}, any size"),
        (same_band, f"any industry, {me['size_band']}"),
        (np.ones(len(frame), dtype=bool), "every account"),
    ]
    for mask, name in choices:
        if (mask & others).sum() >= min_peers:
            return mask & others, name
    return others, "every account"


def standings(frame: pd.DataFrame, account: str, peers: np.ndarray) -> list[Standing]:
    """Percentiles of each metric the account has a value for."""
    result = []
    for metric in [c for c in frame.columns if c in CATALOGUE or c == HEALTH]:
        value = pd.to_numeric(pd.Series([frame.at[account, metric]])).iloc[0]
        values = pd.to_numeric(frame.loc[peers, metric], errors="coerce").dropna()
        if pd.isna(value) or values.empty:
            continue
        percentile = float(percentileofscore(values, value, kind="mean"))
        lower = metric in LOWER_IS_BETTER
        result.append(
            Standing(
                metric=metric,
                label="Health score" if metric == HEALTH else CATALOGUE[metric].label,
                value=float(value),
                peers=len(values),
                peer_median=float(values.median()),
                percentile=round(percentile, 1),
                better_than=round(100 - percentile if lower else percentile, 1),
            )
        )
    return result


def account_benchmark(
    session: Session, rules: CoverageRules, key: str, viewer: User | None = None
) -> Benchmark:
    """The account's standing among its peers on the latest scored day."""
    account = find_account(session, key, viewer) if viewer else _account(session, key)
    day = latest_day(session)
    rows = session.execute(
        select(
            Account.id,
            Account.external_id,
            Account.industry,
            Account.seats,
            HealthScore.score,
        )
        .join(HealthScore, HealthScore.account_id == Account.id)
        .where(HealthScore.as_of == day)
    ).all()
    frame = pd.DataFrame(
        [
            {
                "id": db_id,
                "account": external_id,
                "industry": industry or "(no industry)",
                "size_band": rules.size_band(seats) or "(no seat count)",
                HEALTH: score,
            }
            for db_id, external_id, industry, seats, score in rows
        ]
    )
    if not frame.empty and day is not None:
        metrics = day_metrics(session, day)
        frame = frame.join(metrics, on="id").drop(columns="id")
    band = rules.size_band(account.seats)
    if frame.empty or key not in set(frame["account"]):
        return Benchmark(
            key,
            account.name,
            account.industry,
            band,
            "none: the account has no score on the latest day (run `steward run`)",
            0,
            day,
            [],
        )
    frame = frame.set_index("account")
    peers, group = peer_mask(frame, key, rules.min_peers)
    return Benchmark(
        account=key,
        name=account.name,
        industry=account.industry,
        size_band=band,
        peer_group=group,
        peers=int(peers.sum()),
        as_of=day,
        standings=standings(frame, key, peers),
    )


def _account(session: Session, key: str) -> Account:
    account = session.scalar(select(Account).where(Account.external_id == key))
    if account is None:
        raise AccountNotFound(
            f"no account with id {key!r}; `steward accounts` lists them"
        )
    return account
