"""Readable text: fillers, non-speech marks and stutters out; the source stays.

Rules, not a model: a filler is a word that carries nothing when read (um,
uh, erm, hmm, mm-hmm); a stutter is a word or a run of up to three words said
twice in a row ("the the", "I think I think", "we… we"). Words that can carry
meaning ("like", "you know", "so") are left alone: removing them wrongly
would change what a speaker said.
"""

from __future__ import annotations

import re

# Marks of non-speech in corpus transcripts ({vocalsound}, {disfmarker} in
# AMI) and in caption files ([laughter], (inaudible)).
_NON_SPEECH = re.compile(
    r"\{[a-z_]+\}"
    r"|[\[(](?:laughter|laughs|laughing|music|applause|inaudible|crosstalk|"
    r"noise|silence|pause|coughs?|background noise)[\])]",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"(?<![\w'’-])(?:u+m+|u+h+|e+r+m+|e+r+|a+h+|h+m+|m+h?m+|mm-hmm|uh-huh|um-hum)"
    r"(?![\w'’-])[,.…]*",
    re.IGNORECASE,
)
# A word, or a run of two or three, repeated at once (with an ellipsis, a dash
# or a comma between); the second copy is the one kept.
_STUTTER = re.compile(
    r"(?<![\w'’])((?:[\w'’]+\s+){0,2}[\w'’]+)(?:\s*(?:…|\.\.\.|-+|,)?\s+)\1(?![\w'’])",
    re.IGNORECASE,
)
# Doubles that are often meant: "I had had enough", "what it is is", "bye bye".
_MEANT_TWICE = frozenset({"that", "had", "is", "bye", "very", "really", "so", "yes"})
_CUT_WORD = re.compile(r"(?<![\w'’])(\w{1,3})-\s+(?=\1)", re.IGNORECASE)
_SPACE_BEFORE = re.compile(r"\s+([,.;:!?…])")
_REPEATED_PUNCT = re.compile(r"([,;:])(?:\s*[,;:])+")
_LEADING_PUNCT = re.compile(r"^[\s,;:.…-]+")


def readable(text: str) -> str:
    """``text`` as a reader wants it; empty when nothing but fillers was said."""
    text = _NON_SPEECH.sub(" ", text)
    text = _FILLER.sub(" ", text)
    text = _CUT_WORD.sub("", text)
    previous = None
    while previous != text:  # "I I I think" needs two passes
        previous = text
        text = _STUTTER.sub(_one_copy, text)
    text = " ".join(text.split())
    text = _SPACE_BEFORE.sub(r"\1", text)
    text = _REPEATED_PUNCT.sub(r"\1", text)
    text = _LEADING_PUNCT.sub("", text)
    if not re.search(r"\w", text):
        return ""
    return text[0].upper() + text[1:]


def _one_copy(match: re.Match[str]) -> str:
    said = match[1]
    if said.lower() in _MEANT_TWICE:
        return match[0]
    return said
