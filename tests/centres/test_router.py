"""Centres: NACCC manages them; centre staff see their own only (§2, §7)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.factories import World
from tests.helpers import assert_problem

API = "/api/v1"
CENTRES = f"{API}/centres"


def create(client: TestClient, world: World, **body: Any) -> httpx.Response:
    return client.post(
        CENTRES,
        json={"name": "Cambridge & Ely", "code": "CE", **body},
        headers=world.headers("naccc_staff"),
    )


def patch(
    client: TestClient,
    world: World,
    centre_id: Any,
    body: dict[str, Any],
    if_match: str | None = '"1"',
) -> httpx.Response:
    headers = world.headers("naccc_staff")
    if if_match is not None:
        headers = {**headers, "If-Match": if_match}
    return client.patch(f"{CENTRES}/{centre_id}", json=body, headers=headers)


# --- create, list, get, patch -------------------------------------------------------------------


def test_create_returns_the_centre_with_defaults_and_etag(client: TestClient, world: World) -> None:
    response = create(
        client, world, accreditation_number="NACCC-123", contact_email="office@example.org"
    )

    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == '"1"'
    body = response.json()
    assert body["code"] == "CE"
    assert body["name"] == "Cambridge & Ely"
    assert body["accreditation_number"] == "NACCC-123"
    assert body["contact_email"] == "office@example.org"
    assert (body["year_end_month"], body["year_end_day"]) == (3, 31)
    assert body["version"] == 1
    assert body["created_at"].endswith("Z")


def test_created_centre_is_listed_and_readable(client: TestClient, world: World) -> None:
    created = create(client, world, year_end_month=12, year_end_day=31).json()
    admin = world.headers("naccc_staff")

    listed = client.get(CENTRES, headers=admin)
    fetched = client.get(f"{CENTRES}/{created['id']}", headers=admin)

    assert listed.status_code == 200, listed.text
    ids = [c["id"] for c in listed.json()["items"]]
    assert {created["id"], str(world.centre_a.id), str(world.centre_b.id)} <= set(ids)
    assert fetched.status_code == 200, fetched.text
    assert fetched.headers["ETag"] == '"1"'
    assert fetched.json() == created


def test_list_pages_with_a_cursor(client: TestClient, world: World) -> None:
    for code in ("PGA", "PGB", "PGC"):
        assert create(client, world, code=code).status_code == 201
    admin = world.headers("naccc_staff")

    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(CENTRES, params=params, headers=admin).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    everything = client.get(CENTRES, params={"limit": 200}, headers=admin).json()["items"]
    assert seen == [c["id"] for c in everything]
    assert len(seen) == len(set(seen)) >= 5


def test_patch_with_the_current_version_changes_the_centre(
    client: TestClient, world: World
) -> None:
    response = patch(
        client, world, world.centre_a.id, {"name": "Renamed", "year_end_month": 12}, '"1"'
    )

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    assert response.json()["name"] == "Renamed"
    assert (response.json()["year_end_month"], response.json()["year_end_day"]) == (12, 31)
    assert response.json()["code"] == "AA"
    fetched = client.get(f"{CENTRES}/{world.centre_a.id}", headers=world.headers("naccc_staff"))
    assert fetched.json()["name"] == "Renamed"


def test_patch_without_if_match_is_428(client: TestClient, world: World) -> None:
    assert_problem(patch(client, world, world.centre_a.id, {"name": "X"}, None), 428)


def test_patch_with_a_stale_version_is_412_and_changes_nothing(
    client: TestClient, world: World
) -> None:
    response = patch(client, world, world.centre_a.id, {"name": "X"}, '"2"')

    assert_problem(response, 412)
    assert client.get(
        f"{CENTRES}/{world.centre_a.id}", headers=world.headers("naccc_staff")
    ).json()["name"] == ("Centre AA")


def test_patch_cannot_change_the_code(client: TestClient, world: World) -> None:
    assert_problem(patch(client, world, world.centre_a.id, {"code": "ZZ"}), 422, "validation-error")


def test_patch_setting_the_name_to_null_is_422(client: TestClient, world: World) -> None:
    assert_problem(patch(client, world, world.centre_a.id, {"name": None}), 422)


def test_get_of_an_unknown_centre_is_404(client: TestClient, world: World) -> None:
    assert_problem(
        client.get(f"{CENTRES}/{uuid.uuid4()}", headers=world.headers("naccc_staff")),
        404,
        "not-found",
    )


# --- validation ---------------------------------------------------------------------------------


def test_duplicate_code_is_409(client: TestClient, world: World) -> None:
    response = create(client, world, code="AA")

    assert_problem(response, 409, "conflict")


@pytest.mark.parametrize("code", ["A", "ABCDEFGHI", "ce", "C1", "C-E", "CÉ", "", " CE"])
def test_code_not_two_to_eight_capital_letters_is_422(
    client: TestClient, world: World, code: str
) -> None:
    response = create(client, world, code=code)

    body = assert_problem(response, 422, "validation-error")
    assert any(e["loc"][-1] == "code" for e in body["errors"])


@pytest.mark.parametrize("code", ["CE", "ABCDEFGH"])
def test_codes_of_two_to_eight_capital_letters_are_accepted(
    client: TestClient, world: World, code: str
) -> None:
    assert create(client, world, code=code).status_code == 201


@pytest.mark.parametrize(
    ("month", "day"), [(2, 31), (2, 30), (2, 29), (4, 31), (6, 31), (9, 31), (11, 31)]
)
def test_year_end_that_is_not_a_day_of_every_year_is_422(
    client: TestClient, world: World, month: int, day: int
) -> None:
    response = create(client, world, year_end_month=month, year_end_day=day)

    body = assert_problem(response, 422, "unprocessable")
    assert body["type"] == "https://ccr.example.org/problems/unprocessable"
    assert body["errors"][0]["loc"] == ["body", "year_end_day"]


@pytest.mark.parametrize(("month", "day"), [(0, 1), (13, 1), (1, 0), (1, 32)])
def test_year_end_out_of_range_is_422(
    client: TestClient, world: World, month: int, day: int
) -> None:
    assert_problem(
        create(client, world, year_end_month=month, year_end_day=day), 422, "validation-error"
    )


def test_year_end_28_february_is_accepted(client: TestClient, world: World) -> None:
    assert create(client, world, year_end_month=2, year_end_day=28).status_code == 201


def test_patch_to_an_impossible_year_end_is_422_and_changes_nothing(
    client: TestClient, world: World
) -> None:
    # The stored day is 31: moving the month to February alone makes 31 February.
    response = patch(client, world, world.centre_a.id, {"year_end_month": 2})

    assert_problem(response, 422, "unprocessable")
    fetched = client.get(f"{CENTRES}/{world.centre_a.id}", headers=world.headers("naccc_staff"))
    assert (fetched.json()["year_end_month"], fetched.json()["year_end_day"]) == (3, 31)
    assert fetched.headers["ETag"] == '"1"'


@pytest.mark.parametrize(
    "extra",
    [{"id": str(uuid.uuid4())}, {"version": 5}, {"owner": "me"}],
    ids=["id", "version", "unknown"],
)
def test_unknown_fields_are_422(client: TestClient, world: World, extra: dict[str, Any]) -> None:
    created = create(client, world, **extra)
    patched = patch(client, world, world.centre_a.id, {"name": "X", **extra})

    assert_problem(created, 422, "validation-error")
    assert_problem(patched, 422, "validation-error")


def test_a_body_that_is_not_json_is_400(client: TestClient, world: World) -> None:
    response = client.post(
        CENTRES,
        content=b"{not json",
        headers={**world.headers("naccc_staff"), "Content-Type": "application/json"},
    )

    assert_problem(response, 400)


# --- scoping ------------------------------------------------------------------------------------


def test_centre_staff_lists_only_their_centre(client: TestClient, world: World) -> None:
    response = client.get(CENTRES, headers=world.headers("centre_staff"))

    assert response.status_code == 200, response.text
    assert [c["id"] for c in response.json()["items"]] == [str(world.centre_a.id)]


def test_centre_staff_get_404_for_another_centre(client: TestClient, world: World) -> None:
    headers = world.headers("centre_staff")

    own = client.get(f"{CENTRES}/{world.centre_a.id}", headers=headers)
    other = client.get(f"{CENTRES}/{world.centre_b.id}", headers=headers)
    unknown = client.get(f"{CENTRES}/{uuid.uuid4()}", headers=headers)

    assert own.status_code == 200, own.text
    assert_problem(other, 404)
    assert_problem(unknown, 404)
    assert other.json()["detail"] == unknown.json()["detail"]


@pytest.mark.parametrize("role", ["centre_staff", "inspector"])
def test_only_naccc_staff_create_or_patch_centres(
    client: TestClient, world: World, role: str
) -> None:
    headers = world.headers(role)

    created = client.post(CENTRES, json={"name": "X", "code": "XQ"}, headers=headers)
    patched = client.patch(
        f"{CENTRES}/{world.centre_a.id}", json={"name": "X"}, headers={**headers, "If-Match": '"1"'}
    )

    assert_problem(created, 403, "forbidden")
    assert_problem(patched, 403, "forbidden")


def test_anonymous_is_401(client: TestClient, world: World) -> None:
    response = client.get(CENTRES)

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"
