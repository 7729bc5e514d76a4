"""The web app over loopback at 100,000 accounts: p50 and p95 per page.

    .venv/bin/python -m benchmarks.web [--accounts N] [--events N] [--requests N]

Reuses the store of ``benchmarks.daily_run`` (built once, cached under
benchmarks/out/), copies it into its own folder, runs the daily run once so
every account has a score, then starts ``steward serve`` in a child process
and times requests from one signed-in client, one at a time. Baselines, timed
in the same run: a static file through the same server (the HTTP floor), and
the accounts-list query called directly (the database floor).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from benchmarks.daily_run import AS_OF, OUT, build

PASSWORD = "benchmark password"
ADMIN = "admin@bench.example"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=100_000_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    source = OUT / f"daily-{args.accounts}-{args.events}"
    if not (source / "ready").exists():
        build(source, args.accounts, args.events)
    home = prepare(source, OUT / f"web-{args.accounts}-{args.events}")
    os.environ["STEWARD_HOME"] = str(home)
    os.environ.pop("STEWARD_DATABASE_URL", None)

    direct = time_direct_query(args.requests)
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("steward")), "serve", "--no-daily",
         "--port", str(port)],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        results = time_pages(f"http://127.0.0.1:{port}", args.requests)
    finally:
        server.terminate()
        server.wait(10)
    report(args, results, direct)


def prepare(source: Path, home: Path) -> Path:
    """A copy of the bench store, scored for one day, with an admin who signs in."""
    if (home / "ready").exists():
        return home
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copyfile(source / "pristine.db", home / "steward.db")
    for folder in ("events", "config"):
        (home / folder).symlink_to((source / folder).resolve())
    os.environ["STEWARD_HOME"] = str(home)
    from steward.auth.users import add_user
    from steward.jobs.run import run_daily
    from steward.workspace import Workspace

    workspace = Workspace()
    workspace.store.upgrade()
    started = time.perf_counter()
    run_daily(workspace, AS_OF)
    print(f"scored in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    with workspace.store.session() as session:
        add_user(
            session,
            email=ADMIN,
            name="Bench Admin",
            role="admin",
            password=PASSWORD,
            actor="benchmark",
        )
    workspace.close()
    (home / "ready").write_text("")
    return home


def time_direct_query(count: int) -> list[float]:
    """The accounts list's query alone, in this process: the database floor."""
    from steward.accounts.listing import list_accounts
    from steward.workspace import Workspace

    workspace = Workspace()
    timings = []
    with workspace.store.session() as session:
        for _ in range(count):
            started = time.perf_counter()
            list_accounts(session, limit=51)
            timings.append(time.perf_counter() - started)
    workspace.close()
    return timings


def time_pages(base: str, count: int) -> dict[str, list[float]]:
    with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
        _wait_until_up(client)
        _sign_in(client)
        riskiest = _riskiest(client)
        middle = f"Account {7 * 10_000 + 123}"
        pages = {
            "static file (HTTP floor)": "/static/steward.css",
            "accounts list (riskiest first)": "/accounts",
            "accounts list, sorted by name": "/accounts?sort=name",
            "accounts list, at risk, renewing in 90 days": (
                "/accounts?band=at_risk&renewal=90"
            ),
            "accounts list, search by name": f"/accounts?q={middle}",
            "accounts list, page 1,000": "/accounts?offset=49950",
            "accounts API (50 rows)": "/api/v1/accounts",
            "account 360": f"/accounts/{riskiest}",
            "account 360 usage chart (lazy)": f"/accounts/{riskiest}/usage",
            "dashboard": "/",
        }
        results = {}
        for name, path in pages.items():
            headers = (
                {"Authorization": f"Bearer {_token(client)}"} if "/api/" in path else {}
            )
            results[name] = _time(client, path, count, headers)
    return results


def _time(client: httpx.Client, path: str, count: int, headers: dict) -> list[float]:
    for _ in range(3):  # warm-up: connection, caches, first compile
        client.get(path, headers=headers).raise_for_status()
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        timings.append(time.perf_counter() - started)
        response.raise_for_status()
    return timings


_TOKEN: list[str] = []


def _token(client: httpx.Client) -> str:
    if not _TOKEN:
        from bs4 import BeautifulSoup

        page = client.get("/admin")
        token = BeautifulSoup(page.text, "html.parser").find(
            "input", {"name": "csrf_token"}
        )["value"]
        user_id = _admin_id()
        issued = client.post(
            "/admin/tokens",
            data={"user_id": user_id, "name": "bench", "csrf_token": token},
        )
        issued.raise_for_status()
        code = BeautifulSoup(issued.text, "html.parser").find(id="issued-token")
        _TOKEN.append(code.text.strip())
    return _TOKEN[0]


def _admin_id() -> int:
    from sqlalchemy import select

    from steward.store.models import User
    from steward.workspace import Workspace

    workspace = Workspace()
    with workspace.store.session() as session:
        found = session.scalar(select(User.id).where(User.email == ADMIN))
    workspace.close()
    return found


def _sign_in(client: httpx.Client) -> None:
    from bs4 import BeautifulSoup

    form = client.get("/login")
    token = BeautifulSoup(form.text, "html.parser").find(
        "input", {"name": "csrf_token"}
    )["value"]
    response = client.post(
        "/login", data={"email": ADMIN, "password": PASSWORD, "csrf_token": token}
    )
    response.raise_for_status()


def _riskiest(client: httpx.Client) -> str:
    from bs4 import BeautifulSoup

    page = BeautifulSoup(client.get("/accounts").text, "html.parser")
    link = page.select_one("table.accounts tbody a")
    return link["href"].rsplit("/", 1)[1]


def _wait_until_up(client: httpx.Client) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            client.get("/login")
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("steward serve did not answer within 60 s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ms(values: list[float], quantile: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(quantile * 100) - 1]
        * 1000
    )


def report(
    args: argparse.Namespace, results: dict[str, list[float]], direct: list[float]
) -> None:
    floor = _ms(results["static file (HTTP floor)"], 0.5)
    query = _ms(direct, 0.5)
    print(
        f"Web: {args.accounts:,} accounts, {args.events:,} events, "
        f"{args.requests} sequential requests per page over loopback"
    )
    print(f"Accounts-list query called directly: p50 {query:.1f} ms, "
          f"p95 {_ms(direct, 0.95):.1f} ms")  # fmt: skip
    print("| page | p50 ms | p95 ms | p50 / static file | p50 / direct query |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, timings in results.items():
        p50, p95 = _ms(timings, 0.5), _ms(timings, 0.95)
        print(
            f"| {name} | {p50:.1f} | {p95:.1f} | {p50 / floor:.1f} "
            f"| {p50 / query:.1f} |"
        )


if __name__ == "__main__":
    main()
