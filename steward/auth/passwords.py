"""Password hashes with argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from steward.errors import InputInvalid

MIN_LENGTH = 10


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise InputInvalid(
            f"the password has {len(password)} characters; use at least {MIN_LENGTH}",
            field="password",
        )
    if len(set(password)) < 3:
        # Ten spaces, or "aaaaaaaaaa": long enough, guessed first.
        raise InputInvalid(
            "the password repeats one or two characters; use a passphrase of a "
            "few words",
            field="password",
        )
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches; a user without a password never matches."""
    if not stored:
        # Hash anyway so a missing account takes as long as a wrong password.
        _hasher().hash(password)
        return False
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
