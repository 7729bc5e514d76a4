"""Revenue and retention figures for any period, pure pandas over contract rows.

Definitions (``start`` and ``end`` are days; both inclusive):

- An account's **ARR on a day** is the sum of the ARR of its contracts running
  that day (started on or before it, and ending on or after it or never). It
  is a **customer** that day when that sum is above 0.
- The **starting cohort** is the customers on ``start``. Each one's ARR on
  ``end`` is compared with its ARR on ``start``:
  **churned** when it is 0, **contraction** when lower, **expansion** when
  higher. Accounts that became customers after ``start`` are not in it.
- **GRR** = Σ min(end ARR, start ARR) / Σ start ARR (churn and contraction
  taken away, expansion not added); **NRR** = Σ end ARR / Σ start ARR.
- **Logo churn** = churned accounts / cohort accounts; **revenue churn** =
  start ARR of the churned accounts / Σ start ARR (contraction is in GRR).
- **New customers** are accounts whose first paying day (the earliest start
  of a contract with ARR above 0) falls in the period; one has **churned in
  90 days** when its ARR is 0 ninety days after that first day. Accounts
  whose ninetieth day is after ``observed_until`` are too recent to judge and
  are counted apart.
- **Expansion deals** are contracts closed in the period with outcome
  expanded: deal size = new ARR − ARR.

Grouping (segment, tier, CSM, ...) uses each account's value today: an
account that changed tier during the period counts in its current tier.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

NEW_CUSTOMER_DAYS = 90
ALL = "All"


def arr_on(contracts: pd.DataFrame, day: dt.date) -> pd.Series:
    """Each account's ARR on ``day`` (accounts with no running contract absent).

    ``contracts`` has account_id, start_date, end_date (NaT when open) and arr.
    """
    stamp = pd.Timestamp(day)
    running = (contracts["start_date"] <= stamp) & (
        contracts["end_date"].isna() | (contracts["end_date"] >= stamp)
    )
    return (
        contracts.loc[running].groupby("account_id")["arr"].sum(min_count=1).fillna(0.0)
    )


def retention(
    contracts: pd.DataFrame,
    start: dt.date,
    end: dt.date,
    groups: pd.Series | None = None,
    observed_until: dt.date | None = None,
) -> pd.DataFrame:
    """The module's figures, one row per group and a last row for everyone.

    ``groups`` maps account_id to a group name (missing: "(none)").
    ``observed_until`` (default ``end``) is the last day the data covers, for
    the 90-day churn of new customers.
    """
    observed_until = observed_until or end
    cohort = _cohort(contracts, start, end)
    new = _new_customers(contracts, start, end, observed_until)
    deals = _expansion_deals(contracts, start, end)
    frames = {"cohort": cohort, "new": new, "deals": deals}
    rows = []
    if groups is not None:
        labelled = {
            name: frame.assign(group=group_labels(frame.index, groups))
            for name, frame in frames.items()
        }
        names = sorted(set().union(*(set(f["group"]) for f in labelled.values())))
        for name in names:
            parts = {k: f[f["group"] == name] for k, f in labelled.items()}
            rows.append(_figures(name, **parts))
    rows.append(_figures(ALL, **frames))
    return pd.DataFrame(rows)


def _cohort(contracts: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    before = arr_on(contracts, start)
    before = before[before > 0]
    after = arr_on(contracts, end).reindex(before.index).fillna(0.0)
    return pd.DataFrame({"start_arr": before, "end_arr": after})


def _new_customers(
    contracts: pd.DataFrame, start: dt.date, end: dt.date, observed_until: dt.date
) -> pd.DataFrame:
    paying = contracts[contracts["arr"].fillna(0) > 0]
    first = paying.groupby("account_id")["start_date"].min()
    first = first[(first >= pd.Timestamp(start)) & (first <= pd.Timestamp(end))]
    day_90 = first + pd.Timedelta(days=NEW_CUSTOMER_DAYS)
    judged = day_90 <= pd.Timestamp(observed_until)
    churned = pd.Series(False, index=first.index)
    for day, accounts in day_90[judged].groupby(day_90[judged]).groups.items():
        arr = arr_on(contracts[contracts["account_id"].isin(accounts)], day.date())
        churned[accounts] = arr.reindex(accounts).fillna(0.0).to_numpy() <= 0
    return pd.DataFrame({"judged": judged, "churned_90": churned & judged})


def _expansion_deals(
    contracts: pd.DataFrame, start: dt.date, end: dt.date
) -> pd.DataFrame:
    closed = contracts[
        (contracts["outcome"] == "expanded")
        & contracts["new_arr"].notna()
        & (contracts["closed_on"] >= pd.Timestamp(start))
        & (contracts["closed_on"] <= pd.Timestamp(end))
    ]
    deals = closed["new_arr"] - closed["arr"].fillna(0.0)
    return pd.DataFrame({"deal": deals.to_numpy()}, index=closed["account_id"])


def group_labels(
    accounts: pd.Index | pd.Series, groups: pd.Series | None
) -> np.ndarray:
    """Each account's group as text: "All" without grouping, "(none)" when unset."""
    if groups is None:
        return np.full(len(accounts), ALL, dtype=object)
    mapped = pd.Series(np.asarray(accounts, dtype=object)).map(groups)
    return mapped.astype(object).where(mapped.notna(), "(none)").astype(str).to_numpy()


def _figures(
    group: str, cohort: pd.DataFrame, new: pd.DataFrame, deals: pd.DataFrame
) -> dict:
    start_arr = float(cohort["start_arr"].sum())
    end_arr = float(cohort["end_arr"].sum())
    gone = cohort["end_arr"] <= 0
    change = cohort["end_arr"] - cohort["start_arr"]
    kept = np.minimum(cohort["end_arr"], cohort["start_arr"]).sum()
    judged = int(new["judged"].sum())
    return {
        "group": group,
        "accounts_start": len(cohort),
        "arr_start": start_arr,
        "arr_end": end_arr,
        "expansion_arr": float(change[change > 0].sum()),
        "contraction_arr": float((-change).clip(lower=0)[~gone].sum()) + 0.0,
        "churned_arr": float(cohort.loc[gone, "start_arr"].sum()),
        "churned_accounts": int(gone.sum()),
        "grr": _ratio(kept, start_arr),
        "nrr": _ratio(end_arr, start_arr),
        "logo_churn": _ratio(gone.sum(), len(cohort)),
        "revenue_churn": _ratio(cohort.loc[gone, "start_arr"].sum(), start_arr),
        "new_customers": len(new),
        "new_judged": judged,
        "new_churned_90d": int(new["churned_90"].sum()),
        "churn_90d": _ratio(new["churned_90"].sum(), judged),
        "expansion_deals": len(deals),
        "expansion_deal_total": float(deals["deal"].sum()),
        "expansion_deal_mean": _mean(deals["deal"]),
        "expansion_deal_median": _median(deals["deal"]),
    }


def _ratio(part: float, whole: float) -> float | None:
    return float(part) / float(whole) if whole else None


def _mean(values: pd.Series) -> float | None:
    return float(values.mean()) if len(values) else None


def _median(values: pd.Series) -> float | None:
    return float(values.median()) if len(values) else None
