"""WebVTT, SRT and SBV captions, read by webvtt-py and srt after a line check.

Both libraries skip what they cannot read without saying so (webvtt-py drops
a cue whose time range is garbled; srt folds an untimed block into the cue
before it). A first pass over the lines therefore checks every block, names
the line of anything it cannot place, repairs what has one reading (a missing
blank line between cues, a comma before the milliseconds in WebVTT, a missing
header), and hands the libraries a clean file whose cues map one to one onto
the lines they came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import srt
import webvtt

from steward.errors import TranscriptInvalid
from steward.knowledge.tidy import finish_cues
from steward.knowledge.transcript import Cue, Transcript

_TS = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})[.,](\d{1,3})"
_TIMING = re.compile(
    rf"^\s*(?P<start>{_TS})\s*-->\s*(?P<end>{_TS})(?:[ \t]+(?P<settings>.*?))?\s*$"
)
_SBV_TS = r"(\d+):(\d{1,2}):(\d{1,2})\.(\d{1,3})"
_SBV_TIMING = re.compile(rf"^\s*(?P<start>{_SBV_TS}),(?P<end>{_SBV_TS})\s*$")
# A line meant as an SBV time range: digits and colons on both sides of a comma.
_SBV_LIKE = re.compile(r"^\s*\d+:[\w:.]*,\s*\d+:[\w:.]*\s*$")
_METADATA_KEY = re.compile(r"^[A-Za-z][\w-]*$")
_INTEGER = re.compile(r"^\s*-?\d+\s*$")
_VTT_BLOCKS = ("NOTE", "STYLE", "REGION")
_EXAMPLES = {
    "webvtt": "00:01:02.500 --> 00:01:04.000",
    "srt": "00:01:02,500 --> 00:01:04,000",
    "sbv": "0:01:02.500,0:01:04.000",
}


@dataclass
class _RawCue:
    line: int
    identifier: str | None
    start: str
    end: str
    settings: str
    lines: list[str] = field(default_factory=list)


def read_captions(text: str, name: str, fmt: str) -> Transcript:
    """Cues of a WebVTT (``webvtt``), SubRip (``srt``) or YouTube (``sbv``) file."""
    lines = text.split("\n")
    if not text.strip():
        raise TranscriptInvalid(
            f"{name}: the file is empty; there is nothing to import"
        )
    notes: list[str] = []
    metadata: dict[str, str] = {}
    blocks = _blocks(lines)
    if fmt == "webvtt":
        blocks = _vtt_header(blocks, name, metadata, notes)
    raw = _scan(blocks, name, fmt, notes)
    if not raw:
        raise TranscriptInvalid(
            f"{name}: no cues to import (the file holds no time range like "
            f"{_EXAMPLES[fmt]})"
        )
    _check_ranges(raw, name, fmt)
    timed = _parse(raw, fmt)
    cues, more = finish_cues(timed)
    if not cues:
        raise TranscriptInvalid(
            f"{name}: every cue is empty; there is no text to import"
        )
    return Transcript(name, fmt, tuple(cues), tuple(notes + more), metadata)


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Runs of non-blank lines with the 1-based number of their first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line.rstrip())
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def _vtt_header(
    blocks: list[tuple[int, list[str]]],
    name: str,
    metadata: dict[str, str],
    notes: list[str],
) -> list[tuple[int, list[str]]]:
    """Drop the header block (keeping its ``Key: value`` lines), NOTE, STYLE, REGION."""
    first_line, first = blocks[0]
    signature = first[0]
    if signature.startswith("WEBVTT"):
        if signature[6:7] not in ("", " ", "\t"):
            raise TranscriptInvalid(
                f"{name}, line {first_line}: the header must be 'WEBVTT' alone or "
                f"followed by a space, not {signature!r}"
            )
        for line in first[1:]:
            key, colon, value = line.partition(":")
            if colon and value.strip() and _METADATA_KEY.match(key.strip()):
                metadata[key.strip().lower()] = value.strip()
        blocks = blocks[1:]
    else:
        notes.append(
            f"line {first_line}: the file does not start with 'WEBVTT'; its cues "
            "were read all the same"
        )
    return [
        (number, block)
        for number, block in blocks
        if block[0].split(" ", 1)[0].split("\t", 1)[0] not in _VTT_BLOCKS
    ]


def _scan(
    blocks: list[tuple[int, list[str]]], name: str, fmt: str, notes: list[str]
) -> list[_RawCue]:
    timing = _SBV_TIMING if fmt == "sbv" else _TIMING
    cues: list[_RawCue] = []
    joined: list[int] = []
    for first_line, block in blocks:
        cue: _RawCue | None = None
        for offset, line in enumerate(block):
            number = first_line + offset
            match = timing.match(line)
            if match:
                identifier = block[0] if cue is None and offset == 1 else None
                if cue is not None:
                    joined.append(number)
                    identifier = _take_identifier(cue, fmt)
                cue = _RawCue(
                    number,
                    identifier,
                    match["start"],
                    match["end"],
                    match.groupdict().get("settings") or "",
                )
                cues.append(cue)
            elif _looks_like_timing(line, fmt):
                raise TranscriptInvalid(
                    f"{name}, line {number}: cannot read the time range "
                    f"{line.strip()!r}; write it like {_EXAMPLES[fmt]}"
                )
            elif cue is not None:
                cue.lines.append(line)
            elif offset == 0 and _followed_by_timing(block, fmt):
                _check_identifier(line, number, name, fmt)
            elif offset == 0 and fmt == "srt" and _INTEGER.match(line):
                _missing_srt_timing(block, number, name)
            else:
                raise TranscriptInvalid(
                    f"{name}, line {number}: {line.strip()!r} is not in a cue; a "
                    f"cue starts with a time range like {_EXAMPLES[fmt]}"
                )
    if joined:
        notes.append(
            f"{_count(len(joined), 'cue')} had no blank line before "
            f"{'it' if len(joined) == 1 else 'them'} ({_lines(joined)}) and "
            + ("was read as a new cue" if len(joined) == 1 else "were read as new cues")
        )
    return cues


def _missing_srt_timing(block: list[str], number: int, name: str) -> None:
    cue = block[0].strip()
    if len(block) == 1:
        raise TranscriptInvalid(
            f"{name}, line {number}: cue {cue} stops at its number; a time range "
            f"like {_EXAMPLES['srt']} must follow on the next line"
        )
    raise TranscriptInvalid(
        f"{name}, line {number + 1}: cue {cue} has no time range; after its number "
        f"comes a time range like {_EXAMPLES['srt']}, not {block[1].strip()!r}"
    )


def _followed_by_timing(block: list[str], fmt: str) -> bool:
    return len(block) > 1 and _looks_like_timing(block[1], fmt)


def _looks_like_timing(line: str, fmt: str) -> bool:
    return "-->" in line if fmt != "sbv" else bool(_SBV_LIKE.match(line))


def _check_identifier(line: str, number: int, name: str, fmt: str) -> None:
    if fmt == "srt" and not _INTEGER.match(line):
        raise TranscriptInvalid(
            f"{name}, line {number}: {line.strip()!r} is not a cue number; an SRT "
            "cue starts with its number, then a time range like "
            f"{_EXAMPLES['srt']}"
        )
    if fmt == "sbv":
        raise TranscriptInvalid(
            f"{name}, line {number}: {line.strip()!r} is not in a cue; an SBV cue "
            f"starts with a time range like {_EXAMPLES['sbv']}"
        )


def _take_identifier(previous: _RawCue, fmt: str) -> str | None:
    """An SRT cue number left at the end of the cue before (no blank line)."""
    if fmt == "srt" and previous.lines and _INTEGER.match(previous.lines[-1]):
        return previous.lines.pop().strip()
    return None


def _check_ranges(raw: list[_RawCue], name: str, fmt: str) -> None:
    pattern = re.compile(_SBV_TS if fmt == "sbv" else _TS)
    for cue in raw:
        for stamp in (cue.start, cue.end):
            parts = pattern.fullmatch(stamp.strip())
            assert parts is not None  # the timing pattern matched it already
            minutes, seconds = int(parts[2]), int(parts[3])
            if minutes > 59 or seconds > 59:
                raise TranscriptInvalid(
                    f"{name}, line {cue.line}: {stamp!r} has "
                    f"{'minutes' if minutes > 59 else 'seconds'} above 59; write "
                    f"times like {_EXAMPLES[fmt]}"
                )


def _parse(raw: list[_RawCue], fmt: str) -> list[Cue]:
    """The clean file through its library, cue i matching raw cue i."""
    if fmt == "srt":
        text = "\n\n".join(
            f"{i}\n{_srt_stamp(c.start)} --> {_srt_stamp(c.end)}\n" + "\n".join(c.lines)
            for i, c in enumerate(raw, start=1)
        )
        parsed = [
            (s.start.total_seconds(), s.end.total_seconds(), s.content, None)
            for s in srt.parse(text + "\n")
        ]
    else:
        # webvtt-py reads SBV cues with text only; WebVTT keeps empty ones, so
        # both go through its WebVTT reader.
        body = "\n\n".join(
            f"{_vtt_stamp(c.start)} --> {_vtt_stamp(c.end)} {c.settings}".rstrip()
            + "\n"
            + "\n".join(c.lines)
            for c in raw
        )
        parsed = [
            (
                c.start_time.in_milliseconds() / 1000,
                c.end_time.in_milliseconds() / 1000,
                c.raw_text,
                c.voice,
            )
            for c in webvtt.from_string("WEBVTT\n\n" + body + "\n").captions
        ]
    assert len(parsed) == len(raw), "the clean file must keep every cue"
    return [
        Cue(text, start, end, speaker, cue.line)
        for cue, (start, end, text, speaker) in zip(raw, parsed, strict=True)
    ]


def _vtt_stamp(value: str) -> str:
    return value.strip().replace(",", ".")


def _srt_stamp(value: str) -> str:
    value = value.strip().replace(".", ",")
    return value if value.count(":") == 2 else f"00:{value}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _lines(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:5])
    more = f" and {len(numbers) - 5} more" if len(numbers) > 5 else ""
    return f"line{'s' if len(numbers) > 1 else ''} {shown}{more}"
