"""Chart data for the renewals, reports and capacity pages (drawn by steward.js)."""

from __future__ import annotations

from typing import Any

from steward.accounts.renewals import WindowForecast
from steward.accounts.workload import CapacityView
from steward.reports.benchmark import Benchmark
from steward.reports.tables import ReportTable

Chart = dict[str, Any]
# Distinct lines for cohorts and groups; a series names its own colour.
PALETTE = (
    "#1565c0",
    "#c62828",
    "#2e7d32",
    "#b7791f",
    "#6a1b9a",
    "#00838f",
    "#ad1457",
    "#4e342e",
    "#546e7a",
    "#9e9d24",
)


def _chart(kind: str, title: str, labels: list, series: list, **options: Any) -> Chart:
    return {"kind": kind, "title": title, "labels": labels, "series": series, **options}


def _series(key: str, label: str, data: list, index: int) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "data": data,
        "colour": PALETTE[index % len(PALETTE)],
    }


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def forecast_chart(windows: list[WindowForecast]) -> Chart:
    labels = [f"{w.days} days" for w in windows]
    return _chart(
        "bar",
        "Renewing ARR and ARR expected to renew",
        labels,
        [
            _series("arr", "Renewing ARR", [round(w.arr) for w in windows], 0),
            _series(
                "expected", "Expected", [round(w.expected_arr) for w in windows], 2
            ),
        ],
    )


RETENTION_SERIES = (
    ("grr", "GRR"),
    ("nrr", "NRR"),
    ("logo_churn", "Logo churn"),
    ("revenue_churn", "Revenue churn"),
    ("churn_90d", "90-day churn of new customers"),
)


def retention_chart(table: ReportTable) -> Chart:
    rows = table.rows
    series = [
        _series(key, label, [_percent(r[key]) for r in rows], i)
        for i, (key, label) in enumerate(RETENTION_SERIES)
    ]
    return _chart(
        "bar",
        "Retention and churn (%)",
        [row["group"] for row in rows],
        series,
    )


def cohort_chart(table: ReportTable) -> Chart:
    """One line per cohort (and group): share retained by months since signing."""
    months = sorted({row["month"] for row in table.rows})
    lines: dict[str, dict[int, float | None]] = {}
    for row in table.rows:
        name = row["cohort"] if table.by is None else f"{row['group']} {row['cohort']}"
        lines.setdefault(name, {})[row["month"]] = _percent(row["share"])
    series = [
        _series(f"cohort-{i}", name, [points.get(m) for m in months], i)
        for i, (name, points) in enumerate(lines.items())
    ]
    return _chart(
        "line", "Accounts retained by months since signing (%)", months, series, max=100
    )


def ttv_chart(table: ReportTable) -> Chart:
    milestones = list(dict.fromkeys(row["milestone"] for row in table.rows))
    groups = list(dict.fromkeys(row["group"] for row in table.rows))
    series = []
    for i, group in enumerate(groups):
        days = {
            r["milestone"]: r["median_days"] for r in table.rows if r["group"] == group
        }
        series.append(_series(f"ttv-{i}", group, [days.get(m) for m in milestones], i))
    return _chart("bar", "Median days to each milestone", milestones, series)


def nps_chart(table: ReportTable) -> Chart:
    rows = [row for row in table.rows if row["month"] != "all"]
    months = sorted({row["month"] for row in rows})
    groups = list(dict.fromkeys(row["group"] for row in rows))
    series = []
    for i, group in enumerate(groups):
        scores = {r["month"]: r["nps"] for r in rows if r["group"] == group}
        series.append(_series(f"nps-{i}", group, [scores.get(m) for m in months], i))
    return _chart("line", "NPS by month", months, series, min=-100, max=100)


def effort_chart(table: ReportTable) -> Chart:
    rows = table.rows
    return _chart(
        "bar",
        "CSM hours: planned and logged",
        [row["group"] for row in rows],
        [
            _series("planned", "Planned", [r["planned_hours"] for r in rows], 0),
            _series("logged", "Logged", [r["logged_hours"] for r in rows], 3),
        ],
    )


def load_chart(view: CapacityView) -> Chart:
    loads = view.loads
    return _chart(
        "bar",
        "Hours a month per CSM: load and capacity",
        [load.name for load in loads],
        [
            _series("load", "Load now", [load.hours for load in loads], 1),
            _series(
                "proposed", "After moves", [load.proposed_hours for load in loads], 0
            ),
            _series("capacity", "Capacity", [load.capacity for load in loads], 2),
        ],
    )


def benchmark_chart(benchmark: Benchmark) -> Chart:
    """Per metric, the share of peers the account does better than (0-100)."""
    lines = benchmark.standings
    return _chart(
        "bar",
        "Better than this share of peers (%)",
        [line.label for line in lines],
        [_series("better", "Better than", [line.better_than for line in lines], 0)],
        min=0,
        max=100,
    )
