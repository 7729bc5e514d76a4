"""Tables of coverage and capacity: CSM effort logged per account.

Kept apart from :mod:`steward.store.models` so the coverage migration branch
(``0005``) owns exactly these tables.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steward.store.models import Account, Base, User, utcnow

EFFORT_SOURCES = ("web", "api", "cli", "import")


class CsmEffort(Base):
    """Hours a CSM spent on one account on one day, as they logged it.

    ``external_id`` makes imports idempotent (a file's own id, or a hash of
    account, CSM, day and activity); entries from the web app, the API and
    the CLI get a random one.
    """

    __tablename__ = "csm_efforts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    worked_on: Mapped[dt.date] = mapped_column(Date)
    hours: Mapped[float] = mapped_column(Float)
    activity: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship()
    user: Mapped[User | None] = relationship()


# Effort versus plan reads a period of logs; the day index keeps it a range scan.
Index("ix_csm_efforts_worked_on", CsmEffort.worked_on)
