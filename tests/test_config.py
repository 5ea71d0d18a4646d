"""Settings: production refuses to start without its secrets; development makes its own (§6, §8)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from app.config import ConfigError, Env, Settings

PG_URL = "postgresql+psycopg://ccr@db.example.org/ccr"
KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def no_ccr_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only what a test sets counts: no CCR_* variable of the caller's shell, no .env file."""
    for name in list(os.environ):
        if name.upper().startswith("CCR_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_prod_without_jwt_secret_and_keys_refuses_to_start_naming_both() -> None:
    with pytest.raises(ConfigError) as refused:
        Settings(env="prod", database_url=PG_URL).prepare()
    assert "CCR_JWT_SECRET" in str(refused.value)
    assert "CCR_ENCRYPTION_KEYS" in str(refused.value)


def test_prod_without_jwt_secret_refuses_to_start_naming_it() -> None:
    with pytest.raises(ConfigError) as refused:
        Settings(env="prod", database_url=PG_URL, encryption_keys=[KEY]).prepare()
    assert "CCR_JWT_SECRET" in str(refused.value)
    assert "CCR_ENCRYPTION_KEYS" not in str(refused.value)


def test_prod_without_encryption_keys_refuses_to_start_naming_them() -> None:
    with pytest.raises(ConfigError) as refused:
        Settings(env="prod", database_url=PG_URL, jwt_secret="s" * 48).prepare()
    assert "CCR_ENCRYPTION_KEYS" in str(refused.value)
    assert "CCR_JWT_SECRET" not in str(refused.value)


def test_prod_reads_its_secrets_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CCR_ENV", "prod")
    monkeypatch.setenv("CCR_DATABASE_URL", PG_URL)
    monkeypatch.setenv("CCR_JWT_SECRET", "s" * 48)
    monkeypatch.setenv("CCR_ENCRYPTION_KEYS", KEY)
    monkeypatch.setenv("CCR_DATA_DIR", str(tmp_path / "data"))
    settings = Settings().prepare()
    assert settings.env == Env.prod
    assert settings.jwt_secret == "s" * 48
    assert settings.encryption_keys == [KEY]
    assert not (tmp_path / "data").exists(), "prod must not generate development secrets"


def test_prod_on_sqlite_starts_with_a_warning(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    settings = Settings(
        env="prod",
        database_url=f"sqlite:///{tmp_path / 'ccr.db'}",
        jwt_secret="s" * 48,
        encryption_keys=[KEY],
    )
    with caplog.at_level(logging.WARNING, logger="app.config"):
        settings.prepare()
    warnings = [
        r for r in caplog.records if r.levelno == logging.WARNING and r.name == "app.config"
    ]
    assert any("SQLite" in r.getMessage() for r in warnings), caplog.text


def test_prod_on_postgresql_starts_without_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(env="prod", database_url=PG_URL, jwt_secret="s" * 48, encryption_keys=[KEY])
    with caplog.at_level(logging.WARNING, logger="app.config"):
        settings.prepare()
    assert [r for r in caplog.records if r.name == "app.config"] == []


def test_dev_generates_a_jwt_secret_and_a_key_once_and_reuses_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    with caplog.at_level(logging.WARNING, logger="app.config"):
        first = Settings(env="dev", data_dir=data_dir).prepare()
    assert len(first.jwt_secret) >= 32
    assert len(first.encryption_keys) == 1
    Fernet(first.encryption_keys[0].encode())  # a usable Fernet key
    generated = sorted(p.name for p in data_dir.iterdir() if p.is_file())
    assert len(generated) >= 2
    for path in data_dir.iterdir():
        if path.is_file() and path.name != "ccr.db":
            assert path.stat().st_mode & 0o077 == 0, f"{path.name} is readable by others"
    assert sum(r.levelno == logging.WARNING for r in caplog.records) >= 2, "generation is warned"
    assert first.database_url.startswith("sqlite:///")

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="app.config"):
        second = Settings(env="dev", data_dir=data_dir).prepare()
    assert second.jwt_secret == first.jwt_secret
    assert second.encryption_keys == first.encryption_keys
    assert sorted(p.name for p in data_dir.iterdir() if p.is_file()) == generated
    assert [r for r in caplog.records if r.name == "app.config"] == [], "nothing new to warn"


def test_dev_keeps_secrets_that_are_set(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(env="dev", data_dir=data_dir, jwt_secret="given", encryption_keys=[KEY])
    settings.prepare()
    assert settings.jwt_secret == "given"
    assert settings.encryption_keys == [KEY]
    assert not data_dir.exists() or not any(data_dir.iterdir())


def test_cors_origins_and_encryption_keys_parse_from_comma_separated_lists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = Fernet.generate_key().decode()
    monkeypatch.setenv("CCR_CORS_ORIGINS", "a,b")
    monkeypatch.setenv("CCR_ENCRYPTION_KEYS", f"{KEY}, {other}")
    settings = Settings()
    assert settings.cors_origins == ["a", "b"]
    assert settings.encryption_keys == [KEY, other]


def test_cors_origins_are_none_by_default() -> None:
    assert Settings().cors_origins == []
