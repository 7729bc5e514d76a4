"""Chart data for the pages: labels and series that steward.js hands to Chart.js."""

from __future__ import annotations

from typing import Any

from steward.accounts.listing import BANDS
from steward.accounts.portfolio import Portfolio
from steward.accounts.usage import UsageDay
from steward.accounts.views import AccountDetail
from steward.web.text import label

Chart = dict[str, Any]
BUCKETS = [f"{low}–{low + 9}" for low in range(0, 90, 10)] + ["90–100"]


def _chart(kind: str, title: str, labels: list, series: list, **options: Any) -> Chart:
    return {"kind": kind, "title": title, "labels": labels, "series": series, **options}


def portfolio_charts(p: Portfolio) -> list[Chart]:
    return [
        _chart(
            "doughnut",
            "Accounts per band",
            [label(band) for band in BANDS],
            [
                {
                    "key": "bands",
                    "label": "Accounts",
                    "data": [p.by_band.get(b, 0) for b in BANDS],
                }
            ],
        ),
        _chart(
            "bar",
            "Accounts per tier and band",
            list(p.by_tier),
            [
                {
                    "key": band,
                    "label": label(band),
                    "data": [t.get(band, 0) for t in p.by_tier.values()],
                }
                for band in BANDS
            ],
            stacked=True,
        ),
        _chart(
            "bar",
            "Health score distribution",
            BUCKETS,
            [{"key": "score", "label": "Accounts", "data": p.distribution}],
        ),
        _chart(
            "line",
            "Accounts per band, last 90 days",
            [str(day) for day, _ in p.trend],
            [
                {
                    "key": band,
                    "label": label(band),
                    "data": [c.get(band, 0) for _, c in p.trend],
                }
                for band in BANDS
            ],
        ),
    ]


def health_chart(detail: AccountDetail) -> Chart:
    history = [s for s in detail.history if s.score is not None]
    return _chart(
        "line",
        "Health score, last 60 days",
        [str(s.as_of) for s in history],
        [
            {
                "key": "score",
                "label": "Score",
                "data": [round(s.score, 1) for s in history],
            }
        ],
        min=0,
        max=100,
    )


def usage_chart(days: list[UsageDay]) -> Chart:
    return _chart(
        "bar",
        "Product usage per day, last 90 days",
        [str(d.day) for d in days],
        [
            {"key": "events", "label": "Events", "data": [d.events for d in days]},
            {
                "key": "users",
                "label": "Active users",
                "data": [d.active_users for d in days],
                "type": "line",
            },
        ],
    )
