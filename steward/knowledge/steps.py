"""Numbered steps where a speaker walks through a procedure.

A sentence is a step when it opens with a sequence word ("first", "then",
"next", "finally", "step 3") or an instruction ("click", "go to", "you need
to enter"). Three or more step sentences close together make a procedure when
at least one has a sequence word and at least two are instructions: lone
instructions in conversation are not one, and neither is a speaker's "first,
second, third" list of points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEQUENCE = (
    r"first(?:ly)?|second(?:ly)?|third(?:ly)?|next|then|after that|afterwards|"
    r"finally|lastly|last|once (?:that|this|it|you)[\w' ]*?,|now|step \w+"
)
_ACTION = (
    r"click|tap|select|choose|open|go to|navigate to|enter|type|press|copy|paste|"
    r"add|set|turn on|turn off|enable|disable|save|upload|download|log in|"
    r"sign in|scroll|check|create|name|fill in|switch|drag|connect|install|"
    r"invite|assign|map|import|export|confirm|verify|test|paste"
)
_STEP_START = re.compile(
    rf"^(?:(?:and|so|okay|ok|now)[, ]+)*(?P<sequence>(?:{_SEQUENCE})\b[,:]?\s*)?"
    rf"(?:(?:you(?:'ll| will)?|we(?:'ll| will)?)\s+(?:need to|want to|have to|can|"
    rf"should|just)\s+|just\s+|please\s+)?(?P<action>(?:{_ACTION})\b)?",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“])")
MIN_STEPS = 3
MAX_GAP = 2


@dataclass(frozen=True)
class Step:
    """Step ``number`` of a procedure: what to do, said in ``unit``."""

    number: int
    text: str
    unit: int


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def is_step(sentence: str) -> tuple[bool, bool]:
    """Whether the sentence opens with a sequence word, and with an instruction."""
    match = _STEP_START.match(sentence)
    if match is None:
        return False, False
    return bool(match["sequence"]), bool(match["action"])


def find_steps(units: list[str]) -> list[list[Step]]:
    """The procedures in a section's utterances (readable text), each numbered."""
    found: list[tuple[int, str, bool, bool]] = []
    position: list[int] = []
    index = 0
    for unit, text in enumerate(units):
        for sentence in sentences(text):
            sequence, action = is_step(sentence)
            if sequence or action:
                found.append((unit, sentence, sequence, action))
                position.append(index)
            index += 1
    procedures: list[list[Step]] = []
    run: list[int] = []
    for i in range(len(found)):
        if run and position[i] - position[run[-1]] > MAX_GAP + 1:
            procedures.extend(_procedure(run, found))
            run = []
        run.append(i)
    procedures.extend(_procedure(run, found))
    return procedures


def _procedure(
    run: list[int], found: list[tuple[int, str, bool, bool]]
) -> list[list[Step]]:
    sequenced = any(found[i][2] for i in run)
    if len(run) < MIN_STEPS or not sequenced or sum(found[i][3] for i in run) < 2:
        return []
    return [
        [
            Step(number, found[i][1], found[i][0])
            for number, i in enumerate(run, start=1)
        ]
    ]
