"""Settings, read from the environment with the prefix CCR_."""

from __future__ import annotations

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
    host: str = "127.0.0.1"
    port: int = 8000

    jwt_secret: str = ""
    jwt_algorithm: str = "HS256"
    jwt_private_key_file: Path | None = None
    jwt_public_key_file: Path | None = None
    jwt_audience: str = "ccr-api"
    jwt_issuer: str = "ccr"
    access_token_minutes: int = Field(default=30, ge=1, le=24 * 60)

    encryption_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # `text` (human-readable, the default) or `json` (one object per line, for log collectors).
    log_format: Literal["text", "json"] = "text"

    scheduler_enabled: bool = True
    sweep_cron: str = "30 2 * * *"

    bootstrap_email: str | None = None
    bootstrap_password: str | None = None

    max_body_bytes: int = 11 * 1024 * 1024
    max_upload_bytes: int = 10 * 1024 * 1024
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    inspector_grant_max_days: int = 14
    # A formal written complaint is followed up within this many working days of receipt.
    complaint_follow_up_working_days: int = Field(default=20, ge=1, le=260)
    # Statistics show no count from 1 to threshold - 1 (0 is shown): small numbers identify people.
    stats_suppression_threshold: int = Field(default=5, ge=1, le=1000)

    _split = field_validator("encryption_keys", "cors_origins", mode="before")(_split_list)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def prepare(self) -> Settings:
        """Fill the dev defaults (database file, generated keys) or refuse to run in prod."""
        if self.bootstrap_password is not None and len(self.bootstrap_password) < 12:
            raise ConfigError("CCR_BOOTSTRAP_PASSWORD must have at least 12 characters")
        if self.env == Env.prod:
            missing = []
            if self.jwt_algorithm == "HS256" and not self.jwt_secret:
                missing.append("CCR_JWT_SECRET")
            if not self.encryption_keys:
                missing.append("CCR_ENCRYPTION_KEYS")
            if not self.database_url:
                missing.append("CCR_DATABASE_URL")
            if missing:
                raise ConfigError(
                    "CCR_ENV=prod needs " + ", ".join(missing) + " to be set; refusing to start"
                )
            if self.is_sqlite:
                log.warning("CCR_ENV=prod is running on SQLite; use PostgreSQL in production")
            return self
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'ccr.db'}"
        if not self.jwt_secret:
            self.jwt_secret = self._dev_secret("jwt-secret", lambda: secrets.token_urlsafe(48))
        if not self.encryption_keys:
            self.encryption_keys = [
                self._dev_secret("encryption-key", lambda: Fernet.generate_key().decode())
            ]
        return self

    def _dev_secret(self, name: str, make: object) -> str:
        path = self.data_dir / name
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        value = make()  # type: ignore[operator]
        # Created owner-only, never readable by others even for a moment.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value)
        log.warning(
            "generated a development %s in %s; set CCR_* variables in production", name, path
        )
        return str(value)


@lru_cache
def get_settings() -> Settings:
    return Settings().prepare()
