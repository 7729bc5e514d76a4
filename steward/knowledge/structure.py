"""A transcript becomes a document: sections, paragraphs, turns and steps.

Cues are first joined into utterances (one speaker, up to a sentence end, or
one turn of a turn list); TextTiling finds the topic changes between
utterances; each section gets a title and topic tags from its key phrases,
its procedures as numbered steps, and paragraphs of a readable length whose
turns keep their speaker, their start time and the words as said.

Everything here is plain values in and out; the result is stored as JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from steward.knowledge.cleanup import readable
from steward.knowledge.segment import DEFAULT, Tiling, topic_boundaries
from steward.knowledge.steps import find_steps
from steward.knowledge.titles import distinctive, key_phrases, title_from
from steward.knowledge.transcript import Cue, Transcript

_SENTENCE_END = re.compile(r"[.!?…]['\"”’)]*$")
# Paragraph sizes in words: a paragraph closes at the first utterance end past
# PARAGRAPH_WORDS, or at a change of speaker once it has SPEAKER_BREAK_WORDS.
PARAGRAPH_WORDS = 90
SPEAKER_BREAK_WORDS = 40
PAUSE_SECONDS = 8.0
UTTERANCE_GAP_SECONDS = 2.0


@dataclass(frozen=True)
class Utterance:
    speaker: str | None
    start: float | None
    end: float | None
    source: str
    text: str
    first_line: int | None
    last_line: int | None


def utterances(transcript: Transcript) -> list[Utterance]:
    """Cues joined into utterances; a turn list keeps one utterance per turn."""
    joined: list[list[Cue]] = []
    for cue in transcript.cues:
        last = joined[-1] if joined else None
        if last and transcript.format != "json" and _continues(last, cue):
            last.append(cue)
        else:
            joined.append([cue])
    return [_utterance(group) for group in joined]


def _continues(group: list[Cue], cue: Cue) -> bool:
    previous = group[-1]
    if previous.speaker != cue.speaker or _SENTENCE_END.search(previous.text):
        return False
    if previous.end is not None and cue.start is not None:
        return cue.start - previous.end <= UTTERANCE_GAP_SECONDS
    return True


def _utterance(group: list[Cue]) -> Utterance:
    source = " ".join(cue.text for cue in group)
    return Utterance(
        speaker=group[0].speaker,
        start=group[0].start,
        end=group[-1].end,
        source=source,
        text=readable(source),
        first_line=group[0].line,
        last_line=group[-1].line,
    )


def structure(transcript: Transcript, tiling: Tiling = DEFAULT) -> dict[str, Any]:
    """The document body: ``{"sections": [...]}`` (see ``docs/knowledge.md``)."""
    units = utterances(transcript)
    starts = topic_boundaries([u.text for u in units], tiling)
    edges = [0, *starts, len(units)]
    parts = [units[a:b] for a, b in zip(edges, edges[1:], strict=False)]
    texts = [" ".join(u.text for u in part if u.text) for part in parts]
    phrases = distinctive([key_phrases(text, limit=12) for text in texts], texts)
    sections = [
        _section(part, number, found[:5])
        for number, (part, found) in enumerate(zip(parts, phrases, strict=True), 1)
    ]
    return {"sections": sections}


def _section(units: list[Utterance], number: int, phrases: list[str]) -> dict[str, Any]:
    procedures = find_steps([u.text for u in units])
    steps_by_unit: dict[int, list[int]] = {}
    steps = []
    for procedure in procedures:
        for step in procedure:
            steps_by_unit.setdefault(step.unit, []).append(step.number)
            steps.append(
                {
                    "number": step.number,
                    "text": step.text,
                    "start": units[step.unit].start,
                }
            )
    return {
        "title": title_from(phrases[:3], f"Part {number}"),
        "topics": phrases,
        "steps": steps,
        "paragraphs": _paragraphs(units, steps_by_unit),
    }


def _paragraphs(
    units: list[Utterance], steps_by_unit: dict[int, list[int]]
) -> list[dict[str, Any]]:
    paragraphs: list[dict[str, Any]] = []
    current: list[int] = []
    words = 0
    for index, unit in enumerate(units):
        if current and _breaks(units[current[-1]], unit, words):
            paragraphs.append(_paragraph(units, current, steps_by_unit))
            current, words = [], 0
        current.append(index)
        words += len(unit.text.split())
    if current:
        paragraphs.append(_paragraph(units, current, steps_by_unit))
    return paragraphs


def _breaks(previous: Utterance, unit: Utterance, words: int) -> bool:
    if words >= PARAGRAPH_WORDS:
        return True
    if unit.speaker != previous.speaker and words >= SPEAKER_BREAK_WORDS:
        return True
    if previous.end is not None and unit.start is not None:
        return unit.start - previous.end >= PAUSE_SECONDS and words > 0
    return False


def _paragraph(
    units: list[Utterance], indexes: list[int], steps_by_unit: dict[int, list[int]]
) -> dict[str, Any]:
    turns: list[dict[str, Any]] = []
    for index in indexes:
        unit = units[index]
        last = turns[-1] if turns else None
        if last and last["speaker"] == unit.speaker:
            last["text"] = " ".join(filter(None, [last["text"], unit.text]))
            last["source"] += " " + unit.source
            last["lines"][1] = unit.last_line
            last["end"] = unit.end
        else:
            turns.append(
                {
                    "speaker": unit.speaker,
                    "start": unit.start,
                    "end": unit.end,
                    "text": unit.text,
                    "source": unit.source,
                    "lines": [unit.first_line, unit.last_line],
                }
            )
    steps = sorted({n for i in indexes for n in steps_by_unit.get(i, [])})
    return {
        "start": units[indexes[0]].start,
        "end": units[indexes[-1]].end,
        "turns": turns,
        "steps": steps,
    }
