"""What every reader does to its cues: markup off, empties out, times in order."""

from __future__ import annotations

import html
import re
from dataclasses import replace

from steward.knowledge.transcript import Cue

# Tags of WebVTT (<c.red>, <v Name>, <00:01.000>) and SRT (<font>, <i>), and
# SSA override blocks ({\an8}) that some SRT editors leave in.
_MARKUP = re.compile(r"<[^<>]*>|\{\\[^{}]*\}")
_WORD = re.compile(r"\w")
# "Jane Doe: text", "SPEAKER 2: text", ">> Ana: text": a name of one to four
# words before a colon. Only trusted when most cues carry one (see below).
NAME_PREFIX = re.compile(
    r"^(?:>>\s*)?(?P<name>[^\W\d_][\w'’.\-]*(?: [\w'’.\-]+){0,3})"
    r"\s*:\s+(?P<text>\S.*)$",
    re.DOTALL,
)


def plain_text(markup: str) -> str:
    """Cue text without tags or entities, lines joined by spaces."""
    text = html.unescape(_MARKUP.sub("", markup))
    return " ".join(text.split())


def finish_cues(cues: list[Cue]) -> tuple[list[Cue], list[str]]:
    """Plain text, no empty or repeated cues, ends after starts, in time order.

    Returns the cues and one note per kind of repair, naming the lines.
    """
    empty: list[int] = []
    backwards: list[int] = []
    kept: list[Cue] = []
    previous_lines: list[str] = []
    for cue in cues:
        lines = [plain_text(line) for line in cue.text.split("\n")]
        lines = [line for line in lines if line]
        fresh = _drop_rolled(lines, previous_lines, _duration(cue))
        if lines:
            previous_lines = lines
        text = " ".join(fresh)
        if not _WORD.search(text):
            if not lines or not _WORD.search(" ".join(lines)):
                empty.append(cue.line or 0)
            continue
        if cue.start is not None and cue.end is not None and cue.end < cue.start:
            backwards.append(cue.line or 0)
            cue = replace(cue, end=cue.start)
        kept.append(replace(cue, text=text))
    kept = with_speaker_prefixes(kept)
    # Captions may come out of order; a transcript with untimed turns keeps
    # the order of the file, which is then the only order there is.
    if all(cue.start is not None for cue in kept):
        kept.sort(key=lambda c: c.start or 0.0)
    return kept, _notes(empty, backwards, _overlaps(kept))


def _drop_rolled(lines: list[str], previous: list[str], duration: float) -> list[str]:
    """Lines a rolling caption (YouTube's) repeats from the cue before it.

    A cue that adds new lines below repeated ones loses the repeats; a cue that
    only repeats is dropped when it is a blink (under half a second), as
    YouTube's are, and kept otherwise ("Okay." said twice).
    """
    if not previous:
        return lines
    for size in range(min(len(lines), len(previous)), 0, -1):
        if lines[:size] == previous[-size:]:
            if size < len(lines) or duration < 0.5:
                return lines[size:]
            return lines
    return lines


def _duration(cue: Cue) -> float:
    if cue.start is None or cue.end is None:
        return float("inf")
    return cue.end - cue.start


def with_speaker_prefixes(cues: list[Cue]) -> list[Cue]:
    """Read "Name: text" as a speaker when most cues without one start so.

    A cue without a prefix continues the speaker before it. One "Note: ..."
    in a file of unattributed captions is text, not a speaker.
    """
    open_cues = [cue for cue in cues if cue.speaker is None]
    matches = [NAME_PREFIX.match(cue.text) for cue in open_cues]
    if not open_cues or sum(m is not None for m in matches) * 2 < len(open_cues):
        return cues
    result: list[Cue] = []
    speaker: str | None = None
    for cue in cues:
        match = NAME_PREFIX.match(cue.text) if cue.speaker is None else None
        if match:
            speaker = match["name"].strip()
            cue = replace(cue, speaker=speaker, text=match["text"].strip())
        elif cue.speaker is None and speaker:
            cue = replace(cue, speaker=speaker)
        else:
            speaker = cue.speaker
        result.append(cue)
    return result


def _overlaps(cues: list[Cue]) -> list[int]:
    lines = []
    latest_end = None
    for cue in cues:
        if cue.start is None or cue.end is None:
            continue
        if latest_end is not None and cue.start < latest_end:
            lines.append(cue.line or 0)
        latest_end = cue.end if latest_end is None else max(latest_end, cue.end)
    return lines


def _notes(empty: list[int], backwards: list[int], overlaps: list[int]) -> list[str]:
    notes = []
    if empty:
        notes.append(f"{_count(empty, 'empty cue')} skipped ({_where(empty)})")
    if backwards:
        notes.append(
            f"{_count(backwards, 'cue')} ended before {_it(backwards)} started "
            f"({_where(backwards)}); the end was set to the start"
        )
    if overlaps:
        notes.append(
            f"{_count(overlaps, 'cue')} overlapped the cue before "
            f"({_where(overlaps)}); kept, as people talking at once"
        )
    return notes


def _count(lines: list[int], noun: str) -> str:
    return f"1 {noun}" if len(lines) == 1 else f"{len(lines)} {noun}s"


def _it(lines: list[int]) -> str:
    return "it" if len(lines) == 1 else "they"


def _where(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:5])
    more = f" and {len(lines) - 5} more" if len(lines) > 5 else ""
    return f"line{'s' if len(lines) > 1 else ''} {shown}{more}"
