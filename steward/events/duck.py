"""DuckDB connections for Steward's own queries over its files."""

from __future__ import annotations

import duckdb


def quiet_duckdb() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that never draws its progress bar on the user's terminal."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con
