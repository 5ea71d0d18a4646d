"""Incidents: every rule with its failing input and problem; encryption at rest; no delete."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.db import utcnow
from app.incidents.service import eighteenth_birthday
from tests.cases.factories import (
    assert_problem,
    make_child,
    make_incident,
    make_person,
    make_referral,
)
from tests.factories import World

URL = "/api/v1/incidents"


def _headers(world: World, version: int | None = None, role: str = "centre_staff") -> dict:
    return {**world.headers(role), **({"If-Match": f'"{version}"'} if version else {})}


def _body(world: World, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "centre_id": str(world.centre_a.id),
        "kind": "safeguarding",
        "occurred_at": "2026-01-17T11:00:00Z",
        "description": "Child disclosed being hit at home",
        "action_taken": "Called the local authority's front door",
        "reported_by": "Centre Coordinator",
        "referred_to_authority": True,
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def _create(client: TestClient, world: World, **fields: Any):
    return client.post(URL, json=_body(world, **fields), headers=_headers(world))


def _field(body: dict[str, Any]) -> str:
    return body["errors"][0]["loc"][-1]


def test_create_read_list_and_encrypt(client: TestClient, world: World) -> None:
    child = make_child(world.session, world.centre_a)
    referral = make_referral(world.session, world.centre_a)
    world.session.commit()
    response = _create(client, world, child_id=str(child.id), referral_id=str(referral.id))
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["etag"] == '"1"'
    assert created["child_id"] == str(child.id)
    assert created["referral_id"] == str(referral.id)
    assert created["occurred_at"] == "2026-01-17T11:00:00Z"
    got = client.get(f"{URL}/{created['id']}", headers=_headers(world))
    assert got.json()["description"] == "Child disclosed being hit at home"

    raw = world.session.execute(
        text("SELECT description, action_taken FROM incident WHERE reported_by = :r"),
        {"r": "Centre Coordinator"},
    ).one()
    assert b"hit at home" not in bytes(raw[0])
    assert b"front door" not in bytes(raw[1])

    listed = client.get(URL, params={"child_id": str(child.id)}, headers=_headers(world))
    assert [i["id"] for i in listed.json()["items"]] == [created["id"]]
    for params, count in (
        ({"kind": "accident"}, 0),
        ({"kind": "safeguarding"}, 1),
        ({"referral_id": str(referral.id)}, 1),
        ({"referred_to_authority": "false"}, 0),
        ({"occurred_from": "2026-01-18T00:00:00Z"}, 0),
        ({"occurred_to": "2026-01-18T00:00:00Z"}, 1),
    ):
        items = client.get(URL, params=params, headers=_headers(world)).json()["items"]
        assert len(items) == count, params


def test_list_pages_with_a_cursor(client: TestClient, world: World) -> None:
    for _ in range(3):
        make_incident(world.session, world.centre_a, kind="accident")
    world.session.commit()
    first = client.get(URL, params={"limit": 2}, headers=_headers(world)).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client.get(
        URL, params={"limit": 2, "cursor": first["next_cursor"]}, headers=_headers(world)
    ).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None


@pytest.mark.parametrize("kind", ["safeguarding", "child_protection"])
def test_the_child_is_required_for_safeguarding_and_child_protection(
    client: TestClient, world: World, kind: str
) -> None:
    body = assert_problem(_create(client, world, kind=kind), 422, "unprocessable")
    assert _field(body) == "child_id"


def test_an_accident_may_have_no_child(client: TestClient, world: World) -> None:
    response = _create(client, world, kind="accident")
    assert response.status_code == 201, response.text
    assert response.json()["child_id"] is None


def test_the_child_needs_a_date_of_birth(client: TestClient, world: World) -> None:
    child = make_child(world.session, world.centre_a, date_of_birth=None)
    world.session.commit()
    body = assert_problem(_create(client, world, child_id=str(child.id)), 422, "unprocessable")
    assert _field(body) == "child_id" and "date of birth" in body["detail"]


def test_the_child_must_be_under_18_when_it_occurred(client: TestClient, world: World) -> None:
    # 18 on 2026-01-17, the day of the incident: no longer a child.
    adult = make_child(world.session, world.centre_a, date_of_birth=date(2008, 1, 17))
    almost = make_child(world.session, world.centre_a, date_of_birth=date(2008, 1, 18))
    world.session.commit()
    body = assert_problem(_create(client, world, child_id=str(adult.id)), 422, "unprocessable")
    assert "18" in body["detail"]
    assert _create(client, world, child_id=str(almost.id)).status_code == 201
    # An accident names a child too when it names one: the same rule.
    assert_problem(
        _create(client, world, kind="accident", child_id=str(adult.id)), 422, "unprocessable"
    )


def test_the_age_is_counted_on_the_london_day(client: TestClient, world: World) -> None:
    # 23:30 UTC on 16 January in winter is still 16 January in London.
    child = make_child(world.session, world.centre_a, date_of_birth=date(2008, 1, 17))
    world.session.commit()
    ok = _create(client, world, child_id=str(child.id), occurred_at="2026-01-16T23:30:00Z")
    assert ok.status_code == 201, ok.text
    # In summer 23:30 UTC is already the next day in London.
    summer = make_child(world.session, world.centre_a, date_of_birth=date(2008, 7, 2))
    world.session.commit()
    late = _create(client, world, child_id=str(summer.id), occurred_at="2026-07-01T23:30:00Z")
    assert_problem(late, 422, "unprocessable")


def test_a_leap_day_birthday_turns_18_on_the_first_of_march() -> None:
    assert eighteenth_birthday(date(2008, 2, 29)) == date(2026, 3, 1)
    assert eighteenth_birthday(date(2008, 3, 1)) == date(2026, 3, 1)


def test_the_child_cannot_be_born_after_the_incident(client: TestClient, world: World) -> None:
    baby = make_child(world.session, world.centre_a, date_of_birth=date(2026, 2, 1))
    world.session.commit()
    assert_problem(_create(client, world, child_id=str(baby.id)), 422, "unprocessable")


def test_another_centres_child_or_referral_is_unknown(client: TestClient, world: World) -> None:
    stranger = make_child(world.session, world.centre_b)
    referral_b = make_referral(world.session, world.centre_b)
    child = make_child(world.session, world.centre_a)
    world.session.commit()
    for role in ("centre_staff", "naccc_staff"):
        body = assert_problem(
            client.post(
                URL,
                json=_body(world, child_id=str(stranger.id)),
                headers=_headers(world, None, role),
            ),
            422,
            "unprocessable",
        )
        assert _field(body) == "child_id"
        body = assert_problem(
            client.post(
                URL,
                json=_body(world, child_id=str(child.id), referral_id=str(referral_b.id)),
                headers=_headers(world, None, role),
            ),
            422,
            "unprocessable",
        )
        assert _field(body) == "referral_id"


def test_another_centre_in_the_body_is_unknown(client: TestClient, world: World) -> None:
    body = _body(world, kind="accident", centre_id=str(world.centre_b.id))
    assert_problem(client.post(URL, json=body, headers=_headers(world)), 422, "unprocessable")


def test_occurred_at_cannot_be_in_the_future(client: TestClient, world: World) -> None:
    future = (utcnow() + timedelta(hours=2)).isoformat()
    body = assert_problem(
        _create(client, world, kind="accident", occurred_at=future), 422, "unprocessable"
    )
    assert _field(body) == "occurred_at"


def test_a_restricted_child_is_not_written_to(client: TestClient, world: World) -> None:
    child = make_child(
        world.session,
        world.centre_a,
        processing_restricted=True,
        processing_restricted_since=utcnow(),
    )
    world.session.commit()
    assert_problem(_create(client, world, child_id=str(child.id)), 409, "conflict")


def test_update_needs_if_match_and_rechecks_the_rules(client: TestClient, world: World) -> None:
    incident = make_incident(world.session, world.centre_a, kind="accident")
    adult = make_person(world.session, world.centre_a, date_of_birth=date(1990, 1, 1))
    world.session.commit()
    url = f"{URL}/{incident.id}"
    patch = {"action_taken": "First aid given"}
    assert_problem(client.patch(url, json=patch, headers=_headers(world)), 428)
    assert_problem(client.patch(url, json=patch, headers=_headers(world, 7)), 412)
    ok = client.patch(url, json=patch, headers=_headers(world, 1))
    assert ok.status_code == 200 and ok.json()["version"] == 2
    assert ok.headers["etag"] == '"2"'
    # Becoming safeguarding without a child, naming an adult, nulling a required field: 422.
    for change, field, slug in (
        ({"kind": "safeguarding"}, "child_id", "unprocessable"),
        ({"child_id": str(adult.id)}, "child_id", "unprocessable"),
        ({"description": None}, "description", "validation-error"),
        (
            {"occurred_at": (utcnow() + timedelta(days=1)).isoformat()},
            "occurred_at",
            "unprocessable",
        ),
    ):
        body = assert_problem(client.patch(url, json=change, headers=_headers(world, 2)), 422, slug)
        assert _field(body) == field, change


def test_unknown_fields_are_refused(client: TestClient, world: World) -> None:
    assert_problem(_create(client, world, kind="accident", severity="high"), 422)


def test_incidents_cannot_be_deleted(client: TestClient, world: World) -> None:
    incident = make_incident(world.session, world.centre_a)
    world.session.commit()
    response = client.delete(f"{URL}/{incident.id}", headers=_headers(world, 1, "naccc_staff"))
    assert_problem(response, 405)


def test_an_incident_is_read_only_for_an_inspector(client: TestClient, world: World) -> None:
    incident = make_incident(world.session, world.centre_a)
    world.session.commit()
    url = f"{URL}/{incident.id}"
    assert client.get(url, headers=world.headers("inspector")).status_code == 200
    response = client.patch(
        url, json={"referred_to_authority": True}, headers=_headers(world, 1, "inspector")
    )
    assert_problem(response, 403)
