"""The review's trend charts as PNG images, drawn by matplotlib without pyplot.

``Figure`` objects are used directly so nothing touches matplotlib's global
state or picks a display backend.
"""

from __future__ import annotations

import datetime as dt
import io

from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

INK = "#1f2d3d"
ACCENT = "#2f6fb3"
SOFT = "#9fb8d3"
SIZE = (10, 4.2)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _frame(title: str) -> tuple[Figure, object]:
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    axes.set_title(title, loc="left", color=INK, fontsize=13)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.grid(axis="y", color="#e3e8ee")
    locator = AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    return figure, axes


def health_chart(points: list[tuple[dt.date, float | None]], since: dt.date) -> bytes:
    """Health score by day, 0-100, with the start of the period marked."""
    figure, axes = _frame("Health score")
    shown = [(day, score) for day, score in points if score is not None]
    if shown:
        days, scores = zip(*shown, strict=True)
        axes.plot(days, scores, color=ACCENT, linewidth=2, marker="o", markersize=3)
    else:
        axes.text(0.5, 0.5, "No scores yet", ha="center", transform=axes.transAxes)
    axes.set_ylim(0, 100)
    axes.axvline(since, color=SOFT, linestyle="--", linewidth=1)
    return _png(figure)


def adoption_chart(
    weeks: list[tuple[dt.date, int, int]],
    seat_utilisation: list[tuple[dt.date, float]],
    since: dt.date,
) -> bytes:
    """Weekly active users as bars, seat utilisation as a line on its own axis."""
    figure, axes = _frame("Adoption: weekly active users and seat utilisation")
    if weeks:
        days = [week for week, _, _ in weeks]
        users = [count for _, count, _ in weeks]
        axes.bar(days, users, width=5, color=SOFT, label="Weekly active users")
    axes.set_ylabel("Weekly active users", color=INK)
    axes.set_ylim(bottom=0)
    axes.axvline(since, color=ACCENT, linestyle="--", linewidth=1)
    if seat_utilisation:
        share = axes.twinx()
        days, values = zip(*seat_utilisation, strict=True)
        share.plot(days, [v * 100 for v in values], color=ACCENT, marker="o")
        share.set_ylabel("Seat utilisation (%)", color=ACCENT)
        share.set_ylim(0, max(100, max(values) * 110))
        share.spines["top"].set_visible(False)
    return _png(figure)
