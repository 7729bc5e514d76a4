"""Every benchmark, one after another: ``make bench``.

    .venv/bin/python -m benchmarks.run [NAME ...]

Runs each benchmark module in its own process (so peak memory is its own),
prints what it prints, and writes all of it, with the machine it ran on, to
benchmarks/out/latest.md for BENCHMARKS.md. NAME picks some: daily_run, web,
engines, tracking, scoring, playbooks, import_events, knowledge. The first
run builds the large data set (100,000 accounts, 100 million events) once
and caches it under benchmarks/out/.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).with_name("out")
ORDER = (
    "daily_run",
    "engines",
    "web",
    "tracking",
    "scoring",
    "playbooks",
    "import_events",
    "knowledge",
)


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    return (
        f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def main(names: list[str]) -> int:
    unknown = sorted(set(names) - set(ORDER))
    if unknown:
        print(f"Error: no benchmark {', '.join(unknown)}; known: {', '.join(ORDER)}")
        return 1
    OUT.mkdir(exist_ok=True)
    sections = [f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine()}\n"]
    failed = []
    for name in [n for n in ORDER if not names or n in names]:
        command = [sys.executable, "-m", f"benchmarks.{name}"]
        print(f"## {name}: {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        print(result.stdout, end="", flush=True)
        if result.returncode:
            failed.append(name)
            print(result.stderr[-4000:], file=sys.stderr)
        took = time.perf_counter() - started
        sections.append(
            f"## {name}\n\n`python -m benchmarks.{name}` ({took:.0f} s)\n\n"
            f"{result.stdout.strip()}\n"
        )
    (OUT / "latest.md").write_text("\n".join(sections))
    print(f"Written to {OUT / 'latest.md'}")
    if failed:
        print(f"Error: {', '.join(failed)} failed (their errors are above)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
