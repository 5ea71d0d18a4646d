"""Finding 4: a token's life follows its account (§6). A change of password, activity, role or
centres ends every token issued before it; reactivation does not bring them back; a service
client's change of permissions ends its tokens; `POST auth/logout` ends the current token."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.auth.models import RevokedToken
from app.security import tokens
from app.security.passwords import hash_secret
from tests.factories import World, bearer, make_user
from tests.helpers import assert_problem

API = "/api/v1"
ME = f"{API}/auth/me"
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "another long passphrase"


def me(client: TestClient, token: str) -> int:
    return client.get(ME, headers=bearer(token)).status_code


def patch_user(
    client: TestClient, world: World, user_id: Any, body: dict[str, Any]
) -> dict[str, Any]:
    current = client.get(f"{API}/users/{user_id}", headers=world.headers("naccc_staff"))
    response = client.patch(
        f"{API}/users/{user_id}",
        json=body,
        headers={**world.headers("naccc_staff"), "If-Match": current.headers["ETag"]},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def login(client: TestClient, email: str, password: str) -> str:
    response = client.post(
        f"{API}/auth/token",
        data={"grant_type": "password", "username": email, "password": password},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def staff(world: World, db: Session) -> Any:
    user = make_user(db, "centre_staff", [world.centre_a], password_hash=hash_secret(PASSWORD))
    db.commit()
    return user


CHANGES = {
    "password": {"password": NEW_PASSWORD},
    "role": {"role": "naccc_staff", "centre_ids": []},
    "centres": {"centre_ids": "B"},
    "deactivation": {"is_active": False},
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_of_the_account_ends_the_tokens_issued_before_it(
    client: TestClient, world: World, staff: Any, change: str
) -> None:
    before = login(client, staff.email, PASSWORD)
    assert me(client, before) == 200
    body = dict(CHANGES[change])
    if body.get("centre_ids") == "B":
        body["centre_ids"] = [str(world.centre_b.id)]

    patch_user(client, world, staff.id, body)

    assert_problem(client.get(ME, headers=bearer(before)), 401)
    if change != "deactivation":
        password = NEW_PASSWORD if change == "password" else PASSWORD
        assert me(client, login(client, staff.email, password)) == 200


def test_reactivation_does_not_bring_old_tokens_back(
    client: TestClient, world: World, staff: Any
) -> None:
    before = login(client, staff.email, PASSWORD)
    patch_user(client, world, staff.id, {"is_active": False})
    patch_user(client, world, staff.id, {"is_active": True})

    assert me(client, before) == 401
    assert me(client, login(client, staff.email, PASSWORD)) == 200


def test_a_change_of_name_keeps_the_tokens(client: TestClient, world: World, staff: Any) -> None:
    before = login(client, staff.email, PASSWORD)
    patch_user(client, world, staff.id, {"full_name": "Renamed"})
    assert me(client, before) == 200


def test_a_token_of_an_older_generation_is_refused_even_if_forged_with_the_key(
    client: TestClient, world: World, staff: Any
) -> None:
    patch_user(client, world, staff.id, {"password": NEW_PASSWORD})
    stale = tokens.issue(world.settings, staff.id, "access", generation=0)[0]
    assert me(client, stale) == 401


def _client_token(client: TestClient, world: World, permissions: list[str]) -> tuple[str, str]:
    created = client.post(
        f"{API}/service-clients",
        json={"name": "CRM", "permissions": permissions},
        headers=world.headers("naccc_staff"),
    ).json()
    response = client.post(
        f"{API}/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created["client_id"],
            "client_secret": created["client_secret"],
        },
    )
    return created["id"], str(response.json()["access_token"])


@pytest.mark.parametrize(
    "changes",
    [
        [{"permissions": ["centres:read", "users:read"]}],
        [{"is_active": False}, {"is_active": True}],
    ],
    ids=["permissions", "reactivation"],
)
def test_a_change_of_a_service_client_ends_its_tokens(
    client: TestClient, world: World, changes: list[dict[str, Any]]
) -> None:
    client_id, token = _client_token(client, world, ["centres:read"])
    assert me(client, token) == 200
    for body in changes:
        current = client.get(
            f"{API}/service-clients/{client_id}", headers=world.headers("naccc_staff")
        )
        response = client.patch(
            f"{API}/service-clients/{client_id}",
            json=body,
            headers={**world.headers("naccc_staff"), "If-Match": current.headers["ETag"]},
        )
        assert response.status_code == 200, response.text
    assert me(client, token) == 401


# --- logout --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["user", "service_client", "inspector"])
def test_logout_ends_the_current_token_only(
    client: TestClient, world: World, staff: Any, kind: str
) -> None:
    if kind == "user":
        token, other = login(client, staff.email, PASSWORD), login(client, staff.email, PASSWORD)
    elif kind == "service_client":
        _, token = _client_token(client, world, ["centres:read"])
        other = None
    else:
        token = world.tokens["inspector"]
        other = world.inspector_token(world.grant_a)

    response = client.post(f"{API}/auth/logout", headers=bearer(token))

    assert response.status_code == 204, response.text
    assert_problem(client.get(ME, headers=bearer(token)), 401)
    assert_problem(client.post(f"{API}/auth/logout", headers=bearer(token)), 401)
    if other is not None:
        assert me(client, other) == 200


def test_logout_without_a_token_is_401(client: TestClient, world: World) -> None:
    assert_problem(client.post(f"{API}/auth/logout"), 401)


def test_logout_is_audited_and_keeps_only_the_token_id(
    client: TestClient, world: World, db: Session
) -> None:
    token = world.tokens["centre_staff"]
    client.post(f"{API}/auth/logout", headers=bearer(token))

    claims = tokens.decode(world.settings, token)
    revoked = db.scalars(select(RevokedToken)).all()
    assert [(r.jti, r.expires_at) for r in revoked] == [(claims.token_id, claims.expires_at)]
    row = db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (row.action, row.actor_id, row.status_code) == ("auth_logout", world.staff_a.id, 204)


@pytest.mark.parametrize("kind", ["service_client", "inspector"])
def test_the_revocation_check_is_part_of_the_one_principal_query(
    world: World, db: Session, kind: str
) -> None:
    if kind == "service_client":
        holder = world.make_service_client()
        token = tokens.issue(world.settings, holder.id, "service")[0]
    else:
        token = world.tokens["inspector"]
    claims = tokens.decode(world.settings, token)
    db.expire_all()
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    bind = db.get_bind()
    event.listen(bind, "before_cursor_execute", count)
    try:
        assert auth_service.principal_for(db, claims) is not None
    finally:
        event.remove(bind, "before_cursor_execute", count)
    queries = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]
    assert len(queries) == 1, queries
