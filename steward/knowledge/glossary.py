"""The glossary check: terms written in a form the glossary does not use.

Each term is matched in any spelling that differs only by spaces, hyphens or
case ("log in", "log-in", "Login" for "login"; "sso" for "SSO"), and by the
variants the glossary lists ("single sign-on" for "SSO"). Case counts only for
terms written in capitals, so a term that opens a sentence is not flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class GlossaryTerm:
    term: str
    variants: tuple[str, ...] = ()


@dataclass(frozen=True)
class TermFlag:
    """``found`` was written ``count`` times in section ``section`` (from 0)."""

    term: str
    found: str
    section: int
    count: int

    def message(self) -> str:
        times = "once" if self.count == 1 else f"{self.count} times"
        return (
            f"section {self.section + 1}: {self.found!r} ({times}); the glossary "
            f"says {self.term!r}"
        )


def check_terms(sections: list[str], terms: list[GlossaryTerm]) -> list[TermFlag]:
    """Flags per term and section, in section order."""
    flags: list[TermFlag] = []
    for index, text in enumerate(sections):
        for term in terms:
            counts: dict[str, int] = {}
            for found in _spellings(term).findall(text):
                if _differs(found, term.term):
                    counts[found] = counts.get(found, 0) + 1
            for variant in term.variants:
                for found in _whole(variant).findall(text):
                    counts[found] = counts.get(found, 0) + 1
            flags.extend(
                TermFlag(term.term, found, index, count)
                for found, count in sorted(counts.items())
            )
    return flags


def _spellings(term: GlossaryTerm) -> re.Pattern[str]:
    letters = [c for c in term.term if c.isalnum()]
    body = r"[\s-]?".join(re.escape(c) for c in letters)
    return re.compile(rf"(?<![\w-]){body}(?![\w-])", re.IGNORECASE)


def _whole(variant: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(variant)}(?![\w-])", re.IGNORECASE)


def _differs(found: str, term: str) -> bool:
    if found == term:
        return False
    if term.isupper():
        return True
    return found.lower() != term.lower()
