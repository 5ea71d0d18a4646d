"""Inspector grants: read-only, one centre, at most 14 days, revocable at once (§2)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.db import utcnow
from tests.factories import World, bearer, make_grant
from tests.helpers import assert_problem

API = "/api/v1"
GRANTS = f"{API}/inspector-grants"


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def grant_body(world: World, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "centre_id": str(world.centre_a.id),
        "inspector_name": "Ofsted-style inspector",
        "organisation": "NACCC accreditation",
        "expires_at": (utcnow() + timedelta(days=3)).isoformat(),
    }
    body.update(changes)
    return body


def create_grant(client: TestClient, world: World, **changes: Any) -> dict[str, Any]:
    response = client.post(
        GRANTS, json=grant_body(world, **changes), headers=world.headers("naccc_staff")
    )
    assert response.status_code == 201, response.text
    return response.json()


# --- creating -----------------------------------------------------------------------------------


def test_create_returns_the_token_once(client: TestClient, world: World) -> None:
    expires_at = utcnow() + timedelta(days=3)

    created = create_grant(client, world, expires_at=expires_at.isoformat())

    assert created["token"]
    assert created["centre_id"] == str(world.centre_a.id)
    assert created["active"] is True
    assert created["revoked_at"] is None
    assert created["created_by_id"] == str(world.admin.id)
    assert abs(parse_time(created["expires_at"]) - expires_at) < timedelta(seconds=1)
    fetched = client.get(f"{GRANTS}/{created['id']}", headers=world.headers("naccc_staff"))
    assert fetched.status_code == 200, fetched.text
    assert "token" not in fetched.json()
    assert created["token"] not in fetched.text
    listed = client.get(GRANTS, headers=world.headers("naccc_staff"))
    assert created["token"] not in listed.text
    assert all("token" not in item for item in listed.json()["items"])


def test_created_token_reads_the_granted_centre(client: TestClient, world: World) -> None:
    created = create_grant(client, world)

    response = client.get(f"{API}/centres/{world.centre_a.id}", headers=bearer(created["token"]))

    assert response.status_code == 200, response.text
    me = client.get(f"{API}/auth/me", headers=bearer(created["token"])).json()
    assert me["kind"] == "inspector"
    assert me["role"] == "inspector"
    assert me["centre_ids"] == [str(world.centre_a.id)]


def test_a_grant_of_almost_fourteen_days_is_accepted(client: TestClient, world: World) -> None:
    created = create_grant(
        client, world, expires_at=(utcnow() + timedelta(days=14, minutes=-5)).isoformat()
    )

    assert created["active"] is True


@pytest.mark.parametrize(
    "expires_in",
    [timedelta(days=14, minutes=5), timedelta(days=15), timedelta(days=365)],
    ids=["14-days-and-5-minutes", "15-days", "a-year"],
)
def test_expiry_more_than_fourteen_days_ahead_is_422(
    client: TestClient, world: World, expires_in: timedelta
) -> None:
    body = grant_body(world, expires_at=(utcnow() + expires_in).isoformat())

    response = client.post(GRANTS, json=body, headers=world.headers("naccc_staff"))

    assert_problem(response, 422, "unprocessable")


@pytest.mark.parametrize(
    "expires_in",
    [timedelta(minutes=-1), timedelta(days=-3)],
    ids=["a-minute-ago", "three-days-ago"],
)
def test_expiry_in_the_past_is_422(client: TestClient, world: World, expires_in: timedelta) -> None:
    body = grant_body(world, expires_at=(utcnow() + expires_in).isoformat())

    response = client.post(GRANTS, json=body, headers=world.headers("naccc_staff"))

    assert_problem(response, 422, "unprocessable")


def test_naive_expiry_without_timezone_is_422(client: TestClient, world: World) -> None:
    naive = (utcnow() + timedelta(days=3)).replace(tzinfo=None).isoformat()

    response = client.post(
        GRANTS, json=grant_body(world, expires_at=naive), headers=world.headers("naccc_staff")
    )

    body = assert_problem(response, 422)
    assert any(e["loc"][-1] == "expires_at" for e in body["errors"])


def test_expiry_as_a_number_is_422(client: TestClient, world: World) -> None:
    epoch = int((utcnow() + timedelta(days=3)).timestamp())

    response = client.post(
        GRANTS, json=grant_body(world, expires_at=epoch), headers=world.headers("naccc_staff")
    )

    assert_problem(response, 422)


def test_expiry_in_another_timezone_is_stored_as_utc(client: TestClient, world: World) -> None:
    expires_at = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    as_plus_two = expires_at.astimezone(timezone(timedelta(hours=2))).isoformat()

    created = create_grant(client, world, expires_at=as_plus_two)

    fetched = client.get(f"{GRANTS}/{created['id']}", headers=world.headers("naccc_staff")).json()
    assert fetched["expires_at"].endswith("Z")
    assert parse_time(fetched["expires_at"]) == expires_at
    assert parse_time(created["expires_at"]) == expires_at


def test_create_answers_expiry_in_utc_with_z(client: TestClient, world: World) -> None:
    expires_at = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    as_plus_two = expires_at.astimezone(timezone(timedelta(hours=2))).isoformat()

    created = create_grant(client, world, expires_at=as_plus_two)

    assert created["expires_at"].endswith("Z"), created["expires_at"]


def test_unknown_centre_is_422(client: TestClient, world: World) -> None:
    body = grant_body(world, centre_id="00000000-0000-4000-8000-000000000000")

    response = client.post(GRANTS, json=body, headers=world.headers("naccc_staff"))

    problem = assert_problem(response, 422, "unprocessable")
    assert problem["errors"][0]["loc"] == ["body", "centre_id"]


def test_unknown_fields_are_422(client: TestClient, world: World) -> None:
    body = grant_body(world, permissions=["records:write"])

    response = client.post(GRANTS, json=body, headers=world.headers("naccc_staff"))

    assert_problem(response, 422, "validation-error")


# --- what the inspector's token can do ----------------------------------------------------------


def test_inspector_sees_only_its_centre(client: TestClient, world: World) -> None:
    headers = world.headers("inspector")

    own = client.get(f"{API}/centres/{world.centre_a.id}", headers=headers)
    other = client.get(f"{API}/centres/{world.centre_b.id}", headers=headers)
    listed = client.get(f"{API}/centres", headers=headers)

    assert own.status_code == 200, own.text
    assert_problem(other, 404)
    assert listed.status_code == 200, listed.text
    assert [c["id"] for c in listed.json()["items"]] == [str(world.centre_a.id)]


def test_every_response_to_an_inspector_is_no_store(client: TestClient, world: World) -> None:
    headers = world.headers("inspector")
    responses = [
        client.get(f"{API}/centres/{world.centre_a.id}", headers=headers),
        client.get(f"{API}/centres", headers=headers),
        client.get(f"{API}/auth/me", headers=headers),
        client.get(f"{API}/centres/{world.centre_b.id}", headers=headers),
        client.get(f"{API}/users", headers=headers),
        client.post(f"{API}/centres", json={"name": "X", "code": "XQ"}, headers=headers),
    ]

    assert [r.status_code for r in responses] == [200, 200, 200, 404, 403, 403]
    for response in responses:
        assert "no-store" in response.headers["Cache-Control"], response.request.url


def _writes(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    a = world.centre_a.id
    return [
        ("POST", f"{API}/centres", {"json": {"name": "New", "code": "NEWC"}}),
        (
            "PATCH",
            f"{API}/centres/{a}",
            {"json": {"name": "Renamed"}, "headers": {"If-Match": '"1"'}},
        ),
        (
            "POST",
            f"{API}/users",
            {
                "json": {
                    "email": "x@example.org",
                    "full_name": "X",
                    "role": "centre_staff",
                    "centre_ids": [str(a)],
                }
            },
        ),
        (
            "PATCH",
            f"{API}/users/{world.staff_a.id}",
            {"json": {"full_name": "X"}, "headers": {"If-Match": '"1"'}},
        ),
        (
            "POST",
            f"{API}/service-clients",
            {"json": {"name": "X", "permissions": ["centres:read"]}},
        ),
        ("POST", GRANTS, {"json": grant_body(world)}),
        ("DELETE", f"{GRANTS}/{world.grant_a.id}", {}),
    ]


@pytest.mark.parametrize(
    "index",
    range(7),
    ids=[
        "create-centre",
        "patch-centre",
        "create-user",
        "patch-user",
        "create-service-client",
        "create-grant",
        "revoke-own-grant",
    ],
)
def test_inspector_cannot_write_anything(client: TestClient, world: World, index: int) -> None:
    method, url, kwargs = _writes(world)[index]
    headers = {**world.headers("inspector"), **kwargs.pop("headers", {})}

    response = client.request(method, url, headers=headers, **kwargs)

    assert_problem(response, 403, "forbidden")
    assert client.get(f"{GRANTS}/{world.grant_a.id}", headers=world.headers("naccc_staff")).json()[
        "active"
    ]


def test_inspector_cannot_delete_a_service_client(client: TestClient, world: World) -> None:
    service_client = world.make_service_client()

    response = client.delete(
        f"{API}/service-clients/{service_client.id}", headers=world.headers("inspector")
    )

    assert_problem(response, 403)


# --- revoking -----------------------------------------------------------------------------------


def test_revoke_marks_the_grant_revoked_and_inactive(client: TestClient, world: World) -> None:
    created = create_grant(client, world)

    revoked = client.delete(f"{GRANTS}/{created['id']}", headers=world.headers("naccc_staff"))

    assert revoked.status_code == 200, revoked.text
    fetched = client.get(f"{GRANTS}/{created['id']}", headers=world.headers("naccc_staff")).json()
    assert fetched["revoked_at"] is not None
    assert fetched["revoked_by_id"] == str(world.admin.id)
    assert fetched["active"] is False
    assert_problem(
        client.get(f"{API}/centres/{world.centre_a.id}", headers=bearer(created["token"])), 401
    )


def test_revoking_twice_is_fine_and_keeps_the_first_time(client: TestClient, world: World) -> None:
    created = create_grant(client, world)

    first = client.delete(f"{GRANTS}/{created['id']}", headers=world.headers("naccc_staff"))
    second = client.delete(f"{GRANTS}/{created['id']}", headers=world.headers("naccc_staff"))

    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    assert second.json()["revoked_at"] == first.json()["revoked_at"]
    assert second.json()["active"] is False


def test_revoking_an_unknown_grant_is_404(client: TestClient, world: World) -> None:
    response = client.delete(
        f"{GRANTS}/00000000-0000-4000-8000-000000000000", headers=world.headers("naccc_staff")
    )

    assert_problem(response, 404)


# --- listing ------------------------------------------------------------------------------------


def test_list_filters_on_active(client: TestClient, world: World, db: Session) -> None:
    expired = make_grant(db, world.centre_b, world.admin, expires_at=utcnow() - timedelta(hours=1))
    db.commit()
    revoked = create_grant(client, world)
    client.delete(f"{GRANTS}/{revoked['id']}", headers=world.headers("naccc_staff"))
    admin = world.headers("naccc_staff")

    active = client.get(GRANTS, params={"active": "true"}, headers=admin)
    inactive = client.get(GRANTS, params={"active": "false"}, headers=admin)
    everything = client.get(GRANTS, headers=admin)

    assert active.status_code == inactive.status_code == everything.status_code == 200
    active_ids = {g["id"] for g in active.json()["items"]}
    inactive_ids = {g["id"] for g in inactive.json()["items"]}
    assert str(world.grant_a.id) in active_ids
    assert {revoked["id"], str(expired.id)} <= inactive_ids
    assert not active_ids & inactive_ids
    assert all(g["active"] for g in active.json()["items"])
    assert not any(g["active"] for g in inactive.json()["items"])
    assert {g["id"] for g in everything.json()["items"]} == active_ids | inactive_ids


def test_list_filters_on_centre(client: TestClient, world: World, db: Session) -> None:
    other = make_grant(db, world.centre_b, world.admin)
    db.commit()

    response = client.get(
        GRANTS, params={"centre_id": str(world.centre_b.id)}, headers=world.headers("naccc_staff")
    )

    assert response.status_code == 200, response.text
    assert [g["id"] for g in response.json()["items"]] == [str(other.id)]


def test_invalid_active_filter_is_422(client: TestClient, world: World) -> None:
    response = client.get(
        GRANTS, params={"active": "perhaps"}, headers=world.headers("naccc_staff")
    )

    assert_problem(response, 422)


@pytest.mark.parametrize("role", ["centre_staff", "inspector"])
def test_only_naccc_staff_list_grants(client: TestClient, world: World, role: str) -> None:
    assert_problem(client.get(GRANTS, headers=world.headers(role)), 403, "forbidden")


def test_centre_staff_cannot_create_or_revoke_grants(client: TestClient, world: World) -> None:
    headers = world.headers("centre_staff")

    assert_problem(client.post(GRANTS, json=grant_body(world), headers=headers), 403)
    assert_problem(client.delete(f"{GRANTS}/{world.grant_a.id}", headers=headers), 403)
