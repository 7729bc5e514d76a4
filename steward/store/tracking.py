"""The tracking API's table: write keys, kept apart so its migration owns it.

The tracking calls themselves are events, in the event store
(``steward.events``), not here.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from steward.store.models import Base, utcnow


class WriteKey(Base):
    """A Segment-style write key. Only its SHA-256 is stored; it is shown once."""

    __tablename__ = "write_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # The first characters, kept in clear so a person can tell keys apart.
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[dt.datetime | None]
