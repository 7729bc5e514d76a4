"""Usage events through the import service: kept rows, refused rows, refused files."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from steward.errors import ImportFailed
from steward.events.store import EventStore
from steward.ingest import import_file
from steward.store.db import Store
from tests.test_ingest_service import write


def test_events_for_unknown_accounts_are_kept_with_one_warning(
    sqlite_store: Store, events: EventStore, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "usage.csv",
        "account,event,at,n\nX-1,login,2024-03-01,2\nX-2,login,2024-03-02,\n"
        "X-1,login,2024-03-03,-1\n",
    )
    fields = {"account": "account", "event": "event", "ts": "at", "quantity": "n"}

    report = import_file(sqlite_store, events, path, "events", fields)

    assert [str(problem) for problem in report.problems] == [
        "usage.csv, column 'account': 2 events name 2 accounts Steward does not know "
        "yet (first: 'X-1' in row 2); they are kept and count once those accounts "
        "are imported",
        "usage.csv, row 3, column 'n': blank, stored as the default 1",
        "usage.csv, row 4, column 'n': below 0 (value '-1')",
    ]
    assert (report.inserted, report.rejected, report.unknown_accounts) == (2, 1, 2)
    assert events.count() == 2


def test_events_the_store_refuses_leave_no_event_file(
    sqlite_store: Store, events: EventStore, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "usage.csv",
        "account,event,at\nX-1,login,2024-03-01\nX-2,login,2024-04-02\n",
    )
    fields = {"account": "account", "event": "event", "ts": "at"}
    refuse = "CREATE TRIGGER refuse BEFORE INSERT ON import_runs BEGIN "
    refuse += "SELECT RAISE(ABORT, 'import runs are refused'); END"
    with sqlite_store.engine.begin() as connection:
        connection.execute(text(refuse))

    with pytest.raises(ImportFailed) as failure:
        import_file(sqlite_store, events, path, "events", fields, create_accounts=True)
    files_after_failure = events.files()
    with sqlite_store.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER refuse"))
    again = import_file(
        sqlite_store, events, path, "events", fields, create_accounts=True
    )

    assert str(failure.value) == (
        "usage.csv: nothing from this file was stored: the database refused it "
        "(import runs are refused)"
    )
    assert files_after_failure == []
    assert (again.inserted, again.unchanged, again.accounts_created) == (2, 0, 2)
    assert events.count() == 2


def test_event_times_before_1970_are_rejected_and_the_rest_kept(
    sqlite_store: Store, events: EventStore, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "usage.csv",
        "account,event,at\nX-1,login,0001-01-01T00:00:00Z\n"
        "X-1,login,1969-12-31T23:59:59Z\nX-1,login,2024-03-01\n",
    )
    fields = {"account": "account", "event": "event", "ts": "at"}

    report = import_file(
        sqlite_store, events, path, "events", fields, create_accounts=True
    )

    assert [str(problem) for problem in report.problems] == [
        "usage.csv, row 2, column 'at': before 1970-01-01 (value "
        "'0001-01-01T00:00:00Z')",
        "usage.csv, row 3, column 'at': before 1970-01-01 (value "
        "'1969-12-31T23:59:59Z')",
    ]
    assert (report.inserted, report.rejected) == (1, 2)
    assert events.count() == 1
