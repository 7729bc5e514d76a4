"""Section titles and topic tags from key phrases (YAKE, one section at a time)."""

from __future__ import annotations

import re
from functools import lru_cache

import yake

# Talk is full of words that YAKE's written-English stop list lets through
# and that say nothing about a topic.
_SPOKEN_WORDS = """yeah yep yes okay ok alright gonna wanna gotta thing things
    stuff good great right like just actually really know think mean bit lot
    kind sort oh
    well sure maybe guess probably basically pretty fine important people
    going today thank thanks hello hi bye uh um hmm mm let lets one two three
    four five six seven eight nine ten eleven twelve twenty thirty forty fifty
    hundred thousand million billion percent"""
_SPOKEN = frozenset(_SPOKEN_WORDS.split())
_NUMBERISH = re.compile(r"^[\d\s.,%]+$")


@lru_cache(maxsize=1)
def _extractor() -> yake.KeywordExtractor:
    stopwords = set(yake.KeywordExtractor(lan="en").stopword_set) | _SPOKEN
    return yake.KeywordExtractor(
        lan="en", n=3, top=20, dedupLim=0.6, stopwords=stopwords
    )


def distinctive(phrases: list[list[str]], texts: list[str]) -> list[list[str]]:
    """Each section's phrases less those said in most sections of the document.

    The company's name is a key phrase of every section of an earnings call and
    a title of none.
    """
    if len(texts) < 3:
        return phrases
    lowered = [text.lower() for text in texts]
    common = {
        phrase
        for section in phrases
        for phrase in section
        if sum(phrase in text for text in lowered) * 2 > len(texts)
    }
    return [[p for p in section if p not in common] for section in phrases]


def key_phrases(text: str, limit: int = 5) -> list[str]:
    """The section's key phrases, best first, lower-cased and without repeats."""
    if len(text.split()) < 5:
        return []
    phrases: list[str] = []
    for phrase, _score in _extractor().extract_keywords(text):
        phrase = " ".join(phrase.lower().split())
        if _NUMBERISH.match(phrase) or phrase in phrases:
            continue
        phrases.append(phrase)
        if len(phrases) == limit:
            break
    return phrases


def title_from(phrases: list[str], fallback: str) -> str:
    """The first phrase, and a second that adds words, as a short heading."""
    if not phrases:
        return fallback
    chosen = [phrases[0]]
    for phrase in phrases[1:]:
        if not set(phrase.split()) & set(" ".join(chosen).split()):
            chosen.append(phrase)
            break
    title = ", ".join(chosen)
    return title[0].upper() + title[1:]
