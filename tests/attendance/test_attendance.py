"""Attendance (parties only; absences need a reason) and the attendance summaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from app.db import utcnow
from tests.cases.factories import (
    add_party,
    assert_problem,
    family,
    make_attendance,
    make_person,
    make_session,
)
from tests.factories import World

URL = "/api/v1/sessions/{}/attendance"


def _headers(world: World, version: int | None = None) -> dict[str, str]:
    return {**world.headers("centre_staff"), **({"If-Match": f'"{version}"'} if version else {})}


@pytest.fixture
def held(world: World):
    f = family(world.session, world.centre_a)
    contact = make_session(world.session, f.referral, status="held")
    world.session.commit()
    return f, contact


def _record(client: TestClient, world: World, contact, person, **fields: object):
    body = {"person_id": str(person.id), "status": "attended", **fields}
    return client.post(URL.format(contact.id), json=body, headers=_headers(world))


def test_record_attendance(client: TestClient, world: World, held) -> None:
    f, contact = held
    response = _record(client, world, contact, f.child)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "attended" and response.json()["absence_reason"] is None
    late = _record(client, world, contact, f.non_resident, status="late")
    assert late.status_code == 201
    listed = client.get(URL.format(contact.id), headers=_headers(world)).json()["items"]
    assert {a["person_id"] for a in listed} == {str(f.child.id), str(f.non_resident.id)}
    one = client.get(URL.format(contact.id) + f"/{late.json()['id']}", headers=_headers(world))
    assert one.json()["status"] == "late" and one.headers["etag"] == '"1"'


def test_an_absence_needs_a_reason(client: TestClient, world: World, held) -> None:
    f, contact = held
    body = assert_problem(
        _record(client, world, contact, f.child, status="absent"), 422, "unprocessable"
    )
    assert body["errors"][0]["loc"] == ["body", "absence_reason"]
    ok = _record(client, world, contact, f.child, status="absent", absence_reason="illness")
    assert ok.status_code == 201 and ok.json()["absence_reason"] == "illness"


def test_another_reason_needs_words(client: TestClient, world: World, held) -> None:
    f, contact = held
    for detail in (None, "   "):
        response = _record(
            client,
            world,
            contact,
            f.child,
            status="absent",
            absence_reason="other",
            absence_detail=detail,
        )
        assert assert_problem(response, 422, "unprocessable")["errors"][0]["loc"] == [
            "body",
            "absence_detail",
        ]
    ok = _record(
        client,
        world,
        contact,
        f.child,
        status="absent",
        absence_reason="other",
        absence_detail="School trip",
    )
    assert ok.status_code == 201 and ok.json()["absence_detail"] == "School trip"


def test_no_reason_without_an_absence(client: TestClient, world: World, held) -> None:
    f, contact = held
    response = _record(client, world, contact, f.child, status="late", absence_reason="transport")
    assert_problem(response, 422, "unprocessable")


def test_unknown_reason_or_status_is_a_validation_problem(
    client: TestClient, world: World, held
) -> None:
    f, contact = held
    assert_problem(
        _record(client, world, contact, f.child, status="absent", absence_reason="weather"),
        422,
        "validation-error",
    )
    assert_problem(
        _record(client, world, contact, f.child, status="present"), 422, "validation-error"
    )


def test_attendance_only_for_the_referrals_parties(client: TestClient, world: World, held) -> None:
    f, contact = held
    outsider = make_person(world.session, world.centre_a)
    stranger = make_person(world.session, world.centre_b)
    other_family = family(world.session, world.centre_a)
    world.session.commit()
    for person in (outsider, stranger, other_family.child):
        body = assert_problem(_record(client, world, contact, person), 422, "unprocessable")
        assert body["errors"][0]["loc"] == ["body", "person_id"]


def test_once_per_person_and_session(client: TestClient, world: World, held) -> None:
    f, contact = held
    assert _record(client, world, contact, f.child).status_code == 201
    assert_problem(_record(client, world, contact, f.child, status="late"), 409, "conflict")


def test_nobody_attends_a_cancelled_session(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a)
    contact = make_session(world.session, f.referral, status="cancelled")
    world.session.commit()
    assert_problem(_record(client, world, contact, f.child), 422, "unprocessable")
    ok = _record(
        client, world, contact, f.child, status="absent", absence_reason="cancelled_by_family"
    )
    assert ok.status_code == 201


def test_a_restricted_person_is_not_recorded(client: TestClient, world: World, held) -> None:
    f, contact = held
    f.child.processing_restricted = True
    f.child.processing_restricted_since = utcnow()
    world.session.commit()
    assert_problem(_record(client, world, contact, f.child), 409, "conflict")


def test_update_attendance(client: TestClient, world: World, held) -> None:
    f, contact = held
    record = make_attendance(world.session, contact, f.child, "absent", absence_reason="no_show")
    world.session.commit()
    url = URL.format(contact.id) + f"/{record.id}"
    assert_problem(client.patch(url, json={"status": "late"}, headers=_headers(world)), 428)
    assert_problem(client.patch(url, json={"status": "late"}, headers=_headers(world, 9)), 412)
    arrived = client.patch(url, json={"status": "late"}, headers=_headers(world, 1))
    assert arrived.status_code == 200, arrived.text
    assert arrived.json()["absence_reason"] is None and arrived.json()["status"] == "late"
    no_reason = client.patch(url, json={"status": "absent"}, headers=_headers(world, 2))
    assert_problem(no_reason, 422, "unprocessable")
    assert_problem(client.patch(url, json={"status": None}, headers=_headers(world, 2)), 422)
    other = make_session(world.session, f.referral, status="held")
    world.session.commit()
    wrong = URL.format(other.id) + f"/{record.id}"
    assert_problem(client.get(wrong, headers=_headers(world)), 404, "not-found")


# --- summaries ------------------------------------------------------------


def _history(world: World):
    """Four sessions: the child attends, is late, is ill, and misses one for another reason;
    the resident parent misses one (transport)."""
    f = family(world.session, world.centre_a)
    start = datetime(2026, 2, 1, 10, tzinfo=UTC)
    sessions = [
        make_session(
            world.session, f.referral, starts_at=start + timedelta(days=7 * i), status="held"
        )
        for i in range(4)
    ]
    make_session(
        world.session, f.referral, starts_at=start + timedelta(days=35), status="cancelled"
    )
    make_session(world.session, f.referral, starts_at=start + timedelta(days=42))
    make_attendance(world.session, sessions[0], f.child, "attended")
    make_attendance(world.session, sessions[1], f.child, "late")
    make_attendance(world.session, sessions[2], f.child, "absent", absence_reason="illness")
    make_attendance(
        world.session, sessions[3], f.child, "absent", absence_reason="other", absence_detail="Trip"
    )
    make_attendance(world.session, sessions[0], f.resident, "absent", absence_reason="transport")
    world.session.commit()
    return f


ZERO_REASONS = dict.fromkeys(
    ("illness", "transport", "child_unwilling", "no_show", "cancelled_by_family", "other"), 0
)


def test_person_summary(client: TestClient, world: World) -> None:
    f = _history(world)
    elsewhere = family(world.session, world.centre_a)
    add_party(world.session, elsewhere.referral, f.child, "child")
    contact = make_session(world.session, elsewhere.referral, status="held")
    make_attendance(world.session, contact, f.child, "attended")
    world.session.commit()
    url = f"/api/v1/people/{f.child.id}/attendance-summary"
    body = client.get(url, headers=world.headers("inspector")).json()
    assert body == {
        "person_id": str(f.child.id),
        "centre_id": str(world.centre_a.id),
        "referral_id": None,
        "attended": 3,
        "late": 1,
        "absences": 2,
        "absences_by_reason": {**ZERO_REASONS, "illness": 1, "other": 1},
    }
    only = client.get(
        url, params={"referral_id": str(f.referral.id)}, headers=_headers(world)
    ).json()
    assert (only["attended"], only["late"], only["absences"]) == (2, 1, 2)
    assert only["referral_id"] == str(f.referral.id)


def test_referral_summary(client: TestClient, world: World) -> None:
    f = _history(world)
    url = f"/api/v1/referrals/{f.referral.id}/attendance-summary"
    body = client.get(url, headers=_headers(world)).json()
    assert body["sessions"] == {"scheduled": 1, "held": 4, "cancelled": 1}
    assert (body["attended"], body["late"], body["absences"]) == (2, 1, 3)
    assert body["absences_by_reason"] == {**ZERO_REASONS, "illness": 1, "other": 1, "transport": 1}
    people = {p["person_id"]: p for p in body["people"]}
    assert set(people) == {str(f.child.id), str(f.resident.id), str(f.non_resident.id)}
    assert people[str(f.non_resident.id)]["attended"] == 0
    assert people[str(f.resident.id)]["absences_by_reason"]["transport"] == 1
    assert people[str(f.child.id)]["attended"] == 2


def test_summaries_of_another_centre_are_not_found(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_b)
    headers = _headers(world)
    assert_problem(
        client.get(f"/api/v1/people/{f.child.id}/attendance-summary", headers=headers), 404
    )
    assert_problem(
        client.get(f"/api/v1/referrals/{f.referral.id}/attendance-summary", headers=headers), 404
    )
