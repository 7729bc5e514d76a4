"""The playbooks' pure part on a large book: states assembled, every built-in evaluated.

    .venv/bin/python -m benchmarks.playbooks [--accounts N]

Builds plain inputs for N accounts (no store, no events), then times
``assemble`` and ``evaluate`` of each built-in playbook for one day over
every account, and the daily run's way: the book narrowed column-wise to the
candidates first (``steward.playbooks.candidates``), checking that both fire
the same. Prints CPU seconds (the machine may be shared) per part and
firings per playbook.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from steward.notify.templates import BUILT_IN as EMAILS
from steward.notify.templates import EmailTemplates
from steward.playbooks.assemble import Inputs, assemble
from steward.playbooks.candidates import candidate_ids
from steward.playbooks.engine import Tools, evaluate
from steward.playbooks.model import BUILT_IN, load_playbook, playbook_paths
from steward.playbooks.settings import AutomationSettings
from steward.playbooks.state import Dated, MilestoneFact

AS_OF = dt.date(2025, 6, 30)
COUNTRIES = np.array(["US", "GB", "DE", "FR", "NL", "IN", "AU", "CA"], dtype=object)


def inputs(accounts: int) -> Inputs:
    rng = np.random.default_rng(1)
    ids = np.arange(1, accounts + 1)
    started = [
        AS_OF - dt.timedelta(days=int(d)) for d in rng.integers(0, 1000, accounts)
    ]
    frame = pd.DataFrame(
        {
            "external_id": [f"A-{n}" for n in ids],
            "name": [f"Account {n}" for n in ids],
            "industry": rng.choice(["FinTech", "EdTech", "DevTools"], accounts),
            "country": rng.choice(COUNTRIES, accounts),
            "tier": None,
            "coverage": rng.choice(
                ["High-Touch", "Tech-Touch", "Digital-Led"], accounts
            ),
            "segment": None,
            "stage": rng.choice(["onboarding", "adoption", "renewal"], accounts),
            "arr": rng.integers(1_000, 200_000, accounts).astype(float),
            "seats": rng.integers(3, 800, accounts).astype(float),
            "csm_id": rng.integers(1, 100, accounts),
            "ae_id": None,
            "custom_integrations": rng.random(accounts) < 0.05,
            "started_on": started,
            "renewal_on": [s + dt.timedelta(days=365) for s in started],
        },
        index=ids,
    )
    metrics = pd.DataFrame(
        {
            "seat_utilisation": rng.random(accounts),
            "latest_nps": rng.integers(0, 11, accounts).astype(float),
            "tickets_per_month": rng.random(accounts) * 4,
            "portal_completion": rng.random(accounts),
        },
        index=ids,
    )
    scores = pd.DataFrame(
        {
            "health": rng.random(accounts) * 100,
            "band": rng.choice(["healthy", "neutral", "at_risk"], accounts),
            "previous_health": rng.random(accounts) * 100,
            "previous_band": rng.choice(["healthy", "neutral", "at_risk"], accounts),
            "expansion": rng.integers(0, 11, accounts) * 10.0,
            "previous_expansion": rng.integers(0, 11, accounts) * 10.0,
            "band_since": AS_OF - dt.timedelta(days=90),
        },
        index=ids,
    )
    young = [n for n, s in zip(ids, started, strict=True) if (AS_OF - s).days < 60]
    milestones = {
        int(n): (
            MilestoneFact("onboarding", "first_login", "First login", 0,
                          AS_OF - dt.timedelta(days=20), AS_OF - dt.timedelta(days=13),
                          None, "missed", 9),
        )
        for n in young
    }  # fmt: skip
    incidents = {
        int(n): (Dated(f"INC-{n}", AS_OF, "outage", "down"),)
        for n in rng.choice(ids, accounts // 1000, replace=False)
    }
    return Inputs(frame, metrics, scores, milestones=milestones, incidents=incidents)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    args = parser.parse_args()
    made = inputs(args.accounts)
    started = time.process_time()
    joined = made.accounts.join(made.metrics).join(made.scores)
    at_risk = joined[(joined["band"] == "at_risk") & (joined["health"] < 40)]
    bare = time.process_time() - started
    print(
        f"baseline, the inputs joined and one filter in pandas: {bare:.2f} s "
        f"({len(at_risk):,} rows)"
    )
    started = time.process_time()
    states = assemble(made, AutomationSettings().tiers)
    took = time.process_time() - started
    print(f"assemble {args.accounts:,} accounts: {took:.2f} s ({took / bare:.0f}x)")
    playbooks = [load_playbook(path) for path in playbook_paths(BUILT_IN)]
    rubric = AutomationSettings().tiers
    with tempfile.TemporaryDirectory() as folder:
        tools = Tools(EmailTemplates(Path(EMAILS)), lambda a: f"{folder}/{a}")
        total, fired = 0.0, {}
        for playbook in playbooks:
            began = time.process_time()
            firings = evaluate(playbook, states, AS_OF, lambda keys: set(), tools)
            took = time.process_time() - began
            total += took
            fired[playbook.name] = sorted(firing.key for firing in firings)
            print(f"  {playbook.name:32} {took:6.2f} s  {len(firings):7,} firings")
        print(
            f"evaluate, all built-ins: {total:.2f} s ({total / bare:.0f}x the baseline)"
        )

        # The daily run's way: the book narrowed column-wise first, states
        # and the engine only for the accounts some playbook could fire for.
        began = time.process_time()
        wanted = candidate_ids(playbooks, made, rubric, AS_OF)
        narrowed = assemble(made, rubric, only=wanted)
        same = True
        for playbook in playbooks:
            firings = evaluate(playbook, narrowed, AS_OF, lambda keys: set(), tools)
            same &= sorted(firing.key for firing in firings) == fired[playbook.name]
        took = time.process_time() - began
        print(
            f"narrowed to {len(wanted):,} candidates, then assembled and evaluated: "
            f"{took:.2f} s ({took / bare:.0f}x the baseline); "
            f"the same firings: {'yes' if same else 'NO'}"
        )


if __name__ == "__main__":
    main()
