"""The daily run on a large book, against a bare DuckDB scan of the same events.

    .venv/bin/python -m benchmarks.daily_run [--accounts N] [--events N]

Generates (once, cached under benchmarks/out/) a store of N accounts with
yearly contracts and a year of events as Parquet in Steward's event layout,
then times, each in its own process so peak memory is its own:

* ``scan``: one DuckDB query reading every column the daily run reads, over
  every event (the baseline), run once before to warm the page cache as the
  runs after it find it;
* ``first run``: ``steward run`` on a fresh store, which also evaluates the
  onboarding journey of every account once, folds a year of event files
  into the metric summary (docs/engines.md) and keeps the journey signals of
  the accounts still in a journey (docs/daily-run.md);
* ``next day``: the run of the following day, after that day's events have
  arrived as one new file: the steady state a team sees. Run twice from the
  same state, alternating with ``next day, metrics from the events``
  (``STEWARD_METRICS_INCREMENTAL=false``: the window rescanned instead of
  the summary read); the faster of each pair is shown;
* ``first run, metrics from the events``: the first run without the summary;
* ``bare writes``: the rows the next day wrote (health and expansion scores,
  the blocks of explanations, milestone states), written again as the day
  after by one bare sqlite3 executemany per table in one transaction, commit
  included: what storing a day costs with nothing computed, a floor under
  any daily run that keeps these rows.

Prints wall time, ratio to the scan and peak RSS of each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
from sqlalchemy import insert

OUT = Path(__file__).with_name("out")
AS_OF = dt.date(2025, 6, 30)
COUNTRIES = ["US", "GB", "DE", "FR", "NL", "IN", "AU", "CA"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=100_000_000)
    args = parser.parse_args()

    home = OUT / f"daily-{args.accounts}-{args.events}"
    if not (home / "ready").exists():
        build(home, args.accounts, args.events)
    # Every measurement starts from the store as built: no runs yet, and no
    # metric summary kept by an earlier run (the first run builds it). The
    # next day's events arrive as one new file before the next day's run.
    next_day = AS_OF + dt.timedelta(days=1)
    arriving = home / f"next-day-{args.events}.parquet"
    if not arriving.exists():
        write_month(home, next_day, next_day, args.accounts, args.events // 365,
                    offset=args.events, name=arriving.name)  # fmt: skip
    landed = home / "events" / next_day.strftime("%Y-%m") / "day.parquet"

    # What runs keep beside the events: the metric summary and the journey
    # signals (docs/engines.md, docs/daily-run.md).
    summaries = ("rollup", "firsts")

    def fresh() -> None:
        shutil.copyfile(home / "pristine.db", home / "steward.db")
        for name in summaries:
            shutil.rmtree(home / "events" / name, ignore_errors=True)
        shutil.rmtree(landed.parent, ignore_errors=True)

    fresh()
    # The scan twice, the second measured: the daily run after it reads the
    # same files from a warm page cache, so the baseline does too.
    measure(home, "scan")
    results = {"scan": measure(home, "scan"), "first run": measure(home, "run", AS_OF)}
    kept = OUT / "after-first-run"
    shutil.rmtree(kept, ignore_errors=True)
    kept.mkdir()
    shutil.copyfile(home / "steward.db", kept / "steward.db")
    for name in summaries:
        shutil.copytree(home / "events" / name, kept / name)
    landed.parent.mkdir(exist_ok=True)
    shutil.copyfile(arriving, landed)
    # The next day from the same state, with the summary (the default) and
    # with the metric step from the window's events, alternately, twice each.
    full = {"STEWARD_METRICS_INCREMENTAL": "false"}
    runs: dict[str, list[dict]] = {
        "next day": [],
        "next day, metrics from the events": [],
    }
    for name in [*runs, *runs]:
        shutil.copyfile(kept / "steward.db", home / "steward.db")
        for summary in summaries:
            shutil.rmtree(home / "events" / summary, ignore_errors=True)
            shutil.copytree(kept / summary, home / "events" / summary)
        extra = full if "from the events" in name else None
        runs[name].append(measure(home, "run", next_day, extra))
    for name, measured in runs.items():
        results[name] = min(measured, key=lambda result: result["seconds"])
    results["bare writes"] = measure(home, "writes", next_day)
    fresh()
    results["first run, metrics from the events"] = measure(home, "run", AS_OF, full)
    fresh()
    shutil.rmtree(kept, ignore_errors=True)
    report(args, results)


def build(home: Path, accounts: int, events: int) -> None:
    shutil.rmtree(home, ignore_errors=True)
    started = time.perf_counter()
    os.environ["STEWARD_HOME"] = str(home)
    from steward.workspace import Workspace

    workspace = Workspace()
    workspace.init()
    build_store(workspace, accounts)
    build_events(workspace.settings.events_dir, accounts, events)
    workspace.close()
    shutil.copyfile(home / "steward.db", home / "pristine.db")
    (home / "ready").write_text("")
    print(f"built {home} in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def build_store(workspace: object, accounts: int) -> None:
    from steward.store.models import Account, Contract, User

    rng = np.random.default_rng(1)
    seats = rng.integers(3, 120, accounts)
    age = rng.integers(0, 3 * 365, accounts)
    # A tenth of the book started in the last 90 days: live onboarding.
    age[rng.random(accounts) < 0.1] = rng.integers(0, 90)
    with workspace.store.session() as session:
        session.execute(
            insert(User),
            [
                {"email": f"csm{i}@bench.example", "name": f"CSM {i}", "role": "csm"}
                for i in range(50)
            ],
        )
        session.execute(
            insert(Account),
            [
                {
                    "external_id": f"A{i:06d}",
                    "name": f"Account {i}",
                    "country": COUNTRIES[i % len(COUNTRIES)],
                    "seats": int(seats[i]),
                    "arr": float(seats[i]) * 600.0,
                    "csm_id": 1 + i % 50,
                    "lifecycle_stage": "adoption",
                    "attributes": {},
                }
                for i in range(accounts)
            ],
        )
        # Yearly contracts from each account's first day to the current term.
        contracts = []
        for i in range(accounts):
            start = AS_OF - dt.timedelta(days=int(age[i]))
            term = 0
            while start <= AS_OF:
                contracts.append(
                    {
                        "external_id": f"C{i:06d}-{term}",
                        "account_id": i + 1,
                        "start_date": start,
                        "end_date": start + dt.timedelta(days=364),
                        "arr": float(seats[i]) * 600.0,
                        "seats": int(seats[i]),
                    }
                )
                start += dt.timedelta(days=365)
                term += 1
        session.execute(insert(Contract), contracts)


def build_events(events_dir: Path, accounts: int, events: int) -> None:
    """A year of events, one Parquet file per month, sorted by time like imports."""
    first = dt.date(AS_OF.year - 1, AS_OF.month, 1) + dt.timedelta(days=32)
    months = []
    day = first.replace(day=1)
    while day <= AS_OF:
        following = (day + dt.timedelta(days=32)).replace(day=1)
        months.append((day, min(following, AS_OF + dt.timedelta(days=1))))
        day = following
    total_days = sum((end - start).days for start, end in months)
    offset = 0
    for start, end in months:
        rows = events * (end - start).days // total_days
        folder = events_dir / start.strftime("%Y-%m")
        write_month(folder, start, end - dt.timedelta(days=1), accounts, rows, offset)
        offset += rows


def write_month(
    folder: Path,
    first: dt.date,
    last: dt.date,
    accounts: int,
    rows: int,
    offset: int,
    name: str = "bench.parquet",
) -> None:
    """``rows`` events spread over the days ``first`` to ``last``, sorted by time.

    Event ``i`` (from ``offset``) is drawn from hashes of ``i``, so the same
    arguments always give the same file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    seconds = ((last - first).days + 1) * 86400
    epoch = int(dt.datetime.combine(first, dt.time(), dt.UTC).timestamp())
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(
        f"""
        copy (
          select
            'm' || i as message_id,
            'A' || lpad((hash(i) % {accounts})::varchar, 6, '0') as account_id,
            'u' || (hash(i * 7) % 40)::varchar as user_id,
            (['login', 'feature_used', 'feature_used',
              'core_workflow_completed', 'api_call', 'feature_used', 'login',
              'error'])[(1 + hash(i * 3) % 8)::bigint] as event,
            'f' || (hash(i * 5) % 12)::varchar as feature,
            to_timestamp(second) as ts,
            1 + (hash(i * 13) % 3)::bigint as quantity,
            0::bigint as errors,
            null::double as value,
            null::varchar as properties,
            to_timestamp({epoch}) as received_at,
            (second // 86400)::integer as day
          from (
            select i, {epoch} + (hash(i * 11) % {seconds})::bigint as second
            from range({offset}, {offset + rows}) t(i)
          )
          order by ts, account_id
        ) to '{folder / name}'
        (format parquet, compression zstd, row_group_size 1048576)
        """
    )


SCAN = """
select count(*), count(account_id), count(user_id), count(event), count(feature),
       min(ts), max(ts), sum(quantity), sum(errors)
from read_parquet($glob)
"""


def child(what: str, day: str | None) -> None:
    """One measurement; the clock starts after the imports."""
    # Ibis loads its DuckDB backend when the run first connects: an import
    # like the others, made here before the clock starts.
    import ibis.backends.duckdb  # noqa: F401

    from steward.config import load_settings
    from steward.events.store import EventStore
    from steward.jobs.run import run_daily
    from steward.workspace import Workspace

    workspace = Workspace()
    workspace.store.upgrade()  # a store built by an older Steward: not timed
    if what == "writes":
        workspace.close()
        seconds = bare_writes(Path(os.environ["STEWARD_HOME"]) / "steward.db", day)
        print(json.dumps({"seconds": seconds, "peak_bytes": _peak_rss()}))
        return
    started = time.perf_counter()
    marks: list[tuple[str, float]] = [("load", started)]
    if what == "scan":
        glob = EventStore(load_settings().events_dir).glob
        duckdb.connect().execute(SCAN, {"glob": glob}).fetchall()
    else:
        on_step = lambda name: marks.append((name, time.perf_counter()))  # noqa: E731
        run_daily(workspace, dt.date.fromisoformat(day), on_step=on_step)
    finished = time.perf_counter()
    ends = [at for _, at in marks[1:]] + [finished]
    steps = {name: end - at for (name, at), end in zip(marks, ends, strict=True)}
    peak = _peak_rss()
    print(
        json.dumps({"seconds": finished - started, "peak_bytes": peak, "steps": steps})
    )


# The tables a day's run fills, with the column that carries the day and the
# key a second write of the same row conflicts on.
DAY_TABLES = {
    "health_scores": ("as_of", "as_of, account_id"),
    "score_details": ("as_of", "as_of, block"),
    "milestone_states": ("evaluated_on", "account_id, journey, milestone"),
}


def bare_writes(db: Path, day: str) -> float:
    """Seconds to write ``day``'s rows again as the next day, with bare sqlite3.

    The rows are read before the clock starts; the upsert is the statement
    the run uses (a new row per account for scores, an update of each open
    milestone), with the store's pragmas.
    """
    after = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("PRAGMA foreign_keys=ON")
    batches = []
    for table, (column, key) in DAY_TABLES.items():
        columns = con.execute(f"PRAGMA table_info({table})")
        names = [row[1] for row in columns if row[1] != "id"]
        rows = con.execute(
            f"SELECT {', '.join(names)} FROM {table} WHERE {column} = ?", [day]
        ).fetchall()
        at = names.index(column)
        rows = [(*row[:at], after, *row[at + 1 :]) for row in rows]
        updates = ", ".join(f"{n} = excluded.{n}" for n in names if n not in key)
        sql = (
            f"INSERT INTO {table} ({', '.join(names)}) "
            f"VALUES ({', '.join('?' * len(names))}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
        )
        batches.append((sql, rows))
    started = time.perf_counter()
    con.execute("BEGIN")
    for sql, rows in batches:
        con.executemany(sql, rows)
    con.execute("COMMIT")
    seconds = time.perf_counter() - started
    con.close()
    return seconds


def _peak_rss() -> int:
    """This process's peak resident memory in bytes.

    VmHWM, not ru_maxrss: the latter keeps the parent's peak across fork and
    exec, so every child would report the generator's memory.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(
    home: Path,
    what: str,
    day: dt.date | None = None,
    extra: dict[str, str] | None = None,
) -> dict[str, float]:
    env = {**os.environ, "STEWARD_HOME": str(home), **(extra or {})}
    command = [sys.executable, "-m", "benchmarks.daily_run", "--child", what]
    if day:
        command.append(day.isoformat())
    output = subprocess.run(
        command, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def report(args: argparse.Namespace, results: dict[str, dict[str, float]]) -> None:
    scan = results["scan"]["seconds"]
    print(f"Daily run: {args.accounts:,} accounts, {args.events:,} events")
    print("| step | seconds | x scan | peak RSS (MiB) |")
    print("| --- | ---: | ---: | ---: |")
    for name, result in results.items():
        print(
            f"| {name} | {result['seconds']:.2f} | {result['seconds'] / scan:.2f} "
            f"| {result['peak_bytes'] / 2**20:,.0f} |"
        )
    runs = [
        name for name, result in results.items() if len(result.get("steps", {})) > 1
    ]
    print()
    print("Seconds by step of the daily run (load: scorecard and store facts)")
    print("| step | " + " | ".join(runs) + " |")
    print("| --- |" + " ---: |" * len(runs))
    for step in results[runs[0]]["steps"]:
        cells = " | ".join(f"{results[name]['steps'][step]:.2f}" for name in runs)
        print(f"| {step} | {cells} |")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        main()
