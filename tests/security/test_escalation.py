"""Finding 3: no escalation (§6). Generated from the permissions table: for every route that
grants roles, permissions, centres or inspector access, a service client holding only that
route's permission is refused anything beyond what it holds; a client never edits itself."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db import utcnow
from app.security import tokens
from app.security.permissions import ROLE_PERMISSIONS, Perm, Role
from tests.factories import World, bearer
from tests.helpers import assert_problem

API = "/api/v1"
# The routes that hand out access, by the one permission each declares.
GRANTING = {
    Perm.users_write: "users",
    Perm.clients_admin: "service-clients",
    Perm.grants_admin: "inspector-grants",
}


def holder_of(world: World, permissions: set[Perm]) -> str:
    client = world.make_service_client(sorted(p.value for p in permissions))
    return tokens.issue(world.settings, client.id, "service")[0]


def attempts(world: World, route: str) -> list[dict[str, Any]]:
    """Bodies that would grant something the bare route permission does not include."""
    expires = (utcnow() + timedelta(days=2)).isoformat()
    if route == "users":
        return [
            {"email": f"{role}@example.org", "full_name": "E", "role": role, "centre_ids": c}
            for role, c in (("naccc_staff", []), ("centre_staff", [str(world.centre_a.id)]))
        ]
    if route == "service-clients":
        beyond = [p.value for p in Perm if p not in (Perm.clients_admin,)]
        return [{"name": "E", "permissions": [p]} for p in beyond]
    return [
        {"centre_id": str(world.centre_a.id), "inspector_name": "E", "expires_at": expires},
        {
            "centre_id": str(world.centre_a.id),
            "inspector_name": "E",
            "expires_at": expires,
            "includes": ["documents"],
        },
    ]


@pytest.mark.parametrize("permission", list(GRANTING), ids=lambda p: p.value)
def test_a_principal_holding_only_a_granting_permission_grants_nothing_beyond_it(
    client: TestClient, world: World, permission: Perm
) -> None:
    token = holder_of(world, {permission})
    route = GRANTING[permission]
    for body in attempts(world, route):
        response = client.post(f"{API}/{route}", json=body, headers=bearer(token))
        assert_problem(response, 403)


def test_a_service_client_may_grant_permissions_it_holds(client: TestClient, world: World) -> None:
    token = holder_of(world, {Perm.clients_admin, Perm.users_read})
    response = client.post(
        f"{API}/service-clients",
        json={"name": "Sub", "permissions": ["users:read"]},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text


def test_a_holder_of_the_inspector_role_may_issue_a_grant(client: TestClient, world: World) -> None:
    token = holder_of(world, {Perm.grants_admin, *ROLE_PERMISSIONS[Role.inspector]})
    body = {
        "centre_id": str(world.centre_a.id),
        "inspector_name": "I",
        "expires_at": (utcnow() + timedelta(days=2)).isoformat(),
    }
    assert (
        client.post(f"{API}/inspector-grants", json=body, headers=bearer(token)).status_code == 201
    )
    body["includes"] = ["documents"]
    assert_problem(client.post(f"{API}/inspector-grants", json=body, headers=bearer(token)), 403)


def test_a_service_client_never_edits_its_own_permissions(client: TestClient, world: World) -> None:
    holder = world.make_service_client([p.value for p in Perm])
    token = tokens.issue(world.settings, holder.id, "service")[0]
    response = client.patch(
        f"{API}/service-clients/{holder.id}",
        json={"permissions": ["centres:read"]},
        headers={**bearer(token), "If-Match": '"1"'},
    )
    assert_problem(response, 403)


def test_users_write_alone_cannot_take_over_an_administrator(
    client: TestClient, world: World
) -> None:
    token = holder_of(world, {Perm.users_write})
    response = client.patch(
        f"{API}/users/{world.admin.id}",
        json={"password": "a brand new long password"},
        headers={**bearer(token), "If-Match": '"1"'},
    )
    assert_problem(response, 403)
