"""Cohort retention curves on the real CDNOW purchases, checked against plain pandas.

CDNOW's customers all made their first purchase in January to March 1997
and the log runs to the end of June 1998. The signing month is the first
purchase month; a customer is retained in month k when they bought anything
in the calendar month k months later.
"""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from steward.config import Settings
from steward.ingest import import_mapping
from steward.reports.service import cohort_report
from steward.workspace import Workspace

MAPPINGS = Path(__file__).parents[1] / "steward" / "ingest" / "mappings"


@pytest.fixture(scope="module")
def cdnow(shared_data, tmp_path_factory):
    home = tmp_path_factory.mktemp("cdnow") / "home"
    workspace = Workspace(Settings(home=home, database_url=None))
    workspace.init()
    folder = shared_data / "transactions"
    import_mapping(workspace.store, workspace.events, MAPPINGS / "cdnow.yaml", folder)
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def purchases(shared_data) -> pd.DataFrame:
    return pd.read_csv(
        shared_data / "transactions" / "cdnow_master.txt",
        sep=r"\s+",
        dtype={"customer_id": str, "date": str},
    )


def _expected_curves(purchases: pd.DataFrame, last_month: pd.Period) -> pd.DataFrame:
    """Share of each first-purchase cohort buying in each later calendar month."""
    months = pd.to_datetime(purchases["date"], format="%Y%m%d").dt.to_period("M")
    bought = pd.DataFrame({"customer": purchases["customer_id"], "month": months})
    first = bought.groupby("customer")["month"].min().rename("cohort")
    bought = bought.join(first, on="customer").drop_duplicates()
    bought["k"] = (bought["month"] - bought["cohort"]).map(lambda offset: offset.n)
    sizes = first.value_counts()
    rows = []
    for cohort, size in sizes.sort_index().items():
        for k in range((last_month - cohort).n + 1):
            buyers = bought[(bought["cohort"] == cohort) & (bought["k"] == k)]
            rows.append((str(cohort), k, size, buyers["customer"].nunique()))
    return pd.DataFrame(rows, columns=["cohort", "month", "accounts", "retained"])


@pytest.mark.slow
def test_cohort_curves_on_cdnow_match_a_count_from_the_raw_file(cdnow, purchases):
    expected = _expected_curves(purchases, pd.Period("1998-06", "M"))

    with cdnow.store.session() as session:
        table = cohort_report(session, cdnow, dt.date(1997, 1, 1), dt.date(1998, 6, 30))

    got = pd.DataFrame(table.rows)
    assert table.notes == ["basis: activity"]
    assert list(got["cohort"].unique()) == ["1997-01", "1997-02", "1997-03"]
    # 18 months of Jan 1997's cohort (0..17), 17 of Feb, 16 of Mar.
    assert len(got) == len(expected) == 18 + 17 + 16
    merged = got.merge(expected, on=["cohort", "month"], suffixes=("", "_pandas"))
    assert len(merged) == len(expected)
    assert (merged["accounts"] == merged["accounts_pandas"]).all()
    assert (merged["retained"] == merged["retained_pandas"]).all()
    assert merged["share"].to_numpy() == pytest.approx(
        (merged["retained_pandas"] / merged["accounts_pandas"]).to_numpy(), rel=1e-12
    )
    assert set(got.loc[got["month"] == 0, "share"]) == {1.0}
    assert got["accounts"].sum() == (
        sum(expected.groupby("cohort")["accounts"].first() * [18, 17, 16])
    )


@pytest.mark.slow
def test_an_unfinished_month_is_left_out_of_the_curves(cdnow):
    # Observed to 15 June 1998: June is not over, so May 1998 is the last month.
    with cdnow.store.session() as session:
        table = cohort_report(session, cdnow, dt.date(1997, 1, 1), dt.date(1998, 6, 15))

    last = {row["cohort"]: row["month"] for row in table.rows}
    assert last == {"1997-01": 16, "1997-02": 15, "1997-03": 14}
