"""Plain-text transcripts ("Name: text") and speaker-turn JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from steward.errors import TranscriptInvalid
from steward.knowledge.tidy import NAME_PREFIX, finish_cues
from steward.knowledge.transcript import Cue, Transcript

# "[00:01:23] ", "00:01:23 " or "1:23 " before a line's text.
_LEADING_TIME = re.compile(
    r"^\[?(?:(?P<h>\d+):)?(?P<m>\d{1,2}):(?P<s>\d{2})(?:[.,](?P<f>\d{1,3}))?\]?\s+"
)
# Otter and Zoom exports: "Jane Doe  0:03" alone on a line, the text below.
_NAME_THEN_TIME = re.compile(
    r"^(?P<name>[^\W\d_][\w'’.\-]*(?: [\w'’.\-]+){0,3})\s+"
    r"(?:(?P<h>\d+):)?(?P<m>\d{1,2}):(?P<s>\d{2})\s*$"
)
_TURN_LISTS = ("meeting_transcripts", "turns", "segments", "utterances", "transcript")
_TEXT_KEYS = ("content", "text", "transcript", "utterance")
_SPEAKER_KEYS = ("speaker", "speaker_name", "name", "role")
_START_KEYS = ("start", "start_time", "startTime", "begin")
_END_KEYS = ("end", "end_time", "endTime")
_METADATA_KEYS = ("title", "segment", "account", "recorded_on", "language", "media_url")


def read_plain_text(text: str, name: str) -> Transcript:
    """Turns of a text transcript: blank lines or a ``Name:`` start a new turn.

    A leading time (``[00:01:23]``) gives the turn its start; lines without
    a name continue the turn above them.
    """
    cues: list[Cue] = []
    current: list[str] = []
    start: float | None = None
    speaker: str | None = None
    first_line = 0

    def close() -> None:
        if current:
            cues.append(Cue(" ".join(current), start, None, speaker, first_line))
            current.clear()

    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            close()
            continue
        header = _NAME_THEN_TIME.match(stripped)
        if header:
            close()
            speaker, start, first_line = header["name"], _seconds(header), number + 1
            continue
        timed = _LEADING_TIME.match(stripped)
        if timed:
            close()
            start, stripped = _seconds(timed), stripped[timed.end() :]
        elif NAME_PREFIX.match(stripped):
            close()
            start = None
        if not current:
            first_line = number
        current.append(stripped)
    close()
    if not cues:
        raise TranscriptInvalid(
            f"{name}: the file is empty; there is nothing to import"
        )
    finished, notes = finish_cues(cues)
    if not finished:
        raise TranscriptInvalid(f"{name}: the file has no words to import")
    return Transcript(name, "text", tuple(finished), tuple(notes))


def read_turn_json(text: str, name: str) -> Transcript:
    """A list of turns, or an object holding one under ``meeting_transcripts``,
    ``turns``, ``segments`` or ``utterances``; each turn has ``content`` or
    ``text``, and may have ``speaker``, ``start`` and ``end`` (seconds).

    A cue's ``line`` is the turn's number in the list (from 1).
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TranscriptInvalid(
            f"{name}, line {error.lineno}: not valid JSON ({error.msg} at column "
            f"{error.colno})"
        ) from None
    turns, path, metadata = _turn_list(data, name)
    cues = [_cue(turn, f"{path}[{i}]", i + 1, name) for i, turn in enumerate(turns)]
    finished, notes = finish_cues(cues)
    if not finished:
        raise TranscriptInvalid(f"{name}: the turns hold no words to import")
    return Transcript(name, "json", tuple(finished), tuple(notes), metadata)


def _turn_list(data: Any, name: str) -> tuple[list[Any], str, dict[str, str]]:
    if isinstance(data, list):
        return data, "$", {}
    if isinstance(data, dict):
        metadata = {
            key: str(data[key])
            for key in _METADATA_KEYS
            if isinstance(data.get(key), str | int | float)
        }
        for key in _TURN_LISTS:
            if isinstance(data.get(key), list):
                return data[key], f"$.{key}", metadata
    raise TranscriptInvalid(
        f"{name}: expected a list of speaker turns, or an object with one under "
        f"{', '.join(repr(k) for k in _TURN_LISTS)}"
    )


def _cue(turn: Any, path: str, number: int, name: str) -> Cue:
    where = f"{name}, turn {number} ({path})"
    if not isinstance(turn, dict):
        raise TranscriptInvalid(f"{where}: a turn must be an object, not {turn!r}")
    text = next((turn[k] for k in _TEXT_KEYS if k in turn), None)
    if not isinstance(text, str):
        raise TranscriptInvalid(
            f"{where}: no text; give the words as 'content' or 'text'"
        )
    speaker = next((turn[k] for k in _SPEAKER_KEYS if turn.get(k)), None)
    start = _time(next((turn[k] for k in _START_KEYS if k in turn), None), where)
    end = _time(next((turn[k] for k in _END_KEYS if k in turn), None), where)
    return Cue(text, start, end, str(speaker) if speaker else None, number)


def _time(value: Any, where: str) -> float | None:
    if value is None or isinstance(value, int | float) and not isinstance(value, bool):
        return None if value is None else float(value)
    if isinstance(value, str):
        match = _LEADING_TIME.match(value.strip() + " ")
        if match:
            return _seconds(match)
    raise TranscriptInvalid(
        f"{where}: the time {value!r} is neither seconds (12.5) nor a time like "
        "00:01:02.500"
    )


def _seconds(match: re.Match[str]) -> float:
    fraction = match.groupdict().get("f") or ""
    return (
        int(match["h"] or 0) * 3600
        + int(match["m"]) * 60
        + int(match["s"])
        + (int(fraction.ljust(3, "0")) / 1000 if fraction else 0.0)
    )
