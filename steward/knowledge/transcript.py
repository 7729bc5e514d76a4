"""What every transcript reader returns: timed, attributed cues."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cue:
    """One caption or speaker turn.

    ``start`` and ``end`` are seconds from the start of the recording, or None
    for a transcript without times (plain text, turn lists); ``line`` is where
    the cue begins in the file, for messages.
    """

    text: str
    start: float | None = None
    end: float | None = None
    speaker: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Transcript:
    """A read transcript: its cues in time order and what was repaired.

    ``notes`` are sentences for the person importing (an empty cue skipped, an
    end time before its start); ``metadata`` holds header fields such as a
    WebVTT ``Language`` or a JSON file's ``segment``.
    """

    name: str
    format: str
    cues: tuple[Cue, ...]
    notes: tuple[str, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def speakers(self) -> list[str]:
        """Speakers in order of first appearance."""
        seen: dict[str, None] = {}
        for cue in self.cues:
            if cue.speaker:
                seen.setdefault(cue.speaker, None)
        return list(seen)

    @property
    def duration(self) -> float | None:
        ends = [cue.end for cue in self.cues if cue.end is not None]
        return max(ends) if ends else None
