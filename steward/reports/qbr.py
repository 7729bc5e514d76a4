"""The QBR deck: the customer's goals and results first, then the evidence.

Slides, in order: "Your Goals vs. Your Results" (each plan goal beside its
quantified result since the last review), health trend, adoption trend,
milestones reached and missed, support and NPS, agreed next steps. The
Strategic Value Review adds return on investment and, where Steward has one,
a peer benchmark. There is no feature tour, by design.

:func:`build_deck` takes plain :class:`ReviewFacts` and returns the
presentation; it reads no store.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pptx import Presentation
from pptx.presentation import Presentation as Deck
from pptx.util import Inches, Pt

from steward.reports.qbr_charts import adoption_chart, health_chart
from steward.reports.qbr_facts import GoalResult, KpiResult, ReviewFacts

if TYPE_CHECKING:
    from steward.reports.benchmark import Benchmark

FIRST_TITLE = "Your Goals vs. Your Results"
TITLE_ONLY = 5  # the default template's "Title Only" layout
WIDE = (Inches(13.333), Inches(7.5))


@dataclass(frozen=True)
class ValueLine:
    kpi: str
    improvement: float
    value_per_unit: float
    value: float


def fmt(value: float | None, unit: str) -> str:
    """A KPI value as shown on the slides: shares as percentages, one decimal."""
    if value is None:
        return "—"
    if unit == "share":
        return f"{value * 100:,.1f}%"
    return f"{value:,.1f}"


def _change(delta: float, unit: str) -> str:
    if unit == "share":
        return f"{delta * 100:+,.1f} pts"
    return f"{delta:+,.1f}"


def kpi_label(kpi: KpiResult) -> str:
    shown = kpi.unit and kpi.unit != "share"
    return f"{kpi.name} ({kpi.unit})" if shown else kpi.name


def result_line(kpi: KpiResult) -> str:
    """``Name: 42.0% → 61.0% (+19.0%), target 70.0%``; "baseline" marks a start
    taken from the plan's baseline because nothing was measured at the review.
    """
    if kpi.now is None:
        return f"{kpi_label(kpi)}: no value measured yet"
    start = "baseline " if kpi.then_from == "baseline" else ""
    line = (
        f"{kpi_label(kpi)}: {start}{fmt(kpi.then, kpi.unit)} → {fmt(kpi.now, kpi.unit)}"
    )
    if kpi.then is not None:
        line += f" ({_change(kpi.now - kpi.then, kpi.unit)})"
    if kpi.target is not None:
        line += f", target {fmt(kpi.target, kpi.unit)}"
    return line


def goal_result(goal: GoalResult) -> str:
    if not goal.kpis:
        return "No KPI agreed for this goal yet"
    return "\n".join(result_line(kpi) for kpi in goal.kpis)


def value_lines(facts: ReviewFacts) -> list[ValueLine]:
    """What each KPI's improvement since its baseline is worth, toward its target.

    Only KPIs with an agreed value per unit count; a move away from the
    target counts as negative value.
    """
    lines = []
    for goal in facts.goals:
        for kpi in goal.kpis:
            if None in (kpi.value_per_unit, kpi.baseline, kpi.now):
                continue
            direction = -1 if (kpi.target or 0) < kpi.baseline else 1
            improvement = (kpi.now - kpi.baseline) * direction
            value = improvement * kpi.value_per_unit
            lines.append(ValueLine(kpi.name, improvement, kpi.value_per_unit, value))
    return lines


def build_deck(
    facts: ReviewFacts,
    *,
    strategic: bool = False,
    benchmark: Benchmark | None = None,
) -> Deck:
    deck = Presentation()
    deck.slide_width, deck.slide_height = WIDE
    _goals_slide(deck, facts)
    _picture_slide(
        deck,
        "Health trend",
        health_chart(facts.health, facts.since),
        _health_caption(facts),
    )
    _picture_slide(
        deck,
        "Adoption trend",
        adoption_chart(facts.usage, facts.seat_utilisation, facts.since),
        _adoption_caption(facts),
    )
    _milestones_slide(deck, facts)
    _support_slide(deck, facts)
    _next_steps_slide(deck, facts)
    if strategic:
        _value_slide(deck, facts)
        if benchmark is not None:
            _benchmark_slide(deck, facts, benchmark)
    return deck


def deck_bytes(deck: Deck) -> bytes:
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def _slide(deck: Deck, title: str):  # noqa: ANN202 - a python-pptx slide
    slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY])
    slide.shapes.title.text = title
    shape = slide.shapes.title
    shape.left, shape.top = Inches(0.5), Inches(0.3)
    shape.width, shape.height = Inches(12.3), Inches(1.0)
    return slide


def _text(slide, text: str, top: float, size: int = 16, height: float = 0.6) -> None:  # noqa: ANN001
    box = slide.shapes.add_textbox(
        Inches(0.6), Inches(top), Inches(12.1), Inches(height)
    )
    frame = box.text_frame
    frame.word_wrap = True
    for number, line in enumerate(text.split("\n")):
        paragraph = frame.paragraphs[0] if number == 0 else frame.add_paragraph()
        paragraph.text = line
        paragraph.font.size = Pt(size)


def _table(
    slide,  # noqa: ANN001
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    top: float,
    widths: Sequence[float],
    size: int = 14,
) -> None:
    height = Inches(0.45 * (len(rows) + 1))
    shape = slide.shapes.add_table(
        len(rows) + 1,
        len(header),
        Inches(0.6),
        Inches(top),
        Inches(sum(widths)),
        height,
    )
    table = shape.table
    for column, width in enumerate(widths):
        table.columns[column].width = Inches(width)
    for r, cells in enumerate([header, *rows]):
        for c, value in enumerate(cells):
            cell = table.cell(r, c)
            cell.text = value
            for paragraph in cell.text_frame.paragraphs:
                paragraph.font.size = Pt(size)


def _goals_slide(deck: Deck, facts: ReviewFacts) -> None:
    slide = _slide(deck, FIRST_TITLE)
    _text(slide, f"{facts.account_name} · review of {facts.as_of}", 1.2, 14)
    rows = [(goal.goal, goal_result(goal)) for goal in facts.goals]
    if not rows:
        rows = [("No goals in the success plan yet", "Agree them in this review")]
    size = 14 if len(rows) <= 5 else 11
    _table(
        slide,
        ("Your goal", f"Your result {facts.since_label}"),
        rows,
        1.8,
        (4.3, 7.8),
        size,
    )


def _picture_slide(deck: Deck, title: str, png: bytes, caption: str) -> None:
    slide = _slide(deck, title)
    slide.shapes.add_picture(
        io.BytesIO(png), Inches(0.8), Inches(1.3), height=Inches(5.0)
    )
    _text(slide, caption, 6.5, 14)


def _health_caption(facts: ReviewFacts) -> str:
    scored = [(d, s) for d, s in facts.health if s is not None]
    if not scored:
        return "No health score in this period yet."
    start = next(((d, s) for d, s in scored if d >= facts.since), scored[0])
    end = scored[-1]
    band = (facts.band or "").replace("_", " ")
    return f"Health {start[1]:.0f} on {start[0]} → {end[1]:.0f} on {end[0]} ({band})."


def _adoption_caption(facts: ReviewFacts) -> str:
    period = [users for week, users, _ in facts.usage if week >= facts.since]
    if not period:
        return "No product use recorded in this period."
    peak = max(period)
    return (
        f"Weekly active users {facts.since_label}: {period[-1]} in the last week, "
        f"{peak} at the peak."
    )


def _milestones_slide(deck: Deck, facts: ReviewFacts) -> None:
    slide = _slide(deck, "Milestones reached and missed")
    rows = [
        (line.title, "Reached", str(line.reached_on), line.source)
        for line in facts.reached
    ] + [
        (
            line.title,
            "Missed",
            f"due {line.due_on}"
            + (f", reached {line.reached_on}" if line.reached_on else ", still open"),
            line.source,
        )
        for line in facts.missed
    ]
    if not rows:
        _text(slide, f"No milestone fell due or was reached {facts.since_label}.", 1.5)
        return
    _table(
        slide, ("Milestone", "", "When", "From"), rows[:12], 1.5, (5.0, 1.5, 3.6, 2.0)
    )


def _support_slide(deck: Deck, facts: ReviewFacts) -> None:
    slide = _slide(deck, "Support and NPS")
    answers = facts.nps_answers
    if answers:
        promoters = sum(1 for a in answers if a >= 9) / len(answers)
        detractors = sum(1 for a in answers if a <= 6) / len(answers)
        nps = f"NPS {100 * (promoters - detractors):+.0f} from {len(answers)} answers"
    else:
        nps = "No NPS answers in this period"
    rows = [
        ("Support tickets opened", str(facts.tickets_opened)),
        ("Escalated", str(facts.tickets_escalated)),
        ("Open on the review day", str(facts.tickets_open_now)),
        ("Net Promoter Score", nps),
    ]
    _table(slide, ("", facts.since_label.capitalize()), rows, 1.5, (5.0, 7.1))
    if facts.nps_comments:
        quotes = "\n".join(f"“{comment}”" for comment in facts.nps_comments)
        _text(slide, quotes, 4.2, 14, 2.5)


def _next_steps_slide(deck: Deck, facts: ReviewFacts) -> None:
    slide = _slide(deck, "Agreed next steps")
    rows = [
        (step.task, step.owner, step.party.capitalize(), str(step.due_on or "—"))
        for step in facts.next_steps
    ]
    if not rows:
        _text(slide, "No open responsibilities in the success plan.", 1.5)
        return
    _table(
        slide, ("Step", "Owner", "Party", "Due"), rows[:12], 1.5, (6.1, 3.0, 1.5, 1.5)
    )


def _value_slide(deck: Deck, facts: ReviewFacts) -> None:
    slide = _slide(deck, "Return on investment")
    lines = value_lines(facts)
    if not lines:
        _text(
            slide,
            "No KPI has an agreed value per unit, so no return can be stated yet.",
            1.5,
        )
        return
    rows = [
        (
            line.kpi,
            f"{line.improvement:,.1f}",
            f"{line.value_per_unit:,.2f}",
            f"{line.value:,.0f}",
        )
        for line in lines
    ]
    _table(
        slide,
        ("KPI", "Improvement", "Value per unit", "Value"),
        rows,
        1.5,
        (5.0, 2.4, 2.4, 2.3),
    )
    total = sum(line.value for line in lines)
    summary = f"Value delivered: {total:,.0f}"
    if facts.arr:
        summary += f" against an annual subscription of {facts.arr:,.0f}"
        summary += f", {100 * total / facts.arr:,.1f}% of it."
    _text(slide, summary, 1.7 + 0.45 * (len(rows) + 1), 16)


def _benchmark_slide(deck: Deck, facts: ReviewFacts, benchmark: Benchmark) -> None:
    slide = _slide(deck, "How you compare with your peers")
    _text(
        slide,
        f"Peers: {benchmark.peer_group} ({benchmark.peers} accounts, measured "
        f"{benchmark.as_of}). Better than: the share of peers you outperform.",
        1.2,
        14,
    )
    rows = [
        (
            line.label,
            _plain(line.value),
            _plain(line.peer_median),
            f"{line.better_than:.0f}%",
        )
        for line in benchmark.standings
    ]
    if not rows:
        _text(slide, "No peer figures to compare yet.", 1.9)
        return
    _table(
        slide,
        ("Metric", "You", "Peer median", "Better than"),
        rows[:10],
        1.8,
        (5.0, 2.4, 2.4, 2.3),
        11,
    )


def _plain(value: float) -> str:
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
