"""POST /api/v1/auth/token: password and client-credentials grants, throttling (§2, §6)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.auth.models import LoginThrottle
from app.db import utcnow
from app.security.passwords import hash_secret
from app.users.models import UserAccount
from tests.factories import World, bearer, make_user
from tests.helpers import assert_problem

API = "/api/v1"
TOKEN = f"{API}/auth/token"
ME = f"{API}/auth/me"
PASSWORD = "correct horse battery staple"
# Hashed once: argon2 is deliberately slow.
PASSWORD_HASH = hash_secret(PASSWORD)


def password_login(client: TestClient, username: str, password: str) -> httpx.Response:
    return client.post(
        TOKEN, data={"grant_type": "password", "username": username, "password": password}
    )


def make_login_user(db: Session, role: str = "centre_staff", **fields: Any) -> UserAccount:
    user = make_user(db, role, fields.pop("centres", None), password_hash=PASSWORD_HASH, **fields)
    db.commit()
    return user


@pytest.fixture
def other_address(app: FastAPI) -> Iterator[TestClient]:
    """A client calling from another address than the default `testclient`."""
    with TestClient(app, base_url="http://testserver", client=("203.0.113.7", 50000)) as other:
        yield other


# --- password grant -----------------------------------------------------------------------------


def test_password_login_returns_a_bearer_token_that_shows_role_and_centres(
    client: TestClient, world: World, db: Session
) -> None:
    user = make_login_user(db, centres=[world.centre_a, world.centre_b])

    response = password_login(client, user.email, PASSWORD)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert 0 < body["expires_in"] <= world.settings.access_token_minutes * 60
    me = client.get(ME, headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == str(user.id)
    assert me.json()["kind"] == "user"
    assert me.json()["role"] == "centre_staff"
    assert set(me.json()["centre_ids"]) == {str(world.centre_a.id), str(world.centre_b.id)}


def test_password_login_of_naccc_staff_shows_every_centre(
    client: TestClient, world: World, db: Session
) -> None:
    user = make_login_user(db, "naccc_staff")

    token = password_login(client, user.email, PASSWORD).json()["access_token"]

    me = client.get(ME, headers=bearer(token)).json()
    assert me["role"] == "naccc_staff"
    assert me["centre_ids"] is None


def test_login_name_is_case_insensitive(client: TestClient, world: World, db: Session) -> None:
    user = make_login_user(db, centres=[world.centre_a])

    response = password_login(client, user.email.upper(), PASSWORD)

    assert response.status_code == 200, response.text


def test_wrong_password_is_401_problem_with_www_authenticate(
    client: TestClient, world: World, db: Session
) -> None:
    user = make_login_user(db, centres=[world.centre_a])

    response = password_login(client, user.email, PASSWORD + "!")

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "access_token" not in response.json()


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(
    client: TestClient, world: World, db: Session
) -> None:
    user = make_login_user(db, centres=[world.centre_a])

    wrong_password = password_login(client, user.email, PASSWORD + "!")
    unknown_user = password_login(client, "nobody-here@example.org", PASSWORD)

    assert_problem(unknown_user, 401)
    assert unknown_user.headers["WWW-Authenticate"] == "Bearer"
    assert unknown_user.json() == wrong_password.json()


def test_deactivated_user_cannot_log_in(client: TestClient, world: World, db: Session) -> None:
    user = make_login_user(db, centres=[world.centre_a], is_active=False)

    response = password_login(client, user.email, PASSWORD)

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


# --- throttling ---------------------------------------------------------------------------------


def test_five_failures_lock_the_account_with_429_and_retry_after(
    client: TestClient, world: World, db: Session
) -> None:
    user = make_login_user(db, centres=[world.centre_a])
    for _ in range(world.settings.login_max_failures):
        assert_problem(password_login(client, user.email, "wrong password!"), 401)

    locked = password_login(client, user.email, "wrong password!")
    assert_problem(locked, 429, "too-many-requests")
    retry_after = int(locked.headers["Retry-After"])
    assert 0 < retry_after <= world.settings.login_lock_minutes * 60 + 1

    even_correct = password_login(client, user.email, PASSWORD)
    assert_problem(even_correct, 429)
    assert "access_token" not in even_correct.json()


def test_a_lock_holds_whatever_the_case_of_the_name_but_only_for_the_address_that_failed(
    client: TestClient, other_address: TestClient, world: World, db: Session
) -> None:
    """Finding 7: failures from one address lock that address out of the account; the owner
    logging in from elsewhere is not locked out by a stranger (§6)."""
    user = make_login_user(db, centres=[world.centre_a])
    for i in range(world.settings.login_max_failures):
        name = user.email.upper() if i % 2 else f" {user.email} "
        assert_problem(password_login(client, name, "wrong password!"), 401)

    same_address = password_login(client, user.email.upper(), PASSWORD)
    elsewhere = password_login(other_address, user.email, PASSWORD)

    assert_problem(same_address, 429)
    assert int(same_address.headers["Retry-After"]) > 0
    assert elsewhere.status_code == 200, elsewhere.text


def test_fewer_failures_than_the_limit_do_not_lock_and_success_resets_them(
    client: TestClient, other_address: TestClient, world: World, db: Session
) -> None:
    user = make_login_user(db, centres=[world.centre_a])
    below = world.settings.login_max_failures - 1
    for _ in range(below):
        password_login(other_address, user.email, "wrong password!")
    assert password_login(client, user.email, PASSWORD).status_code == 200

    # The success cleared the account's count: as many failures again do not lock it.
    for _ in range(below):
        password_login(other_address, user.email, "wrong password!")
    assert password_login(client, user.email, PASSWORD).status_code == 200


def test_failures_spread_over_accounts_lock_the_address(
    client: TestClient, other_address: TestClient, world: World, db: Session
) -> None:
    victim = make_login_user(db, centres=[world.centre_a])
    for i in range(world.settings.login_max_failures_per_address):
        password_login(client, f"guess-{i}@example.org", "wrong password!")

    from_same_address = password_login(client, victim.email, PASSWORD)
    from_elsewhere = password_login(other_address, victim.email, PASSWORD)

    assert_problem(from_same_address, 429)
    assert int(from_same_address.headers["Retry-After"]) > 0
    # The account itself had no failures: from another address it logs in.
    assert from_elsewhere.status_code == 200, from_elsewhere.text


def test_an_expired_lock_lets_the_correct_password_in_again(
    client: TestClient, world: World, db: Session
) -> None:
    user = make_login_user(db, centres=[world.centre_a])
    for _ in range(world.settings.login_max_failures):
        password_login(client, user.email, "wrong password!")
    assert password_login(client, user.email, PASSWORD).status_code == 429

    # Move the lock and its window into the past instead of waiting 15 minutes.
    past = utcnow() - timedelta(minutes=world.settings.login_lock_minutes + 1)
    db.execute(update(LoginThrottle).values(window_started_at=past, locked_until=past))
    db.commit()

    assert password_login(client, user.email, PASSWORD).status_code == 200


def test_throttle_rows_hold_no_login_name_or_address_in_clear(
    client: TestClient, world: World, db: Session
) -> None:
    user = make_login_user(db, centres=[world.centre_a])
    for _ in range(2):
        password_login(client, user.email, "wrong password!")
    password_login(client, "Someone.Else@example.org", "wrong password!")

    db.expire_all()
    rows = db.scalars(select(LoginThrottle)).all()

    assert {r.key.split(":")[0] for r in rows} == {"pair", "address"}
    for row in rows:
        assert re.fullmatch(r"(pair|address):[0-9a-f]{64}", row.key), row.key
        stored = repr(
            {c.key: getattr(row, c.key) for c in LoginThrottle.__mapper__.column_attrs}
        ).lower()
        for secret in (
            user.email,
            user.email.split("@")[0],
            "someone.else",
            "example.org",
            "testclient",
        ):
            assert secret.lower() not in stored


# --- client-credentials grant -------------------------------------------------------------------


def create_service_client(
    client: TestClient, world: World, permissions: list[str]
) -> dict[str, Any]:
    response = client.post(
        f"{API}/service-clients",
        json={"name": "NACCC CRM", "permissions": permissions},
        headers=world.headers("naccc_staff"),
    )
    assert response.status_code == 201, response.text
    return response.json()


def client_login(client: TestClient, client_id: str, client_secret: str) -> httpx.Response:
    return client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        },
    )


def test_client_credentials_token_carries_only_the_chosen_permissions(
    client: TestClient, world: World
) -> None:
    created = create_service_client(client, world, ["centres:read"])

    response = client_login(client, created["client_id"], created["client_secret"])

    assert response.status_code == 200, response.text
    headers = bearer(response.json()["access_token"])
    me = client.get(ME, headers=headers).json()
    assert me["kind"] == "service_client"
    assert me["id"] == created["id"]
    assert me["permissions"] == ["centres:read"]
    assert client.get(f"{API}/centres", headers=headers).status_code == 200
    assert_problem(client.get(f"{API}/users", headers=headers), 403)
    assert_problem(
        client.post(f"{API}/centres", json={"name": "X", "code": "XQ"}, headers=headers), 403
    )


def test_wrong_client_secret_is_401(client: TestClient, world: World) -> None:
    created = create_service_client(client, world, ["centres:read"])

    response = client_login(client, created["client_id"], created["client_secret"] + "x")

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_unknown_client_id_is_401(client: TestClient, world: World) -> None:
    response = client_login(client, "ccr_000000000000000000000000", "whatever-secret")

    assert_problem(response, 401)


def test_a_user_password_does_not_work_as_a_client_secret(
    client: TestClient, world: World, db: Session
) -> None:
    user = make_login_user(db, "naccc_staff")

    response = client_login(client, user.email, PASSWORD)

    assert_problem(response, 401)


# --- malformed requests -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": "password"},
        {"grant_type": "password", "username": "someone@example.org"},
        {"grant_type": "password", "password": PASSWORD},
        {"grant_type": "password", "username": "", "password": PASSWORD},
        {"grant_type": "client_credentials", "client_id": "ccr_x"},
        {
            "grant_type": "client_credentials",
            "username": "someone@example.org",
            "password": PASSWORD,
        },
    ],
    ids=[
        "nothing",
        "no-password",
        "no-username",
        "empty-username",
        "no-secret",
        "user-fields-for-client",
    ],
)
def test_missing_credentials_are_422_problem(
    client: TestClient, world: World, form: dict[str, str]
) -> None:
    response = client.post(TOKEN, data=form)

    # The contract states each grant's fields (a `oneOf` on grant_type): schema validation.
    problem = assert_problem(response, 422, "validation-error")
    assert "required for grant_type" in str(problem["errors"])


@pytest.mark.parametrize("grant_type", ["refresh_token", "authorization_code", "PASSWORD", ""])
def test_other_grant_types_are_422_problem(
    client: TestClient, world: World, grant_type: str
) -> None:
    response = client.post(
        TOKEN,
        data={"grant_type": grant_type, "username": "someone@example.org", "password": PASSWORD},
    )

    body = assert_problem(response, 422, "validation-error")
    assert any(e["loc"][-1] == "grant_type" for e in body["errors"])


def test_missing_grant_type_is_422_problem(client: TestClient, world: World) -> None:
    response = client.post(TOKEN, data={"username": "someone@example.org", "password": PASSWORD})

    assert_problem(response, 422, "validation-error")


def test_failed_requests_do_not_leak_the_password(
    client: TestClient, world: World, db: Session
) -> None:
    user = make_login_user(db, centres=[world.centre_a])

    response = password_login(client, user.email, "my-secret-guess-123")

    assert "my-secret-guess-123" not in response.text
    assert user.email not in response.text


def test_logins_are_audited_without_login_names_or_passwords(
    client: TestClient, world: World, db: Session
) -> None:
    user = make_login_user(db, centres=[world.centre_a])
    password_login(client, user.email, "a wrong password")
    password_login(client, user.email, PASSWORD)

    db.expire_all()
    rows = db.scalars(
        select(AuditEvent).where(AuditEvent.resource_type == "auth").order_by(AuditEvent.seq)
    ).all()

    assert [r.action for r in rows][-2:] == ["login_failed", "login_succeeded"]
    assert rows[-1].actor_id == user.id
    assert rows[-1].role == "centre_staff"
    for row in rows:
        stored = repr({c.key: getattr(row, c.key) for c in AuditEvent.__mapper__.column_attrs})
        for secret in (user.email, "a wrong password", PASSWORD):
            assert secret not in stored
