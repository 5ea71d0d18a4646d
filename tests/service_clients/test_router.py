"""Service clients: a secret shown once, a subset of permissions, deletion stops tokens (§2)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.security import tokens
from app.security.passwords import verify_secret
from app.service_clients.models import ServiceClient
from tests.factories import World, bearer
from tests.helpers import assert_problem

API = "/api/v1"
CLIENTS = f"{API}/service-clients"


def create_client(client: TestClient, world: World, permissions: list[str]) -> dict[str, Any]:
    response = client.post(
        CLIENTS,
        json={"name": "NACCC CRM", "permissions": permissions},
        headers=world.headers("naccc_staff"),
    )
    assert response.status_code == 201, response.text
    return response.json()


def client_token(client: TestClient, created: dict[str, Any]) -> str:
    response = client.post(
        f"{API}/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created["client_id"],
            "client_secret": created["client_secret"],
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_create_returns_the_secret_once(client: TestClient, world: World, db: Session) -> None:
    response = client.post(
        CLIENTS,
        json={"name": "NACCC CRM", "permissions": ["centres:read", "users:read"]},
        headers=world.headers("naccc_staff"),
    )

    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == '"1"'
    created = response.json()
    secret = created["client_secret"]
    assert len(secret) >= 24
    assert created["client_id"].startswith("ccr_")
    assert created["permissions"] == ["centres:read", "users:read"]
    assert created["is_active"] is True

    admin = world.headers("naccc_staff")
    fetched = client.get(f"{CLIENTS}/{created['id']}", headers=admin)
    listed = client.get(CLIENTS, headers=admin)
    assert fetched.status_code == listed.status_code == 200
    assert "client_secret" not in fetched.json()
    assert all("client_secret" not in item for item in listed.json()["items"])
    assert created["id"] in {item["id"] for item in listed.json()["items"]}
    assert secret not in fetched.text and secret not in listed.text

    row = db.get(ServiceClient, uuid.UUID(created["id"]))
    assert row is not None
    assert row.secret_hash != secret and row.secret_hash.startswith("$argon2")
    assert verify_secret(secret, row.secret_hash)
    stored = repr({c.key: getattr(row, c.key) for c in ServiceClient.__mapper__.column_attrs})
    assert secret not in stored


def test_duplicate_permissions_are_stored_once(client: TestClient, world: World) -> None:
    created = create_client(client, world, ["users:read", "centres:read", "users:read"])

    assert created["permissions"] == ["centres:read", "users:read"]


@pytest.mark.parametrize(
    "permissions",
    [["centres:read", "centres:destroy"], ["admin"], ["*"], ["CENTRES:READ"]],
    ids=["one-unknown", "admin", "wildcard", "upper-case"],
)
def test_unknown_permission_is_422(
    client: TestClient, world: World, permissions: list[str]
) -> None:
    response = client.post(
        CLIENTS,
        json={"name": "X", "permissions": permissions},
        headers=world.headers("naccc_staff"),
    )

    assert_problem(response, 422, "validation-error")


@pytest.mark.parametrize(
    "body", [{"name": "X", "permissions": []}, {"name": "X"}], ids=["empty", "missing"]
)
def test_empty_permissions_are_422(client: TestClient, world: World, body: dict[str, Any]) -> None:
    response = client.post(CLIENTS, json=body, headers=world.headers("naccc_staff"))

    problem = assert_problem(response, 422, "validation-error")
    assert any(e["loc"][-1] == "permissions" for e in problem["errors"])


def test_unknown_fields_are_422(client: TestClient, world: World) -> None:
    response = client.post(
        CLIENTS,
        json={"name": "X", "permissions": ["centres:read"], "client_secret": "chosen"},
        headers=world.headers("naccc_staff"),
    )

    assert_problem(response, 422, "validation-error")


def test_patching_permissions_changes_what_a_fresh_token_can_do(
    client: TestClient, world: World
) -> None:
    created = create_client(client, world, ["centres:read"])
    before = bearer(client_token(client, created))
    assert_problem(client.get(f"{API}/users", headers=before), 403)

    patched = client.patch(
        f"{CLIENTS}/{created['id']}",
        json={"permissions": ["users:read"]},
        headers={**world.headers("naccc_staff"), "If-Match": '"1"'},
    )

    assert patched.status_code == 200, patched.text
    assert patched.json()["permissions"] == ["users:read"]
    assert patched.headers["ETag"] == '"2"'
    after = bearer(client_token(client, created))
    assert client.get(f"{API}/users", headers=after).status_code == 200
    assert_problem(client.get(f"{API}/centres", headers=after), 403)
    assert client.get(f"{API}/auth/me", headers=after).json()["permissions"] == ["users:read"]


def test_patch_without_if_match_is_428(client: TestClient, world: World) -> None:
    service_client = world.make_service_client()

    response = client.patch(
        f"{CLIENTS}/{service_client.id}",
        json={"permissions": ["users:read"]},
        headers=world.headers("naccc_staff"),
    )

    assert_problem(response, 428)


def test_patch_with_a_stale_version_is_412_and_changes_nothing(
    client: TestClient, world: World
) -> None:
    service_client = world.make_service_client(["centres:read"])

    response = client.patch(
        f"{CLIENTS}/{service_client.id}",
        json={"permissions": ["users:write"]},
        headers={**world.headers("naccc_staff"), "If-Match": '"2"'},
    )

    assert_problem(response, 412)
    fetched = client.get(f"{CLIENTS}/{service_client.id}", headers=world.headers("naccc_staff"))
    assert fetched.json()["permissions"] == ["centres:read"]


def test_patching_permissions_to_empty_is_422(client: TestClient, world: World) -> None:
    service_client = world.make_service_client()

    response = client.patch(
        f"{CLIENTS}/{service_client.id}",
        json={"permissions": []},
        headers={**world.headers("naccc_staff"), "If-Match": '"1"'},
    )

    assert_problem(response, 422)


def test_a_deactivated_client_cannot_log_in_or_use_its_token(
    client: TestClient, world: World
) -> None:
    created = create_client(client, world, ["centres:read"])
    token = bearer(client_token(client, created))

    patched = client.patch(
        f"{CLIENTS}/{created['id']}",
        json={"is_active": False},
        headers={**world.headers("naccc_staff"), "If-Match": '"1"'},
    )

    assert patched.status_code == 200, patched.text
    assert_problem(client.get(f"{API}/centres", headers=token), 401)
    refused = client.post(
        f"{API}/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created["client_id"],
            "client_secret": created["client_secret"],
        },
    )
    assert_problem(refused, 401)


def test_delete_removes_the_client_and_stops_its_tokens(client: TestClient, world: World) -> None:
    service_client = world.make_service_client(["centres:read"])
    token = bearer(tokens.issue(world.settings, service_client.id, "service")[0])
    assert client.get(f"{API}/centres", headers=token).status_code == 200
    admin = world.headers("naccc_staff")

    deleted = client.delete(f"{CLIENTS}/{service_client.id}", headers=admin)

    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""
    assert_problem(client.get(f"{CLIENTS}/{service_client.id}", headers=admin), 404, "not-found")
    assert_problem(client.get(f"{API}/centres", headers=token), 401)
    assert_problem(client.delete(f"{CLIENTS}/{service_client.id}", headers=admin), 404)


@pytest.mark.parametrize("role", ["centre_staff", "inspector"])
def test_only_naccc_staff_manage_service_clients(
    client: TestClient, world: World, role: str
) -> None:
    headers = world.headers(role)

    assert_problem(client.get(CLIENTS, headers=headers), 403)
    assert_problem(
        client.post(CLIENTS, json={"name": "X", "permissions": ["centres:read"]}, headers=headers),
        403,
    )


def test_a_service_client_without_the_admin_permission_cannot_create_clients(
    client: TestClient, world: World
) -> None:
    service_client = world.make_service_client(["centres:read", "users:write"])
    token = bearer(tokens.issue(world.settings, service_client.id, "service")[0])

    response = client.post(
        CLIENTS, json={"name": "X", "permissions": ["service_clients:admin"]}, headers=token
    )

    assert_problem(response, 403)
