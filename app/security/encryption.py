"""Field encryption at rest with Fernet; several keys for rotation, the first encrypts."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator


class KeyRing:
    def __init__(self) -> None:
        self._fernet: MultiFernet | None = None

    def configure(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def snapshot(self) -> MultiFernet | None:
        return self._fernet

    def restore(self, fernet: MultiFernet | None) -> None:
        self._fernet = fernet

    @property
    def fernet(self) -> MultiFernet:
        if self._fernet is None:
            raise RuntimeError("encryption keys are not configured")
        return self._fernet

    def encrypt(self, data: bytes) -> bytes:
        return self.fernet.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        try:
            return self.fernet.decrypt(token)
        except InvalidToken as exc:
            raise RuntimeError("stored data cannot be decrypted with the configured keys") from exc

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt a token under the first key (for a key rotation job)."""
        return self.fernet.rotate(token)


keyring = KeyRing()


class EncryptedBytes(TypeDecorator[bytes]):
    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Any) -> bytes | None:
        return None if value is None else keyring.encrypt(value)

    def process_result_value(self, value: bytes | None, dialect: Any) -> bytes | None:
        return None if value is None else keyring.decrypt(value)


class EncryptedText(TypeDecorator[str]):
    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> bytes | None:
        return None if value is None else keyring.encrypt(value.encode())

    def process_result_value(self, value: bytes | None, dialect: Any) -> str | None:
        return None if value is None else keyring.decrypt(value).decode()
