"""Segment-style write keys: shown once, stored as SHA-256, sent as basic-auth user.

A write key lets a product send tracking calls and nothing else: it reads no
data and acts as no user.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.audit import record
from steward.auth.links import digest
from steward.errors import InputInvalid, SignInRequired, WriteKeyNotFound
from steward.store.db import Store
from steward.store.tracking import WriteKey

PREFIX = "swk_"


def add_write_key(session: Session, name: str, actor: str) -> tuple[WriteKey, str]:
    """A new write key; returns it and its secret (shown once)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InputInvalid(
            "name the write key (1 to 100 characters), e.g. 'web app'", field="name"
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    key = WriteKey(
        name=name, prefix=secret[:10], key_hash=digest(secret), created_by=actor
    )
    session.add(key)
    session.flush()
    record(session, actor, "writekey.added", "write_key", key.id, name=name)
    return key, secret


def list_write_keys(session: Session) -> list[WriteKey]:
    return list(session.scalars(select(WriteKey).order_by(WriteKey.id)))


def revoke_write_key(session: Session, key_id: int, actor: str) -> WriteKey:
    key = session.get(WriteKey, key_id)
    if key is None:
        raise WriteKeyNotFound(
            f"no write key with id {key_id}; `steward writekey list` shows them"
        )
    if key.revoked_at is None:
        key.revoked_at = dt.datetime.now(dt.UTC)
        record(session, actor, "writekey.revoked", "write_key", key.id)
    return key


class WriteKeyCheck:
    """Checks keys against the store, remembering answers for a few seconds.

    A tracking server checks a key on every request; remembering it saves a
    query each time, and a revoked key stops working within ``ttl`` seconds.
    """

    def __init__(self, store: Store, ttl: float = 5.0) -> None:
        self.store = store
        self.ttl = ttl
        self._seen: dict[str, tuple[bool, float]] = {}
        self._lock = threading.Lock()

    def verify(self, secret: str | None) -> None:
        if not secret:
            raise SignInRequired(
                "send a write key as the HTTP basic-auth user name (password "
                "empty); create one with `steward writekey add NAME`"
            )
        hashed = digest(secret)
        now = time.monotonic()
        with self._lock:
            cached = self._seen.get(hashed)
        if cached is None or now - cached[1] > self.ttl:
            with self.store.session() as session:
                key = session.scalar(
                    select(WriteKey).where(WriteKey.key_hash == hashed)
                )
                live = key is not None and key.revoked_at is None
            cached = (live, now)
            with self._lock:
                self._seen[hashed] = cached
        if not cached[0]:
            raise SignInRequired("the write key is unknown or revoked")
