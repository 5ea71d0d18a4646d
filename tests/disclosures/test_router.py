"""The disclosure register: people of the centre, links of the same centre, filters, no delete."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, text

from app.db import utcnow
from tests.cases.factories import (
    assert_problem,
    make_disclosure,
    make_incident,
    make_person,
    make_referral,
)
from tests.factories import World

URL = "/api/v1/disclosures"


def _headers(world: World, version: int | None = None, role: str = "centre_staff") -> dict:
    return {**world.headers(role), **({"If-Match": f'"{version}"'} if version else {})}


def _body(world: World, people: list[Any], **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "centre_id": str(world.centre_a.id),
        "recipient_type": "police",
        "recipient_name": "Cambridgeshire Constabulary",
        "lawful_basis": "emergency",
        "person_ids": [str(p.id) for p in people],
        "shared": "Names and address of the father after the incident",
        "disclosed_at": "2026-01-17T12:00:00Z",
        "disclosed_by": "Centre Coordinator",
    }
    body.update(fields)
    return body


def _create(client: TestClient, world: World, people: list[Any], role="centre_staff", **fields):
    return client.post(
        URL, json=_body(world, people, **fields), headers=_headers(world, None, role)
    )


def _field(body: dict[str, Any]) -> str:
    return body["errors"][0]["loc"][-1]


def test_create_read_and_encrypt(client: TestClient, world: World) -> None:
    mother = make_person(world.session, world.centre_a)
    father = make_person(world.session, world.centre_a)
    referral = make_referral(world.session, world.centre_a)
    incident = make_incident(world.session, world.centre_a)
    world.session.commit()
    response = _create(
        client,
        world,
        [mother, father],
        referral_id=str(referral.id),
        incident_id=str(incident.id),
        subject_informed=True,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert sorted(created["person_ids"]) == sorted([str(mother.id), str(father.id)])
    assert created["referral_id"] == str(referral.id)
    assert created["incident_id"] == str(incident.id)
    assert created["recorded_by_id"] == str(world.staff_a.id)
    assert created["subject_informed"] is True
    got = client.get(f"{URL}/{created['id']}", headers=_headers(world, None, "inspector"))
    assert got.status_code == 200 and got.headers["etag"] == '"1"'
    shared = world.session.execute(text("SELECT shared FROM disclosure")).scalars().all()
    assert shared and all(b"address" not in bytes(raw) for raw in shared)


def test_filters(client: TestClient, world: World) -> None:
    person = make_person(world.session, world.centre_a)
    other = make_person(world.session, world.centre_a)
    referral = make_referral(world.session, world.centre_a)
    incident = make_incident(world.session, world.centre_a)
    make_disclosure(world.session, world.centre_a, [person], referral_id=referral.id)
    make_disclosure(
        world.session,
        world.centre_a,
        [person, other],
        incident_id=incident.id,
        recipient_type="local_authority",
        lawful_basis="safeguarding",
    )
    make_disclosure(world.session, world.centre_b)
    world.session.commit()
    for params, count in (
        ({}, 2),
        ({"person_id": str(person.id)}, 2),
        ({"person_id": str(other.id)}, 1),
        ({"referral_id": str(referral.id)}, 1),
        ({"incident_id": str(incident.id)}, 1),
        ({"recipient_type": "local_authority"}, 1),
        ({"recipient_type": "court"}, 0),
        ({"lawful_basis": "safeguarding"}, 2),
        ({"disclosed_from": "2026-01-19T00:00:00Z"}, 0),
        ({"disclosed_to": "2026-01-19T00:00:00Z"}, 2),
        ({"centre_id": str(world.centre_b.id)}, 0),
    ):
        items = client.get(URL, params=params, headers=_headers(world)).json()["items"]
        assert len(items) == count, params
    everyone = client.get(URL, headers=_headers(world, None, "naccc_staff")).json()["items"]
    assert len(everyone) == 3


def test_at_least_one_person_each_once(client: TestClient, world: World) -> None:
    person = make_person(world.session, world.centre_a)
    world.session.commit()
    assert_problem(_create(client, world, []), 422)
    body = assert_problem(_create(client, world, [person, person]), 422, "unprocessable")
    assert _field(body) == "person_ids"


def test_people_and_links_belong_to_the_centre(client: TestClient, world: World) -> None:
    person = make_person(world.session, world.centre_a)
    stranger = make_person(world.session, world.centre_b)
    referral_b = make_referral(world.session, world.centre_b)
    incident_b = make_incident(world.session, world.centre_b)
    world.session.commit()
    for role in ("centre_staff", "naccc_staff"):
        for people, fields, field in (
            ([person, stranger], {}, "person_ids"),
            ([person], {"referral_id": str(referral_b.id)}, "referral_id"),
            ([person], {"incident_id": str(incident_b.id)}, "incident_id"),
        ):
            body = assert_problem(
                _create(client, world, people, role, **fields), 422, "unprocessable"
            )
            assert _field(body) == field, (role, field)
    assert_problem(
        _create(client, world, [person], centre_id=str(world.centre_b.id)), 422, "unprocessable"
    )


def test_disclosed_at_cannot_be_in_the_future(client: TestClient, world: World) -> None:
    person = make_person(world.session, world.centre_a)
    world.session.commit()
    future = (utcnow() + timedelta(hours=1)).isoformat()
    body = assert_problem(_create(client, world, [person], disclosed_at=future), 422)
    assert _field(body) == "disclosed_at"


def test_bad_enums_are_refused(client: TestClient, world: World) -> None:
    person = make_person(world.session, world.centre_a)
    world.session.commit()
    assert_problem(_create(client, world, [person], recipient_type="press"), 422)
    assert_problem(_create(client, world, [person], lawful_basis="curiosity"), 422)


def test_a_restricted_person_is_not_written_to(client: TestClient, world: World) -> None:
    restricted = make_person(
        world.session,
        world.centre_a,
        processing_restricted=True,
        processing_restricted_since=utcnow(),
    )
    other = make_person(world.session, world.centre_a)
    disclosure = make_disclosure(world.session, world.centre_a, [restricted])
    world.session.commit()
    assert_problem(_create(client, world, [other, restricted]), 409, "conflict")
    response = client.patch(
        f"{URL}/{disclosure.id}", json={"subject_informed": True}, headers=_headers(world, 1)
    )
    assert_problem(response, 409, "conflict")


def test_update_people_and_fields(client: TestClient, world: World) -> None:
    first = make_person(world.session, world.centre_a)
    second = make_person(world.session, world.centre_a)
    stranger = make_person(world.session, world.centre_b)
    disclosure = make_disclosure(world.session, world.centre_a, [first])
    world.session.commit()
    url = f"{URL}/{disclosure.id}"
    assert_problem(client.patch(url, json={"subject_informed": True}, headers=_headers(world)), 428)
    assert_problem(
        client.patch(url, json={"subject_informed": True}, headers=_headers(world, 9)), 412
    )
    swapped = client.patch(url, json={"person_ids": [str(second.id)]}, headers=_headers(world, 1))
    assert swapped.status_code == 200, swapped.text
    assert swapped.json()["person_ids"] == [str(second.id)]
    assert swapped.json()["version"] == 2  # the people alone move the version
    for change, field, slug in (
        ({"person_ids": [str(stranger.id)]}, "person_ids", "unprocessable"),
        ({"person_ids": None}, "person_ids", "validation-error"),
        ({"shared": None}, "shared", "validation-error"),
        (
            {"disclosed_at": (utcnow() + timedelta(days=1)).isoformat()},
            "disclosed_at",
            "unprocessable",
        ),
    ):
        body = assert_problem(client.patch(url, json=change, headers=_headers(world, 2)), 422, slug)
        assert _field(body) == field, change
    informed = client.patch(
        url, json={"subject_informed": True, "recipient_type": "court"}, headers=_headers(world, 2)
    )
    assert informed.json()["subject_informed"] is True
    assert informed.json()["recipient_type"] == "court"


def test_the_register_has_no_delete(client: TestClient, world: World) -> None:
    disclosure = make_disclosure(world.session, world.centre_a)
    world.session.commit()
    response = client.delete(f"{URL}/{disclosure.id}", headers=_headers(world, 1, "naccc_staff"))
    assert_problem(response, 405)


def test_reads_and_writes_are_audited_with_ids_only(client: TestClient, world: World) -> None:
    from app.audit.models import AuditEvent

    person = make_person(world.session, world.centre_a, full_name="Unique Audited Name")
    world.session.commit()
    created = _create(client, world, [person]).json()
    client.get(f"{URL}/{created['id']}", headers=_headers(world, None, "inspector"))
    events = world.session.scalars(
        select(AuditEvent).where(AuditEvent.resource_id == created["id"]).order_by(AuditEvent.seq)
    ).all()
    assert [(e.action, e.role) for e in events] == [
        ("disclosures_create", "centre_staff"),
        ("disclosures_get", "inspector"),
    ]
    assert all(e.centre_id == world.centre_a.id for e in events)
    stored = repr(
        [{c.key: getattr(e, c.key) for c in AuditEvent.__mapper__.column_attrs} for e in events]
    )
    assert "Unique Audited Name" not in stored and "Constabulary" not in stored
