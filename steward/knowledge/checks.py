"""Rules for the words and links people give the knowledge base."""

from __future__ import annotations

from urllib.parse import urlsplit

from steward.errors import InputInvalid


def check_plain(value: str | None, field: str) -> None:
    """No NUL characters: PostgreSQL refuses them in text, SQLite would keep them."""
    if value is not None and "\x00" in value:
        raise InputInvalid(
            f"{field}: the text holds a NUL character (\\0); remove it", field=field
        )


def check_media_url(value: str | None) -> None:
    """Where the recording plays: a web address or a path on this server.

    Links are put in pages as they are, so a ``javascript:`` address would run
    in the reader's browser.
    """
    if value is None:
        return
    check_plain(value, "media_url")
    parts = urlsplit(value)
    web = parts.scheme in ("http", "https") and bool(parts.netloc)
    local = not parts.scheme and not parts.netloc and value.startswith("/")
    if not (web or local) or any(c.isspace() for c in value):
        raise InputInvalid(
            f"media_url: {value!r} is not a web address; give one starting with "
            "https:// or http://, or a path on this server starting with /",
            field="media_url",
        )
