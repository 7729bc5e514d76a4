"""The metric step: Ibis against raw DuckDB SQL, and incremental against full.

    .venv/bin/python -m benchmarks.engines [--accounts N] [--events N] [--days N]

Reuses the events of ``benchmarks.daily_run`` (built once, cached under
benchmarks/out/). Two comparisons, each with its baseline timed in the same
run and the outputs checked equal:

* ``ibis``: the catalogue's window metrics (``event_metrics_as_of``) through
  Ibis on DuckDB, against the same metrics written by hand as one DuckDB SQL
  query over the same files. Goal: at most 1.10x the SQL.
* ``incremental``: the metric step of the daily run on each of N new days,
  each day's events arriving as one new file: from the kept summary
  (``steward.metrics.rollup``) against a full recompute from the events.
  Goal: at least 20x faster, identical output.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import duckdb
import ibis
import pandas as pd

from benchmarks.daily_run import AS_OF, OUT, build, write_month
from steward.events.store import EventStore
from steward.metrics import rollup
from steward.metrics.assemble import metric_frame
from steward.metrics.catalogue import (
    ADDITIVE,
    EventTaxonomy,
    day_number,
    event_metrics_as_of,
)
from steward.metrics.facts import load_facts
from steward.metrics.service import _usage_from_events
from steward.workspace import Workspace

WINDOW = 28
TX = EventTaxonomy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=100_000_000)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    source = OUT / f"daily-{args.accounts}-{args.events}"
    if not (source / "ready").exists():
        build(source, args.accounts, args.events)
    ibis_vs_sql(source / "events", args)
    incremental_vs_full(source, args)


# -- Ibis against the same query in SQL ---------------------------------------

SQL = """
select account_id,
       max(day) as last_active_day,
       sum(case when event in ('login', 'Signed In') then quantity else 0 end)
         as logins,
       sum(case when event = 'core_workflow_completed' then quantity else 0 end)
         as core_workflows,
       sum(case when event = 'api_call' then quantity else 0 end) as api_calls,
       sum(errors + case when event = 'error' then quantity else 0 end) as errors,
       sum(quantity) as events_total,
       sum(coalesce(value, 0.0)) as value_total,
       count(distinct user_id) as active_users,
       count(distinct case
         when event in ('login', 'Signed In', 'error', 'api_call') then null
         else coalesce(feature, event) end) as feature_breadth
from read_parquet($files)
where day <= $end and day > $end - $window
group by account_id
"""


def ibis_vs_sql(events_dir: Path, args: argparse.Namespace) -> None:
    files = [str(path) for path in EventStore(events_dir).files()]
    end = (AS_OF - dt.date(1970, 1, 1)).days
    raw = duckdb.connect()
    con = ibis.duckdb.connect()
    table = con.read_parquet(files)
    expression = event_metrics_as_of(table, AS_OF, WINDOW, TX)

    def by_sql() -> pd.DataFrame:
        params = {"files": files, "end": end, "window": WINDOW}
        return raw.execute(SQL, params).df()

    def by_ibis() -> pd.DataFrame:
        return con.execute(expression)

    _same(by_ibis(), by_sql())
    sql_times, ibis_times = [], []
    for _ in range(args.repeat):  # interleaved, so drift hits both alike
        sql_times.append(_seconds(by_sql))
        ibis_times.append(_seconds(by_ibis))
    sql, through_ibis = statistics.median(sql_times), statistics.median(ibis_times)
    print(f"Metric step, {WINDOW}-day window, {args.events:,} events in files")
    print("| query | median s | x SQL |")
    print("| --- | ---: | ---: |")
    print(f"| raw DuckDB SQL | {sql:.3f} | 1.00 |")
    print(f"| Ibis on DuckDB | {through_ibis:.3f} | {through_ibis / sql:.2f} |")
    print()


def _same(ibis_frame: pd.DataFrame, sql_frame: pd.DataFrame) -> None:
    columns = ["account_id", "last_active_day", *ADDITIVE]
    columns += ["active_users", "feature_breadth"]
    left = ibis_frame[columns].sort_values("account_id").reset_index(drop=True)
    right = sql_frame[columns].sort_values("account_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False)


# -- One new day folded in, against the full recompute ------------------------


def incremental_vs_full(source: Path, args: argparse.Namespace) -> None:
    home = _fresh_home(source)
    os.environ["STEWARD_HOME"] = str(home)
    workspace = Workspace()
    with workspace.store.session() as session:
        facts = load_facts(session)
    events = EventStore(home / "events")
    con = ibis.duckdb.connect()

    # Catching up on a year of files once, as the first daily run would.
    caught_up = _seconds(lambda: rollup.update(events, TX))
    per_day = args.events // 365
    rows = []
    for offset in range(1, args.days + 1):
        day = AS_OF + dt.timedelta(days=offset)
        write_month(events.root / day.strftime("%Y-%m"), day, day, args.accounts,
                    per_day, offset=args.events + offset * per_day,
                    name=f"day-{day.isoformat()}.parquet")  # fmt: skip
        # The event part: the new file folded into the summary and the
        # window read from it, against the window computed from the events.
        fast_seconds, fast = _timed(
            lambda d=day: rollup.usage_as_of(events, d, WINDOW, TX)
        )
        full_seconds, full = _timed(
            lambda d=day: _usage_from_events(con, events, facts, d, WINDOW, TX)
        )
        # What both then share: the store's facts joined in (seats, tickets,
        # NPS, contracts), the same code on the same accounts.
        observed = day_number(day)
        observations = pd.DataFrame(
            {"account_id": facts.accounts["account_id"], "observed_day": observed}
        )
        frames = []
        assemble = []
        for usage in (fast, full):
            usage["observed_day"] = observed
            seconds, frame = _timed(
                lambda u=usage, o=observations: metric_frame(o, u, facts)
            )
            assemble.append(seconds)
            frames.append(frame.set_index("account_id").sort_index())
        pd.testing.assert_frame_equal(frames[0], frames[1])
        rows.append((day, fast_seconds, full_seconds, statistics.mean(assemble)))
    workspace.close()

    print(
        f"Daily metric step, {args.accounts:,} accounts, one new day of "
        f"{per_day:,} events per run (outputs identical)"
    )
    print(f"Catching up a year of files into the summary, once: {caught_up:.1f} s")
    print(
        "| day | events: full s | events: incremental s | x faster "
        "| facts joined s | whole step: full s | incremental s | x faster |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for day, fast_seconds, full_seconds, joined in rows:
        whole_full, whole_fast = full_seconds + joined, fast_seconds + joined
        print(
            f"| {day} | {full_seconds:.2f} | {fast_seconds:.2f} "
            f"| {full_seconds / fast_seconds:.1f} | {joined:.2f} "
            f"| {whole_full:.2f} | {whole_fast:.2f} | {whole_full / whole_fast:.1f} |"
        )
    print()


def _fresh_home(source: Path) -> Path:
    """A data folder with the source's store and links to its event files.

    Linked, not copied: the files are immutable, and the new days and the
    summary are written only into this folder.
    """
    home = OUT / f"engines-{source.name}"
    shutil.rmtree(home, ignore_errors=True)
    (home / "events").mkdir(parents=True)
    shutil.copyfile(source / "pristine.db", home / "steward.db")
    for path in EventStore(source / "events").files():
        month = home / "events" / path.parent.name
        month.mkdir(exist_ok=True)
        (month / path.name).symlink_to(path.resolve())
    return home


def _seconds(work) -> float:  # noqa: ANN001 - any callable
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _timed(work):  # noqa: ANN001, ANN202 - any callable
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


if __name__ == "__main__":
    sys.exit(main())
