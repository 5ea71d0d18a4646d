"""Password and secret hashing (passlib's CryptContext with argon2)."""

from __future__ import annotations

import secrets

from passlib.context import CryptContext

_context = CryptContext(schemes=["argon2"], deprecated="auto")
# Verifying against this keeps a login for an unknown account as slow as for a known one.
_DUMMY_HASH = _context.hash(secrets.token_urlsafe(16))


def hash_secret(secret: str) -> str:
    return _context.hash(secret)


def verify_secret(secret: str, hashed: str | None) -> bool:
    if hashed is None:
        _context.verify(secret, _DUMMY_HASH)
        return False
    try:
        return _context.verify(secret, hashed)
    except (ValueError, TypeError):
        return False


def new_secret() -> str:
    return secrets.token_urlsafe(24)
