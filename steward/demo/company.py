"""Writing the demo company as the files a CS team would export.

CSV for the CRM, support and survey tables, Parquet for the product events,
and a copy of ``mapping.yaml`` beside them so the folder imports on its own.
The same (seed, as_of, accounts) always gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from steward.demo.build import build_company

MAPPING = Path(__file__).with_name("mapping.yaml")
# Import order: people and accounts before what refers to them.
FILE_NAMES = {
    "users": "users.csv",
    "accounts": "accounts.csv",
    "contacts": "contacts.csv",
    "contracts": "contracts.csv",
    "outcomes": "outcomes.csv",
    "tickets": "tickets.csv",
    "nps": "nps.csv",
    "events": "events.parquet",
}
_MONEY = ("arr", "new_arr", "arr_change")
_TIMES = ("opened_at", "closed_at", "responded_at")


@dataclass(frozen=True)
class CompanyFiles:
    """Where the demo company was written, and how many rows each file holds."""

    folder: Path
    mapping: Path
    files: dict[str, Path]
    rows: dict[str, int]


def generate_company(
    out_dir: Path, *, as_of: dt.date, seed: int = 7, accounts: int = 400
) -> CompanyFiles:
    """Write the simulated company into ``out_dir`` (created if missing).

    ``as_of`` is the last day of history: contracts, tickets, NPS answers and a
    year of events end there. Existing files of the same names are replaced.
    """
    company = build_company(as_of=as_of, seed=seed, accounts=accounts)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    files = {kind: folder / name for kind, name in FILE_NAMES.items()}

    rows = {}
    for kind, path in files.items():
        table = getattr(company, kind)
        if kind == "events":
            pq.write_table(table, path, compression="zstd", row_group_size=1 << 18)
            rows[kind] = table.num_rows
        else:
            _csv(table).to_csv(path, index=False, lineterminator="\n")
            rows[kind] = len(table)

    mapping = folder / MAPPING.name
    shutil.copyfile(MAPPING, mapping)
    return CompanyFiles(folder, mapping, files, rows)


def _csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells as an export would have them: ISO dates, UTC times, true/false."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if column in _MONEY:
            out[column] = values.map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
        elif column in _TIMES:
            out[column] = values.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif values.dtype == bool:
            out[column] = values.map({True: "true", False: "false"})
        elif column == "capacity_hours":
            out[column] = values.map(lambda v: "" if pd.isna(v) else f"{v:g}")
    return out
