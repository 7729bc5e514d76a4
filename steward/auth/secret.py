"""The key that signs session cookies: from settings, else kept in the data folder."""

from __future__ import annotations

import os
import secrets

from steward.config import Settings

FILE = "secret_key"


def session_secret(settings: Settings) -> str:
    """``STEWARD_SECRET_KEY``, else ``STEWARD_HOME/secret_key`` (made on first use).

    Kept in a file so that sessions survive a restart; readable by its owner only.
    """
    if settings.secret_key:
        return settings.secret_key
    path = settings.home / FILE
    if path.exists():
        return path.read_text().strip()
    settings.home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    return key
