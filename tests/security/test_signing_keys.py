"""Finding 1: production refuses a short or missing HMAC secret, whatever the HS algorithm, and no
token is ever signed or accepted with an empty key (§6)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from jose import jwt
from sqlalchemy import Connection, Engine

from app.config import MIN_SECRET_BYTES, ConfigError, Settings
from app.db import make_sessionmaker
from app.main import create_app
from app.security import tokens
from tests.auth.test_tokens import assert_unauthorized, claims_for
from tests.conftest import settings_for
from tests.factories import World, bearer

PG_URL = "postgresql+psycopg://ccr@db.example.org/ccr"
KEY = Fernet.generate_key().decode()
HS = ["HS256", "HS384", "HS512"]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("CCR_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


AUDIT_KEY = "k1:" + "a" * 40


def prod(**fields: object) -> Settings:
    return Settings(  # type: ignore[arg-type]
        env="prod",
        database_url=PG_URL,
        encryption_keys=[KEY],
        audit_hmac_keys=[AUDIT_KEY],
        **fields,
    )


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("algorithm", HS)
def test_prod_refuses_an_hs_algorithm_without_a_secret(algorithm: str) -> None:
    with pytest.raises(ConfigError, match="CCR_JWT_SECRET"):
        prod(jwt_algorithm=algorithm).prepare()


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("algorithm", HS)
@pytest.mark.parametrize("secret", ["short", "x" * (MIN_SECRET_BYTES - 1), "é" * 15])
def test_prod_refuses_a_secret_under_32_bytes(algorithm: str, secret: str) -> None:
    with pytest.raises(ConfigError, match="32 bytes"):
        prod(jwt_algorithm=algorithm, jwt_secret=secret).prepare()


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("algorithm", HS)
def test_prod_starts_with_a_32_byte_secret(algorithm: str) -> None:
    # 16 two-byte characters: the length is counted in bytes.
    assert prod(jwt_algorithm=algorithm, jwt_secret="é" * 16).prepare().jwt_secret


@pytest.mark.usefixtures("clean_env")
def test_prod_with_rs256_needs_both_key_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        prod(jwt_algorithm="RS256", jwt_private_key_file=tmp_path / "missing.pem").prepare()
    assert "CCR_JWT_PRIVATE_KEY_FILE" in str(refused.value)
    assert "CCR_JWT_PUBLIC_KEY_FILE" in str(refused.value)


@pytest.mark.usefixtures("clean_env")
def test_an_unknown_algorithm_is_refused() -> None:
    with pytest.raises(ValueError):
        Settings(jwt_algorithm="none")


@pytest.mark.parametrize("algorithm", HS)
def test_no_token_is_issued_with_an_empty_secret(algorithm: str) -> None:
    settings = Settings(env="test", jwt_algorithm=algorithm, jwt_secret="")
    with pytest.raises(tokens.InvalidTokenError):
        tokens.issue(settings, uuid.uuid4(), "access")


@pytest.fixture
def empty_secret_client(
    migrated: tuple[Engine, Settings], connection: Connection, request: pytest.FixtureRequest
) -> Iterator[tuple[TestClient, Settings]]:
    engine, base = migrated
    settings = settings_for(base.database_url, jwt_algorithm=request.param)
    settings.jwt_secret = ""
    app = create_app(settings, engine)
    app.state.sessionmaker = make_sessionmaker(connection, join_transaction_mode="create_savepoint")
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client, settings


@pytest.mark.parametrize("empty_secret_client", HS, indirect=True)
def test_a_token_signed_with_an_empty_key_is_refused(
    empty_secret_client: tuple[TestClient, Settings], world: World
) -> None:
    client, settings = empty_secret_client
    algorithm = settings.jwt_algorithm
    forged = jwt.encode(claims_for(settings, world.admin.id), "", algorithm=algorithm)

    assert_unauthorized(client.get("/api/v1/auth/me", headers=bearer(forged)))
