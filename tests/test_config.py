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
AUDIT_KEY = "k1:" + "a" * 40


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
    monkeypatch.setenv("CCR_AUDIT_HMAC_KEYS", f"{AUDIT_KEY}, old:{'b' * 40}")
    monkeypatch.setenv("CCR_DATA_DIR", str(tmp_path / "data"))
    settings = Settings().prepare()
    assert settings.env == Env.prod
    assert settings.jwt_secret == "s" * 48
    assert settings.encryption_keys == [KEY]
    assert settings.audit_hmac_keys == [AUDIT_KEY, "old:" + "b" * 40]
    assert not (tmp_path / "data").exists(), "prod must not generate development secrets"


def test_prod_on_sqlite_starts_with_a_warning(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    settings = Settings(
        env="prod",
        database_url=f"sqlite:///{tmp_path / 'ccr.db'}",
        jwt_secret="s" * 48,
        encryption_keys=[KEY],
        audit_hmac_keys=[AUDIT_KEY],
    )
    with caplog.at_level(logging.WARNING, logger="app.config"):
        settings.prepare()
    warnings = [
        r for r in caplog.records if r.levelno == logging.WARNING and r.name == "app.config"
    ]
    assert any("SQLite" in r.getMessage() for r in warnings), caplog.text


def test_prod_on_postgresql_starts_without_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(
        env="prod",
        database_url=PG_URL,
        jwt_secret="s" * 48,
        encryption_keys=[KEY],
        audit_hmac_keys=[AUDIT_KEY],
    )
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
    settings = Settings(
        env="dev",
        data_dir=data_dir,
        jwt_secret="given",
        encryption_keys=[KEY],
        audit_hmac_keys=[AUDIT_KEY],
    )
    settings.prepare()
    assert settings.jwt_secret == "given"
    assert settings.encryption_keys == [KEY]
    assert settings.audit_hmac_keys == [AUDIT_KEY]
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


# --- the audit chain's keys and the database roles (DESIGN §6) ---------------------------------


def test_prod_without_audit_hmac_keys_refuses_to_start_naming_them() -> None:
    with pytest.raises(ConfigError) as refused:
        Settings(
            env="prod", database_url=PG_URL, jwt_secret="s" * 48, encryption_keys=[KEY]
        ).prepare()
    assert "CCR_AUDIT_HMAC_KEYS" in str(refused.value)
    assert "CCR_ENCRYPTION_KEYS" not in str(refused.value)


@pytest.mark.parametrize("keys", [["k1:short"], ["no-id-" + "a" * 40], [AUDIT_KEY, AUDIT_KEY]])
def test_prod_refuses_unusable_audit_hmac_keys(keys: list[str]) -> None:
    settings = Settings(
        env="prod",
        database_url=PG_URL,
        jwt_secret="s" * 48,
        encryption_keys=[KEY],
        audit_hmac_keys=keys,
    )
    with pytest.raises(ConfigError, match="CCR_AUDIT_HMAC_KEYS"):
        settings.prepare()


def test_dev_generates_an_audit_hmac_key_once_owner_only(tmp_path: Path) -> None:
    first = Settings(env="dev", data_dir=tmp_path).prepare()
    assert len(first.audit_hmac_keys) == 1 and first.audit_hmac_keys[0].startswith("dev:")
    key_file = tmp_path / "audit-hmac-key"
    assert key_file.stat().st_mode & 0o077 == 0
    assert Settings(env="dev", data_dir=tmp_path).prepare().audit_hmac_keys == first.audit_hmac_keys
    assert first.checkpoint_path == tmp_path / "audit-checkpoints"


def test_the_migration_url_defaults_to_the_app_url(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(database_url=PG_URL).migration_url == PG_URL
    owner = "postgresql+psycopg://ccr_owner@db.example.org/ccr"
    monkeypatch.setenv("CCR_MIGRATION_DATABASE_URL", owner)
    assert Settings(database_url=PG_URL).migration_url == owner
