"""Users: one-time or chosen passwords, centre rules, versioned updates (§2, §6, §7)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.security import tokens
from app.security.passwords import verify_secret
from app.security.permissions import Perm
from app.users.models import UserAccount
from tests.factories import World, bearer, make_user
from tests.helpers import assert_problem

API = "/api/v1"
USERS = f"{API}/users"
PASSWORD = "a long enough password"


def user_body(world: World, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": f"new-{uuid.uuid4().hex[:8]}@example.org",
        "full_name": "New Person",
        "role": "centre_staff",
        "centre_ids": [str(world.centre_a.id)],
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def create_user(client: TestClient, world: World, **changes: Any) -> httpx.Response:
    return client.post(
        USERS, json=user_body(world, **changes), headers=world.headers("naccc_staff")
    )


def login(client: TestClient, email: str, password: str) -> httpx.Response:
    return client.post(
        f"{API}/auth/token",
        data={"grant_type": "password", "username": email, "password": password},
    )


def patch(
    client: TestClient,
    world: World,
    user_id: Any,
    body: dict[str, Any],
    if_match: str | None,
    role: str = "naccc_staff",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = dict(headers if headers is not None else world.headers(role))
    if if_match is not None:
        sent["If-Match"] = if_match
    return client.patch(f"{USERS}/{user_id}", json=body, headers=sent)


def visible_centres(client: TestClient, token: str) -> set[str]:
    response = client.get(f"{API}/centres", headers=bearer(token))
    assert response.status_code == 200, response.text
    return {c["id"] for c in response.json()["items"]}


# --- creating -----------------------------------------------------------------------------------


def test_create_without_password_returns_a_one_time_password_that_logs_in(
    client: TestClient, world: World
) -> None:
    response = create_user(client, world)

    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["ETag"] == '"1"'
    one_time = created["one_time_password"]
    assert isinstance(one_time, str) and len(one_time) >= 12
    assert created["role"] == "centre_staff"
    assert created["centre_ids"] == [str(world.centre_a.id)]
    assert created["is_active"] is True
    assert "password_hash" not in created

    fetched = client.get(f"{USERS}/{created['id']}", headers=world.headers("naccc_staff"))
    assert fetched.status_code == 200
    assert "one_time_password" not in fetched.json()
    assert one_time not in fetched.text
    listed = client.get(USERS, headers=world.headers("naccc_staff"))
    assert one_time not in listed.text

    logged_in = login(client, created["email"], one_time)
    assert logged_in.status_code == 200, logged_in.text


def test_create_with_a_password_returns_no_one_time_password(
    client: TestClient, world: World
) -> None:
    response = create_user(client, world, password=PASSWORD)

    assert response.status_code == 201, response.text
    assert response.json()["one_time_password"] is None
    assert PASSWORD not in response.text
    assert login(client, response.json()["email"], PASSWORD).status_code == 200


def test_email_is_stored_in_lower_case(client: TestClient, world: World) -> None:
    response = create_user(client, world, email="Mixed.Case@Example.ORG", password=PASSWORD)

    assert response.status_code == 201, response.text
    assert response.json()["email"] == "mixed.case@example.org"


@pytest.mark.parametrize("password", ["Qz7#x", "Qz7#xWv9!kP", ""], ids=["5", "11", "empty"])
def test_password_shorter_than_twelve_characters_is_422(
    client: TestClient, world: World, password: str
) -> None:
    response = create_user(client, world, password=password)

    body = assert_problem(response, 422, "validation-error")
    assert any(e["loc"][-1] == "password" for e in body["errors"])
    # The submitted value is never echoed back.
    assert not password or password not in response.text


def test_duplicate_email_is_409_whatever_its_case(client: TestClient, world: World) -> None:
    first = create_user(client, world, email="duplicate@example.org", password=PASSWORD)
    assert first.status_code == 201, first.text

    again = create_user(client, world, email="Duplicate@EXAMPLE.org", password=PASSWORD)
    existing = create_user(client, world, email=world.staff_a.email.upper(), password=PASSWORD)

    assert_problem(again, 409, "conflict")
    assert_problem(existing, 409, "conflict")


def test_centre_staff_without_centres_is_422(client: TestClient, world: World) -> None:
    assert_problem(create_user(client, world, centre_ids=[]), 422, "unprocessable")


def test_naccc_staff_with_centres_is_422(client: TestClient, world: World) -> None:
    assert_problem(create_user(client, world, role="naccc_staff"), 422, "unprocessable")


def test_naccc_staff_without_centres_is_created(client: TestClient, world: World) -> None:
    response = create_user(client, world, role="naccc_staff", centre_ids=[], password=PASSWORD)

    assert response.status_code == 201, response.text
    assert response.json()["centre_ids"] == []


def test_unknown_centre_is_422(client: TestClient, world: World) -> None:
    response = create_user(client, world, centre_ids=[str(world.centre_a.id), str(uuid.uuid4())])

    body = assert_problem(response, 422, "unprocessable")
    assert body["errors"][0]["loc"] == ["body", "centre_ids"]


@pytest.mark.parametrize(
    "changes",
    [
        {"role": "inspector"},
        {"role": "admin"},
        {"email": "not-an-email"},
        {"is_superuser": True},
        {"full_name": ""},
    ],
    ids=["inspector-role", "unknown-role", "bad-email", "unknown-field", "empty-name"],
)
def test_invalid_bodies_are_422(client: TestClient, world: World, changes: dict[str, Any]) -> None:
    assert_problem(create_user(client, world, **changes), 422, "validation-error")


def test_centre_staff_cannot_create_users(client: TestClient, world: World) -> None:
    response = client.post(USERS, json=user_body(world), headers=world.headers("centre_staff"))

    assert_problem(response, 403, "forbidden")


# --- updating -----------------------------------------------------------------------------------


def test_patch_without_if_match_is_428(client: TestClient, world: World) -> None:
    response = patch(client, world, world.staff_a.id, {"full_name": "Renamed"}, None)

    assert_problem(response, 428, "precondition-required")


def test_patch_with_a_stale_version_is_412_and_changes_nothing(
    client: TestClient, world: World
) -> None:
    first = patch(client, world, world.staff_a.id, {"full_name": "First"}, '"1"')
    assert first.status_code == 200, first.text

    stale = patch(client, world, world.staff_a.id, {"full_name": "Second"}, '"1"')

    assert_problem(stale, 412, "precondition-failed")
    fetched = client.get(f"{USERS}/{world.staff_a.id}", headers=world.headers("naccc_staff"))
    assert fetched.json()["full_name"] == "First"
    assert fetched.headers["ETag"] == '"2"'


def test_patch_with_a_version_that_never_was_is_412(client: TestClient, world: World) -> None:
    response = patch(client, world, world.staff_a.id, {"full_name": "Renamed"}, '"7"')

    assert_problem(response, 412)
    fetched = client.get(f"{USERS}/{world.staff_a.id}", headers=world.headers("naccc_staff"))
    assert fetched.json()["full_name"] == "Test User"
    assert fetched.headers["ETag"] == '"1"'


def test_patch_with_the_current_version_moves_the_etag(client: TestClient, world: World) -> None:
    read = client.get(f"{USERS}/{world.staff_a.id}", headers=world.headers("naccc_staff"))
    assert read.headers["ETag"] == '"1"'

    response = patch(
        client, world, world.staff_a.id, {"full_name": "Renamed"}, read.headers["ETag"]
    )

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    assert response.json()["version"] == 2
    assert response.json()["full_name"] == "Renamed"


def test_patch_of_an_unknown_user_is_404(client: TestClient, world: World) -> None:
    assert_problem(patch(client, world, uuid.uuid4(), {"full_name": "X"}, '"1"'), 404)


def test_changing_centres_changes_what_the_user_sees(client: TestClient, world: World) -> None:
    token = world.tokens["centre_staff"]
    a, b = str(world.centre_a.id), str(world.centre_b.id)
    assert visible_centres(client, token) == {a}

    moved = patch(client, world, world.staff_a.id, {"centre_ids": [b]}, '"1"')

    assert moved.status_code == 200, moved.text
    assert moved.headers["ETag"] == '"2"'
    # A change of centres ends the tokens issued before it (§6); a new token sees the new ones.
    assert_problem(client.get(f"{API}/centres", headers=bearer(token)), 401)
    token = world.token_for(world.staff_a)
    assert visible_centres(client, token) == {b}
    assert_problem(client.get(f"{API}/centres/{a}", headers=bearer(token)), 404)

    both = patch(client, world, world.staff_a.id, {"centre_ids": [a, b]}, '"2"')
    assert both.status_code == 200, both.text
    assert visible_centres(client, world.token_for(world.staff_a)) == {a, b}


def test_clearing_the_centres_of_centre_staff_is_422(client: TestClient, world: World) -> None:
    assert_problem(
        patch(client, world, world.staff_a.id, {"centre_ids": []}, '"1"'), 422, "unprocessable"
    )


def test_setting_a_field_to_null_is_422(client: TestClient, world: World) -> None:
    assert_problem(patch(client, world, world.staff_a.id, {"full_name": None}, '"1"'), 422)


def test_an_admin_cannot_deactivate_itself(client: TestClient, world: World) -> None:
    response = patch(client, world, world.admin.id, {"is_active": False}, '"1"')

    assert_problem(response, 409, "conflict")
    assert client.get(f"{USERS}/{world.admin.id}", headers=world.headers("naccc_staff")).json()[
        "is_active"
    ]


def test_an_admin_cannot_demote_itself(client: TestClient, world: World, db: Session) -> None:
    make_user(db, "naccc_staff")  # not the last administrator
    db.commit()

    response = patch(
        client,
        world,
        world.admin.id,
        {"role": "centre_staff", "centre_ids": [str(world.centre_a.id)]},
        '"1"',
    )

    assert_problem(response, 409)


def _only_administrator(world: World, db: Session) -> dict[str, str]:
    """Leaves world.admin the only active naccc_staff user; returns a service client's headers."""
    db.execute(
        update(UserAccount)
        .where(UserAccount.role == "naccc_staff", UserAccount.id != world.admin.id)
        .values(is_active=False)
    )
    db.commit()
    # Every permission: changing an administrator needs what an administrator holds (§6).
    service_client = world.make_service_client([p.value for p in Perm])
    return bearer(tokens.issue(world.settings, service_client.id, "service")[0])


def test_the_last_active_naccc_staff_cannot_be_demoted(
    client: TestClient, world: World, db: Session
) -> None:
    headers = _only_administrator(world, db)

    demoted = patch(
        client,
        world,
        world.admin.id,
        {"role": "centre_staff", "centre_ids": [str(world.centre_a.id)]},
        '"1"',
        headers=headers,
    )
    deactivated = patch(client, world, world.admin.id, {"is_active": False}, '"1"', headers=headers)

    assert_problem(demoted, 409, "conflict")
    assert_problem(deactivated, 409, "conflict")
    fetched = client.get(f"{USERS}/{world.admin.id}", headers=headers).json()
    assert fetched["role"] == "naccc_staff" and fetched["is_active"] is True


def test_a_naccc_staff_can_be_demoted_when_another_remains(
    client: TestClient, world: World, db: Session
) -> None:
    headers = _only_administrator(world, db)
    other = make_user(db, "naccc_staff")
    db.commit()

    response = patch(
        client,
        world,
        other.id,
        {"role": "centre_staff", "centre_ids": [str(world.centre_a.id)]},
        '"1"',
        headers=headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["role"] == "centre_staff"


def test_an_inactive_naccc_staff_does_not_count_as_remaining(
    client: TestClient, world: World, db: Session
) -> None:
    headers = _only_administrator(world, db)
    make_user(db, "naccc_staff", is_active=False)
    db.commit()

    response = patch(client, world, world.admin.id, {"is_active": False}, '"1"', headers=headers)

    assert_problem(response, 409)


def test_centre_staff_cannot_patch_users(client: TestClient, world: World) -> None:
    response = patch(
        client, world, world.staff_a.id, {"full_name": "X"}, '"1"', role="centre_staff"
    )

    assert_problem(response, 403, "forbidden")


# --- passwords at rest --------------------------------------------------------------------------


def test_user_rows_never_hold_the_password_in_clear(
    client: TestClient, world: World, db: Session
) -> None:
    chosen = create_user(client, world, password=PASSWORD).json()
    generated = create_user(client, world).json()
    one_time = generated["one_time_password"]
    changed_to = "another long password"
    assert patch(client, world, chosen["id"], {"password": changed_to}, '"1"').status_code == 200

    db.expire_all()
    rows = {r.id: r for r in db.scalars(select(UserAccount)).all()}
    chosen_row, generated_row = rows[uuid.UUID(chosen["id"])], rows[uuid.UUID(generated["id"])]

    for row, password in ((chosen_row, changed_to), (generated_row, one_time)):
        assert row.password_hash.startswith("$argon2")
        assert verify_secret(password, row.password_hash)
        stored = repr({c.key: getattr(row, c.key) for c in UserAccount.__mapper__.column_attrs})
        for secret in (PASSWORD, changed_to, one_time):
            assert secret not in stored
    assert not verify_secret(PASSWORD, chosen_row.password_hash)
