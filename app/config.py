"""Settings, read from the environment with the prefix CCR_."""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from cryptography.fernet import Fernet
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

log = logging.getLogger(__name__)


# RFC 7518 §3.2: an HMAC key at least as long as the hash output; never shorter than 256 bits.
MIN_SECRET_BYTES = 32


class Env(StrEnum):
    dev = "dev"
    test = "test"
    prod = "prod"


class ConfigError(RuntimeError):
    """The settings cannot run the service; the message names what is missing."""


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CCR_", extra="ignore")

    env: Env = Env.dev
    data_dir: Path = Path("var")
    database_url: str = ""
    # The owner role that runs migrations (PostgreSQL); empty: the same as CCR_DATABASE_URL.
    migration_database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000

    jwt_secret: str = ""
    jwt_algorithm: Literal["HS256", "HS384", "HS512", "RS256", "RS384", "RS512"] = "HS256"
    jwt_private_key_file: Path | None = None
    jwt_public_key_file: Path | None = None
    jwt_audience: str = "ccr-api"
    jwt_issuer: str = "ccr"
    access_token_minutes: int = Field(default=30, ge=1, le=24 * 60)

    encryption_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # `id:secret` HMAC keys of the audit chain, comma-separated; the first seals, all verify.
    audit_hmac_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Append-only file of chain heads outside the database; default: <data_dir>/audit-checkpoints.
    audit_checkpoint_file: Path | None = None
    audit_seal_seconds: int = Field(default=10, ge=1, le=3600)
    # Append-only file of completed erasures (ids only) outside the database, re-applied after a
    # restore (`ccr reapply-erasures`); default: <data_dir>/erasure-journal.
    erasure_journal: Path | None = None

    # `text` (human-readable, the default) or `json` (one object per line, for log collectors).
    log_format: Literal["text", "json"] = "text"

    scheduler_enabled: bool = True
    sweep_cron: str = "30 2 * * *"
    # How often the webhook worker announces what fell due and sends pending deliveries.
    webhook_interval_seconds: int = Field(default=30, ge=1, le=3600)
    # Deliver to loopback addresses (never in production: a test or local receiver only).
    webhook_allow_loopback: bool = False
    # Delivered and failed deliveries, with their attempts and events, are purged after this.
    webhook_keep_days: int = Field(default=30, ge=1, le=3650)

    bootstrap_email: str | None = None
    bootstrap_password: str | None = None

    # Database connections per process, and the requests queued for them (app/api/gate.py).
    db_pool_size: int = Field(default=10, ge=1, le=500)
    db_max_overflow: int = Field(default=5, ge=0, le=500)
    db_pool_timeout_seconds: float = Field(default=10, gt=0, le=600)
    # Requests admitted to use the database at once per process (at most the pool's capacity).
    request_concurrency: int | None = Field(default=None, ge=1, le=500)
    request_queue: int = Field(default=2048, ge=0)
    request_queue_seconds: float = Field(default=20, gt=0, le=600)

    max_body_bytes: int = 11 * 1024 * 1024
    max_upload_bytes: int = 10 * 1024 * 1024
    # Failed logins for one account from one address before that pair is locked out; each
    # further failure after a lock doubles the next lock (at most `login_max_lock_minutes`).
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    login_lock_minutes: int = Field(default=15, ge=1, le=24 * 60)
    login_max_lock_minutes: int = Field(default=24 * 60, ge=1, le=7 * 24 * 60)
    # Failed logins from one address, whatever the accounts, before the address is locked out.
    login_max_failures_per_address: int = Field(default=20, ge=1, le=100_000)
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated).
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    inspector_grant_max_days: int = 14
    # A formal written complaint is followed up within this many working days of receipt.
    complaint_follow_up_working_days: int = Field(default=20, ge=1, le=260)
    # Statistics show no count from 1 to threshold - 1 (0 is shown): small numbers identify people.
    # At least 3: with 2, a hidden cell is always 1 (DESIGN §11).
    stats_suppression_threshold: int = Field(default=5, ge=3, le=1000)

    _split = field_validator(
        "encryption_keys", "cors_origins", "trusted_proxies", "audit_hmac_keys", mode="before"
    )(_split_list)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"CCR_TRUSTED_PROXIES: {item!r} is not an address") from exc
        return value

    @property
    def uses_shared_secret(self) -> bool:
        return self.jwt_algorithm.startswith("HS")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def migration_url(self) -> str:
        return self.migration_database_url or self.database_url

    @property
    def checkpoint_path(self) -> Path:
        return self.audit_checkpoint_file or self.data_dir / "audit-checkpoints"

    @property
    def erasure_journal_path(self) -> Path:
        return self.erasure_journal or self.data_dir / "erasure-journal"

    def prepare(self) -> Settings:
        """Fill the dev defaults (database file, generated keys) or refuse to run in prod."""
        if self.bootstrap_password is not None and len(self.bootstrap_password) < 12:
            raise ConfigError("CCR_BOOTSTRAP_PASSWORD must have at least 12 characters")
        if self.env == Env.prod:
            missing = []
            if self.uses_shared_secret and not self.jwt_secret:
                missing.append("CCR_JWT_SECRET")
            if not self.uses_shared_secret:
                for name, path in (
                    ("CCR_JWT_PRIVATE_KEY_FILE", self.jwt_private_key_file),
                    ("CCR_JWT_PUBLIC_KEY_FILE", self.jwt_public_key_file),
                ):
                    if path is None or not path.is_file():
                        missing.append(name)
            if not self.encryption_keys:
                missing.append("CCR_ENCRYPTION_KEYS")
            if not self.audit_hmac_keys:
                missing.append("CCR_AUDIT_HMAC_KEYS")
            if not self.database_url:
                missing.append("CCR_DATABASE_URL")
            if missing:
                raise ConfigError(
                    "CCR_ENV=prod needs " + ", ".join(missing) + " to be set; refusing to start"
                )
            self._check_audit_keys()
            if self.webhook_allow_loopback:
                raise ConfigError(
                    "CCR_WEBHOOK_ALLOW_LOOPBACK is for tests and local receivers; refusing to "
                    "start in production"
                )
            if self.uses_shared_secret and len(self.jwt_secret.encode()) < MIN_SECRET_BYTES:
                raise ConfigError(
                    f"CCR_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes for "
                    f"{self.jwt_algorithm} in production; refusing to start"
                )
            if self.is_sqlite:
                log.warning("CCR_ENV=prod is running on SQLite; use PostgreSQL in production")
            return self
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'ccr.db'}"
        if self.uses_shared_secret and 0 < len(self.jwt_secret.encode()) < MIN_SECRET_BYTES:
            log.warning("CCR_JWT_SECRET is under %d bytes; prod refuses it", MIN_SECRET_BYTES)
        if not self.jwt_secret:
            self.jwt_secret = self._dev_secret("jwt-secret", lambda: secrets.token_urlsafe(48))
        if not self.encryption_keys:
            self.encryption_keys = [
                self._dev_secret("encryption-key", lambda: Fernet.generate_key().decode())
            ]
        if not self.audit_hmac_keys:
            self.audit_hmac_keys = [
                self._dev_secret("audit-hmac-key", lambda: "dev:" + secrets.token_urlsafe(48))
            ]
        self._check_audit_keys()
        return self

    def _check_audit_keys(self) -> None:
        from app.audit_chain import ChainKeyError, ChainKeys

        try:
            ChainKeys.parse(self.audit_hmac_keys)
        except ChainKeyError as exc:
            raise ConfigError(f"CCR_AUDIT_HMAC_KEYS: {exc}; refusing to start") from exc

    def _dev_secret(self, name: str, make: object) -> str:
        path = self.data_dir / name
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        value = make()  # type: ignore[operator]
        # Created owner-only, never readable by others even for a moment.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process starting at the same moment made it
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(value)
        log.warning(
            "generated a development %s in %s; set CCR_* variables in production", name, path
        )
        return str(value)


@lru_cache
def get_settings() -> Settings:
    return Settings().prepare()
