"""The onboarding rescue dry-run over RavenStack, checked against a count from
the raw files.

RavenStack's usage rows are all one event, ``feature_used``, with no user
ids, so first login and first core workflow are read as the first feature
use (the mapping docs/playbooks.md shows) and seat activation is not
measured. The dry run needs no fitted scorecard and no daily run for this
playbook (it reads milestones, not scores or stages), so the test skips
both. The count below reads the CSV files with the csv module and the
``holidays`` package and applies the playbook's rules by hand.
"""

import collections
import csv
import datetime as dt
import json
from pathlib import Path

import holidays
import pytest
import yaml

from tests.playbook_company import invoke

D = dt.date
FIRST, LAST = D(2024, 1, 1), D(2024, 12, 31)
EVENTS = """events:
  login: [login, Signed In, feature_used]
  core_workflow: [core_workflow_completed, feature_used]
  api_call: [api_call]
  error: [error]
"""


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


class _Calendar:
    """Weekends and the public holidays of one country, day by day."""

    def __init__(self, country: str) -> None:
        code = {"UK": "GB"}.get(country, country)
        self.holidays = holidays.country_holidays(code, years=range(2022, 2026))

    def business(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def nth_after(self, day: dt.date, n: int) -> dt.date:
        while n:
            day += dt.timedelta(days=1)
            n -= self.business(day)
        return day

    def between(self, first: dt.date, last: dt.date) -> int:
        """Business days after ``first`` up to and including ``last``."""
        days = (
            (first + dt.timedelta(days=k)) for k in range(1, (last - first).days + 1)
        )
        return sum(self.business(day) for day in days)


def _count_by_hand(folder: Path, hours: dict[str, float]) -> dict[str, tuple]:
    """Per replayed Tuesday: (fired, accounts, tasks, csm hours)."""
    accounts = {
        r["account_id"]: r["country"] for r in _rows(folder, "ravenstack_accounts.csv")
    }
    terms = collections.defaultdict(list)
    owner = {}
    for row in _rows(folder, "ravenstack_subscriptions.csv"):
        end = D.fromisoformat(row["end_date"]) if row["end_date"] else None
        terms[row["account_id"]].append((D.fromisoformat(row["start_date"]), end))
        owner[row["subscription_id"]] = row["account_id"]
    start = {account: min(s for s, _ in spans) for account, spans in terms.items()}
    seen, first_use = set(), {}
    for row in _rows(folder, "ravenstack_feature_usage.csv"):
        if row["usage_id"] in seen:  # a repeated id is a repeat: the first counts
            continue
        seen.add(row["usage_id"])
        account, day = owner[row["subscription_id"]], D.fromisoformat(row["usage_date"])
        if day >= start[account] and day < first_use.get(account, D.max):
            first_use[account] = day

    days = [LAST - dt.timedelta(weeks=k) for k in reversed(range(53))]
    fired = collections.defaultdict(list)
    for account, country in accounts.items():
        calendar, began, used = (
            _Calendar(country),
            start[account],
            first_use.get(account),
        )
        for due_days in (7, 30):  # first login, first core workflow
            due = began + dt.timedelta(days=due_days)
            late_since = calendar.nth_after(due, 6)  # more than 5 business days
            for day in days:
                if used is not None and used <= day:
                    break  # reached before anyone would have noticed
                live = any(
                    s <= day and (e is None or e >= day) for s, e in terms[account]
                )
                fresh = 0 <= (day - late_since).days <= 14
                if fresh and live and (day - began).days <= 90 + 14:
                    # The core workflow's miss escalates when first login (not
                    # reached either: the same first use) is over 5 days late.
                    login_due = began + dt.timedelta(days=7)
                    second = due_days == 30 and calendar.between(login_due, day) > 5
                    fired[day].append((account, second))
                    break
    return {
        day.isoformat(): (
            len(fired[day]),
            len({account for account, _ in fired[day]}),
            sum(1 + second for _, second in fired[day]),
            sum(hours["task"] + second * hours["escalate"] for _, second in fired[day]),
        )
        for day in days
    }


@pytest.fixture
def ravenstack_home(shared_data, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    imported = invoke(
        "import", shared_data / "saas_ravenstack", "--mapping", "ravenstack"
    )
    assert "ravenstack_feature_usage.csv" in imported.output, imported.output
    (tmp_path / "home" / "config" / "events.yaml").write_text(EVENTS)
    return tmp_path / "home"


def test_the_rescue_dry_run_over_ravenstack_matches_a_count_from_the_files(
    shared_data, ravenstack_home
):
    result = invoke(
        "playbook", "dry-run", "onboarding-rescue",
        "--from", FIRST, "--to", LAST, "--format", "json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    hours = yaml.safe_load((ravenstack_home / "config" / "automation.yaml").read_text())
    expected = _count_by_hand(shared_data / "saas_ravenstack", hours["hours"])
    weeks = {
        w["week_ending"]: (w["fired"], w["accounts"], w["tasks"], w["csm_hours"])
        for w in body["weeks"]
    }
    assert weeks == expected
    total = sum(fired for fired, *_ in expected.values())
    # Enough firings that the comparison means something.
    assert total > 50
    assert body["total_fired"] == total
    # RavenStack has no contacts: every rescue email has nobody to go to, and
    # each firing notes it on the timeline.
    assert {w["emails"] for w in body["weeks"]} == {0}
    assert [w["changes"] for w in body["weeks"]] == [w["fired"] for w in body["weeks"]]
    assert (
        f"{total} email action(s) would have done nothing: no recipient: no admin "
        "or champion with an email address"
    ) in body["notes"]
