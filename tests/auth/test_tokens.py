"""Bearer tokens: every malformed, forged, expired or orphaned token is 401 (§2, §6)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jose import jwt
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import make_sessionmaker, utcnow
from app.main import create_app
from app.security import tokens
from tests.conftest import settings_for
from tests.factories import World, bearer, make_user

API = "/api/v1"
ME = f"{API}/auth/me"


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["status"] == 401


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def b64url_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def claims_for(settings: Settings, subject: uuid.UUID, **changes: Any) -> dict[str, Any]:
    """The claims the app issues for an access token; `changes` replace (None removes) claims."""
    now = int(utcnow().timestamp())
    claims: dict[str, Any] = {
        "sub": str(subject),
        "typ": "access",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "aud": settings.jwt_audience,
        "iss": settings.jwt_issuer,
    }
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def hs256(settings: Settings, claims: dict[str, Any], algorithm: str = "HS256") -> str:
    return jwt.encode(claims, settings.jwt_secret, algorithm=algorithm)


def hmac_signed(key: bytes, claims: dict[str, Any]) -> str:
    """An HS256 token built by hand (python-jose refuses asymmetric keys as HMAC secrets)."""
    signing_input = b64url_json({"alg": "HS256", "typ": "JWT"}) + "." + b64url_json(claims)
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(signature)


def me(client: TestClient, token: str) -> httpx.Response:
    return client.get(ME, headers=bearer(token))


# --- the baseline: a hand-made token with the app's claims works ---------------------------------


def test_a_correct_hand_made_token_is_accepted(client: TestClient, world: World) -> None:
    token = hs256(world.settings, claims_for(world.settings, world.admin.id))

    response = me(client, token)

    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(world.admin.id)


def test_an_issued_token_carries_every_required_claim(world: World) -> None:
    token = world.token_for(world.admin)

    header = jwt.get_unverified_header(token)
    claims = jwt.get_unverified_claims(token)

    assert header["alg"] == "HS256"
    assert {"exp", "iat", "nbf", "aud", "iss", "jti", "sub", "typ"} <= set(claims)
    assert claims["aud"] == world.settings.jwt_audience
    assert claims["iss"] == world.settings.jwt_issuer
    assert claims["exp"] - claims["iat"] == world.settings.access_token_minutes * 60


# --- malformed and forged tokens ----------------------------------------------------------------


def _alg_none(w: World) -> str:
    claims = claims_for(w.settings, w.admin.id)
    return b64url_json({"alg": "none", "typ": "JWT"}) + "." + b64url_json(claims) + "."


def _alg_none_with_signature(w: World) -> str:
    valid = hs256(w.settings, claims_for(w.settings, w.admin.id))
    _, payload, signature = valid.split(".")
    return b64url_json({"alg": "none", "typ": "JWT"}) + "." + payload + "." + signature


def _hs512(w: World) -> str:
    return hs256(w.settings, claims_for(w.settings, w.admin.id), algorithm="HS512")


def _other_secret(w: World) -> str:
    return jwt.encode(
        claims_for(w.settings, w.admin.id), "another-secret-" + "y" * 40, algorithm="HS256"
    )


def _claims(**changes: Any) -> Callable[[World], str]:
    def build(w: World) -> str:
        now = int(utcnow().timestamp())
        # Relative times are given as offsets from now.
        resolved = {
            k: now + v if k in ("exp", "nbf", "iat") and isinstance(v, int) else v
            for k, v in changes.items()
        }
        return hs256(w.settings, claims_for(w.settings, w.admin.id, **resolved))

    return build


def _tampered_char(w: World) -> str:
    header, payload, signature = w.token_for(w.staff_a).split(".")
    middle = len(payload) // 2
    replacement = "A" if payload[middle] != "A" else "B"
    return ".".join([header, payload[:middle] + replacement + payload[middle + 1 :], signature])


def _tampered_subject(w: World) -> str:
    """centre_staff's token with its subject swapped for the administrator's."""
    header, payload, signature = w.token_for(w.staff_a).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(w.admin.id)
    return ".".join([header, b64url_json(claims), signature])


def _stripped_signature(w: World) -> str:
    header, payload, _ = w.token_for(w.admin).split(".")
    return f"{header}.{payload}."


BAD_TOKENS: dict[str, Callable[[World], str]] = {
    "alg-none": _alg_none,
    "alg-none-keeping-a-signature": _alg_none_with_signature,
    "hs512-instead-of-hs256": _hs512,
    "signed-with-another-secret": _other_secret,
    "expired": _claims(exp=-60),
    "expired-a-second-ago": _claims(exp=-1),
    "nbf-in-the-future": _claims(nbf=300),
    "iat-in-the-future": _claims(iat=600),
    "wrong-audience": _claims(aud="someone-else"),
    "wrong-issuer": _claims(iss="not-ccr"),
    "missing-exp": _claims(exp=None),
    "missing-jti": _claims(jti=None),
    "missing-iat": _claims(iat=None),
    "missing-nbf": _claims(nbf=None),
    "missing-sub": _claims(sub=None),
    "missing-aud": _claims(aud=None),
    "missing-iss": _claims(iss=None),
    "missing-typ": _claims(typ=None),
    "unknown-typ": _claims(typ="refresh"),
    "sub-not-a-uuid": _claims(sub="admin"),
    "tampered-payload-char": _tampered_char,
    "tampered-payload-subject": _tampered_subject,
    "signature-stripped": _stripped_signature,
    "not-a-jwt": lambda w: "not-a-jwt",
    "two-segments": lambda w: ".".join(w.token_for(w.admin).split(".")[:2]),
}


@pytest.mark.parametrize("make_token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_bad_token_is_401_problem(
    client: TestClient, world: World, make_token: Callable[[World], str]
) -> None:
    response = me(client, make_token(world))

    assert_unauthorized(response)


def test_no_token_is_401_problem(client: TestClient, world: World) -> None:
    assert_unauthorized(client.get(ME))


def test_another_authorization_scheme_is_401_problem(client: TestClient, world: World) -> None:
    response = client.get(ME, headers={"Authorization": "Basic " + b64url(b"admin:secret")})

    assert_unauthorized(response)


def test_an_access_token_for_an_inspector_grant_id_is_401(client: TestClient, world: World) -> None:
    """A token's type decides where its subject is looked up: types cannot be swapped."""
    token = tokens.issue(world.settings, world.grant_a.id, "access")[0]

    assert_unauthorized(me(client, token))


# --- tokens whose holder no longer has access ---------------------------------------------------


def test_token_for_a_user_that_does_not_exist_is_401(client: TestClient, world: World) -> None:
    token = tokens.issue(world.settings, uuid.uuid4(), "access")[0]

    assert_unauthorized(me(client, token))


def test_token_of_a_deactivated_user_stops_working(
    client: TestClient, world: World, db: Session
) -> None:
    user = make_user(db, "centre_staff", [world.centre_a])
    db.commit()
    token = world.token_for(user)
    assert me(client, token).status_code == 200

    patched = client.patch(
        f"{API}/users/{user.id}",
        json={"is_active": False},
        headers={**world.headers("naccc_staff"), "If-Match": '"1"'},
    )
    assert patched.status_code == 200, patched.text

    assert_unauthorized(me(client, token))


def test_token_of_a_deleted_service_client_stops_working(client: TestClient, world: World) -> None:
    service_client = world.make_service_client(["centres:read"])
    token = tokens.issue(world.settings, service_client.id, "service")[0]
    assert me(client, token).status_code == 200

    deleted = client.delete(
        f"{API}/service-clients/{service_client.id}", headers=world.headers("naccc_staff")
    )
    assert deleted.status_code == 204, deleted.text

    assert_unauthorized(me(client, token))


def test_token_of_a_revoked_inspector_grant_stops_working_at_once(
    client: TestClient, world: World
) -> None:
    token = world.headers("inspector")
    assert client.get(ME, headers=token).status_code == 200

    revoked = client.delete(
        f"{API}/inspector-grants/{world.grant_a.id}", headers=world.headers("naccc_staff")
    )
    assert revoked.status_code == 200, revoked.text

    assert_unauthorized(client.get(ME, headers=token))
    assert_unauthorized(client.get(f"{API}/centres/{world.centre_a.id}", headers=token))


def test_inspector_token_stops_working_when_its_grant_expired(
    client: TestClient, world: World, db: Session
) -> None:
    token = world.headers("inspector")
    assert client.get(ME, headers=token).status_code == 200

    # The token's own `exp` is still in the future: the grant's expiry is checked on every request.
    world.grant_a.expires_at = utcnow() - timedelta(minutes=1)
    db.commit()

    assert_unauthorized(client.get(ME, headers=token))


# --- RS256 and key confusion --------------------------------------------------------------------


class RsaApp:
    def __init__(
        self, app: FastAPI, settings: Settings, public_pem: bytes, public_der: bytes
    ) -> None:
        self.app = app
        self.settings = settings
        self.public_pem = public_pem
        self.public_der = public_der


@pytest.fixture(scope="module")
def rsa_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    folder = tmp_path_factory.mktemp("jwt-keys")
    private_file, public_file = folder / "private.pem", folder / "public.pem"
    private_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    public_file.write_bytes(public_pem)
    return private_file, public_file, public_pem, public_der


@pytest.fixture
def rsa_app(
    migrated: tuple[Engine, Settings],
    connection: Connection,
    rsa_keys: tuple[Path, Path, bytes, bytes],
) -> RsaApp:
    engine, base_settings = migrated
    private_file, public_file, public_pem, public_der = rsa_keys
    settings = settings_for(
        base_settings.database_url,
        jwt_algorithm="RS256",
        jwt_private_key_file=private_file,
        jwt_public_key_file=public_file,
    )
    app = create_app(settings, engine)
    app.state.sessionmaker = make_sessionmaker(connection, join_transaction_mode="create_savepoint")
    return RsaApp(app, settings, public_pem, public_der)


@pytest.fixture
def rsa_client(rsa_app: RsaApp) -> Iterator[TestClient]:
    with TestClient(rsa_app.app, base_url="http://testserver") as test_client:
        yield test_client


def test_rs256_app_accepts_its_own_rs256_token(
    rsa_client: TestClient, rsa_app: RsaApp, world: World
) -> None:
    token = tokens.issue(rsa_app.settings, world.admin.id, "access")[0]

    response = me(rsa_client, token)

    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(world.admin.id)


@pytest.mark.parametrize("encoding", ["pem", "der"])
def test_rs256_app_refuses_hs256_token_signed_with_its_public_key(
    rsa_client: TestClient, rsa_app: RsaApp, world: World, encoding: str
) -> None:
    key = rsa_app.public_pem if encoding == "pem" else rsa_app.public_der
    forged = hmac_signed(key, claims_for(rsa_app.settings, world.admin.id))

    assert_unauthorized(me(rsa_client, forged))


def test_rs256_app_refuses_the_hs256_apps_tokens(rsa_client: TestClient, world: World) -> None:
    assert_unauthorized(rsa_client.get(ME, headers=world.headers("naccc_staff")))


def test_rs256_app_refuses_alg_none(rsa_client: TestClient, rsa_app: RsaApp, world: World) -> None:
    claims = claims_for(rsa_app.settings, world.admin.id)
    token = b64url_json({"alg": "none", "typ": "JWT"}) + "." + b64url_json(claims) + "."

    assert_unauthorized(me(rsa_client, token))
