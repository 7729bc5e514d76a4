"""Turning people's text into safe HTML: escaped, with only web and mail links."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# Only these schemes become links; anything else (javascript:, data:, vbscript:)
# stays plain, escaped text.
_LINK = re.compile(r"""\b(?:https?://|mailto:)[^\s<>"'`]+""", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"


def linkify(text: str | None) -> Markup:
    """Escape ``text`` and turn its http, https and mailto addresses into links."""
    if not text:
        return Markup("")
    parts: list[str] = []
    position = 0
    for match in _LINK.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        end = match.start() + len(url)
        parts.append(escape(text[position : match.start()]))
        parts.append(
            Markup('<a href="{0}" rel="noopener noreferrer nofollow">{0}</a>').format(
                url
            )
        )
        position = end
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def money(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def label(value: str | None) -> str:
    """``at_risk`` → ``At risk``."""
    return "" if not value else value.replace("_", " ").capitalize()
