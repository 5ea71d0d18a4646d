"""People: scoping, the rules of the record, encryption at rest, read-only flags, versions."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text

from app.db import utcnow
from app.people.service import today
from tests.cases.factories import add_party, assert_problem, family, make_person, make_referral
from tests.factories import World

URL = "/api/v1/people"


def _create(client: TestClient, world: World, role: str = "centre_staff", **body: object):
    payload = {"centre_id": str(world.centre_a.id), "full_name": "Pat Parent", **body}
    return client.post(URL, json=payload, headers=world.headers(role))


def test_create_and_read_back(client: TestClient, world: World) -> None:
    response = _create(
        client,
        world,
        email="pat@example.com",
        phone="+44 1223 000000",
        address="1 Lane, Ely",
        date_of_birth="1990-04-01",
        sensitive="Dyslexia; needs written ground rules read aloud",
    )
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert body["centre_id"] == str(world.centre_a.id)
    assert body["sensitive"].startswith("Dyslexia")
    assert body["processing_restricted"] is False and body["erased_at"] is None
    got = client.get(f"{URL}/{body['id']}", headers=world.headers("inspector"))
    assert got.status_code == 200 and got.json() == body
    assert got.headers["etag"] == '"1"'


def test_sensitive_is_encrypted_at_rest(client: TestClient, world: World) -> None:
    secret = "Special category: takes medication for epilepsy"
    person_id = _create(client, world, sensitive=secret).json()["id"]
    raw = world.session.execute(
        text("SELECT sensitive FROM person WHERE id = :id"),
        {
            "id": person_id.replace("-", "")
            if world.session.get_bind().dialect.name == "sqlite"
            else person_id
        },
    ).scalar_one()
    assert raw is not None and secret.encode() not in bytes(raw)
    assert bytes(raw).startswith(b"gAAAAA")  # a Fernet token


def test_centre_of_another_caller_or_unknown_is_the_same_422(
    client: TestClient, world: World
) -> None:
    other = client.post(
        URL,
        json={"centre_id": str(world.centre_b.id), "full_name": "X"},
        headers=world.headers("centre_staff"),
    )
    body = assert_problem(other, 422, "unprocessable")
    assert body["errors"][0]["loc"] == ["body", "centre_id"]
    unknown = client.post(
        URL,
        json={"centre_id": "00000000-0000-4000-8000-000000000000", "full_name": "X"},
        headers=world.headers("naccc_staff"),
    )
    assert assert_problem(unknown, 422, "unprocessable")["detail"] == body["detail"]


def test_flags_are_read_only(client: TestClient, world: World) -> None:
    for flag, value in (
        ("processing_restricted", True),
        ("objected", True),
        ("erased_at", "2026-01-01T00:00:00Z"),
        ("do_not_disclose_address", True),
    ):
        body = assert_problem(_create(client, world, **{flag: value}), 422, "validation-error")
        assert body["errors"][0]["loc"] == ["body", flag]


def test_birth_date_in_the_future_is_refused(client: TestClient, world: World) -> None:
    tomorrow = (today() + timedelta(days=1)).isoformat()
    body = assert_problem(_create(client, world, date_of_birth=tomorrow), 422, "unprocessable")
    assert body["errors"][0]["loc"] == ["body", "date_of_birth"]


def test_bad_inputs_are_validation_problems(client: TestClient, world: World) -> None:
    assert_problem(_create(client, world, phone="call me"), 422, "validation-error")
    assert_problem(_create(client, world, full_name=""), 422, "validation-error")
    assert_problem(_create(client, world, full_name="x" * 201), 422, "validation-error")
    assert_problem(_create(client, world, email="not-an-email"), 422, "validation-error")
    assert_problem(_create(client, world, sensitive="a\x00b"), 422, "validation-error")
    assert_problem(_create(client, world, date_of_birth=20200101), 422, "validation-error")


def test_update_needs_the_current_version(client: TestClient, world: World) -> None:
    person = make_person(world.session, world.centre_a)
    world.session.commit()
    url = f"{URL}/{person.id}"
    headers = world.headers("centre_staff")
    assert_problem(client.patch(url, json={"phone": "01353 000000"}, headers=headers), 428)
    stale = client.patch(
        url, json={"phone": "01353 000000"}, headers={**headers, "If-Match": '"7"'}
    )
    assert_problem(stale, 412, "precondition-failed")
    ok = client.patch(url, json={"phone": "01353 000000"}, headers={**headers, "If-Match": '"1"'})
    assert ok.status_code == 200, ok.text
    assert ok.json()["phone"] == "01353 000000" and ok.headers["etag"] == '"2"'
    null_name = client.patch(url, json={"full_name": None}, headers={**headers, "If-Match": '"2"'})
    body = assert_problem(null_name, 422, "validation-error")
    assert body["errors"][0]["loc"] == ["body", "full_name"]


def test_a_child_party_keeps_a_date_of_birth(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="received", pre_visits=False)
    response = client.patch(
        f"{URL}/{f.child.id}",
        json={"date_of_birth": None},
        headers={**world.headers("centre_staff"), "If-Match": '"1"'},
    )
    body = assert_problem(response, 422, "unprocessable")
    assert body["errors"][0]["loc"] == ["body", "date_of_birth"]


def test_a_restricted_or_erased_person_is_not_written(client: TestClient, world: World) -> None:
    restricted = make_person(
        world.session,
        world.centre_a,
        processing_restricted=True,
        processing_restricted_since=utcnow(),
        processing_restricted_basis="accuracy contested",
    )
    erased = make_person(world.session, world.centre_a, erased_at=utcnow())
    world.session.commit()
    for person in (restricted, erased):
        response = client.patch(
            f"{URL}/{person.id}",
            json={"phone": "01353 000000"},
            headers={**world.headers("centre_staff"), "If-Match": '"1"'},
        )
        assert_problem(response, 409, "conflict")
    shown = client.get(f"{URL}/{restricted.id}", headers=world.headers("centre_staff")).json()
    assert shown["processing_restricted"] is True
    assert shown["processing_restricted_basis"] == "accuracy contested"


def test_delete_only_a_person_named_nowhere(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="received", pre_visits=False)
    loose = make_person(world.session, world.centre_a)
    world.session.commit()
    headers = {**world.headers("centre_staff"), "If-Match": '"1"'}
    assert_problem(client.delete(f"{URL}/{f.resident.id}", headers=headers), 409, "conflict")
    assert client.delete(f"{URL}/{loose.id}", headers=headers).status_code == 204
    assert_problem(client.get(f"{URL}/{loose.id}", headers=headers), 404, "not-found")


def test_a_person_named_in_an_incident_complaint_or_disclosure_stays(
    client: TestClient, world: World
) -> None:
    from tests.cases.factories import make_child, make_complaint, make_disclosure, make_incident

    child = make_child(world.session, world.centre_a)
    make_incident(world.session, world.centre_a, child_id=child.id)
    complainant = make_person(world.session, world.centre_a)
    make_complaint(world.session, world.centre_a, complainant_id=complainant.id)
    subject = make_person(world.session, world.centre_a)
    make_disclosure(world.session, world.centre_a, [subject])
    world.session.commit()
    headers = {**world.headers("centre_staff"), "If-Match": '"1"'}
    for person in (child, complainant, subject):
        response = client.delete(f"{URL}/{person.id}", headers=headers)
        assert "named in case records" in assert_problem(response, 409, "conflict")["detail"]


def test_list_is_scoped_filtered_and_paginated(client: TestClient, world: World) -> None:
    mine = [make_person(world.session, world.centre_a) for _ in range(5)]
    make_person(world.session, world.centre_b)
    referral = make_referral(world.session, world.centre_a)
    add_party(world.session, referral, mine[0], "resident_parent")
    world.session.commit()
    headers = world.headers("centre_staff")
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(URL, params=params, headers=headers).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(str(p.id) for p in mine)
    by_referral = client.get(URL, params={"referral_id": str(referral.id)}, headers=headers).json()
    assert [p["id"] for p in by_referral["items"]] == [str(mine[0].id)]
    everyone = client.get(URL, params={"limit": 200}, headers=world.headers("naccc_staff")).json()
    assert len(everyone["items"]) == 6
    assert_problem(
        client.get(URL, params={"cursor": "bogus"}, headers=headers), 422, "invalid-cursor"
    )


def test_writes_are_audited_with_ids_only(client: TestClient, world: World) -> None:
    from sqlalchemy import select

    from app.audit.models import AuditEvent

    person_id = _create(client, world, full_name="Unique Name For Audit").json()["id"]
    event = world.session.scalars(
        select(AuditEvent).where(AuditEvent.resource_id == person_id)
    ).one()
    assert event.action == "people_create" and event.centre_id == world.centre_a.id
    assert "Unique Name" not in str(event.details)
