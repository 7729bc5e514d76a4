"""Which reader a transcript file goes to, by its suffix and its first line."""

from __future__ import annotations

import re
from pathlib import Path

from steward.errors import TranscriptInvalid
from steward.knowledge.captions import read_captions
from steward.knowledge.decode import decode
from steward.knowledge.media import MEDIA_SUFFIXES, transcribe
from steward.knowledge.settings import KnowledgeSettings
from steward.knowledge.transcript import Transcript
from steward.knowledge.turns import read_plain_text, read_turn_json

FORMATS = {
    ".vtt": "webvtt",
    ".webvtt": "webvtt",
    ".srt": "srt",
    ".sbv": "sbv",
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".json": "json",
}
_SRT_TIMING = re.compile(r"^\s*(?:\d+:)?\d{1,2}:\d{1,2}[.,]\d{1,3}\s*-->", re.MULTILINE)


def read_transcript(
    path: Path, settings: KnowledgeSettings | None = None
) -> Transcript:
    """The transcript in ``path``; a recording goes through the speech model."""
    if path.suffix.lower() in MEDIA_SUFFIXES:
        return transcribe(path, settings or KnowledgeSettings())
    if not path.is_file():
        raise TranscriptInvalid(f"{path}: no such file")
    return parse_transcript(path.read_bytes(), path.name)


def parse_transcript(raw: bytes, name: str) -> Transcript:
    """The transcript in ``raw``, read by the format its name's suffix says."""
    suffix = Path(name).suffix.lower()
    fmt = FORMATS.get(suffix)
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise TranscriptInvalid(
            f"{name}: Steward reads transcripts ending in {known}, and recordings "
            "with a speech model; rename the file if it is one of these"
        )
    text, encoding = decode(raw, name)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise TranscriptInvalid(
            f"{name}, line {line}: a NUL character (\\0), which text does not hold; "
            "is it a binary file, or text in an encoding with a byte-order mark "
            "missing?"
        )
    if fmt == "text":
        fmt = _sniff(text)
    if fmt == "json":
        transcript = read_turn_json(text, name)
    elif fmt == "text":
        transcript = read_plain_text(text, name)
    else:
        transcript = read_captions(text, name, fmt)
    if encoding != "utf-8":
        transcript.metadata["encoding"] = encoding
    return transcript


def _sniff(text: str) -> str:
    """A .txt file that is really WebVTT or SRT is read as such."""
    head = text.lstrip()[:2000]
    if head.startswith("WEBVTT"):
        return "webvtt"
    if _SRT_TIMING.search(head):
        return "srt"
    return "text"
