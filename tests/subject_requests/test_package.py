"""The access package (§5), third-party decisions, and the portability export."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.people.models import Person
from tests.cases.factories import make_person
from tests.factories import World
from tests.helpers import assert_problem
from tests.subject_requests.factories import FamilyCase, family_case
from tests.subject_requests.test_router import (
    URL,
    act,
    disclose_pending,
    file,
    release_and_complete,
)


@pytest.fixture
def case(db: Session, world: World) -> FamilyCase:
    return family_case(db, world.centre_a)


def verified(client: TestClient, world: World, person: Person, **fields: object) -> dict:
    return file(client, world, person, identity_verified_on="2026-01-01", **fields)


def package(client: TestClient, world: World, request: dict, **params: str):
    return client.get(
        f"{URL}/{request['id']}/package", params=params, headers=world.headers("centre_staff")
    )


def secrets_of(person: Person) -> list[str]:
    """What must not leak of another person: name parts, email, phone (any spacing), DOB."""
    digits = person.phone.replace(" ", "") if person.phone else None
    found = [person.full_name, *person.full_name.split()[:1], person.date_of_birth.isoformat()]
    found += [value for value in (person.email, person.phone, digits) if value]
    return found


def test_the_package_holds_everything_about_the_subject_and_nothing_of_the_others(
    client: TestClient, world: World, case: FamilyCase
) -> None:
    request = verified(client, world, case.mother)
    draft = package(client, world, request).json()
    # The safeguarding disclosure naming her and the PDF wait for staff's decision.
    assert draft["state"] == "draft" and draft["disclosures"] == [] and draft["documents"] == []
    assert sorted((p["record_type"], p["why"]) for p in draft["pending_review"]) == [
        ("disclosure", "safeguarding_disclosure"),
        ("document", "document_not_redactable"),
    ]
    disclose_pending(client, world, request)
    response = package(client, world, request)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["pending_review"] == [] and body["withheld"] == []

    subject = body["subject"]
    assert (subject["full_name"], subject["email"], subject["date_of_birth"]) == (
        "Rita Resident",
        "rita.resident@example.com",
        "1990-03-04",
    )
    [referral] = body["referrals"]
    assert referral["id"] == str(case.referral.id) and referral["roles"] == ["resident_parent"]
    assert referral["retention"]["rule_key"] == "referral_court"
    assert sorted(p["role"] for p in referral["other_parties"]) == [
        "child",
        "child",
        "non_resident_parent",
    ]
    assert all(p["redacted"] and p["full_name"] is None for p in referral["other_parties"])
    [visit] = body["pre_visits"]
    assert visit["concerns"] == "Worried [redacted] will be late"
    assert [s["attendance"]["status"] for s in body["sessions"]] == ["attended", "attended"]
    [incident] = body["incidents"]
    assert incident["id"] == str(case.incident.id)
    assert incident["child"] == {
        "role": "child",
        "redacted": True,
        "disclosed_on_basis": None,
        "person_id": None,
        "full_name": None,
        "email": None,
        "phone": None,
        "date_of_birth": None,
        "address": None,
    }
    assert incident["description"] == (
        "[redacted] was distressed at handover; [redacted] raised his voice"
    )
    assert incident["retention"] == {
        "rule_key": "safeguarding",
        "trigger_on": None,
        "dispose_after": None,
        "reason": "kept_indefinitely",
        "frozen": False,
    }
    [complaint] = body["complaints"]
    assert complaint["id"] == str(case.complaint.id)
    # The open access request itself freezes the subject's records.
    assert complaint["retention"]["reason"] == "frozen" and complaint["retention"]["frozen"]
    [disclosure] = body["disclosures"]
    assert disclosure["recipient_name"] == "Cambridgeshire Constabulary"
    assert len(disclosure["other_people"]) == 2
    [document] = body["documents"]
    assert (document["owner_type"], document["owner_id"]) == ("complaint", str(case.complaint.id))
    assert [r["id"] for r in body["subject_requests"]] == [request["id"]]

    extra = body["supplementary"]
    assert [(r["recipient_type"], r["recipient_name"]) for r in extra["recipients"]] == [
        ("police", "Cambridgeshire Constabulary")
    ]
    assert {r["key"] for r in extra["retention"]} == {"referral_court", "safeguarding", "complaint"}
    assert extra["purposes"] and extra["rights"] and extra["sources"] and extra["categories"]
    assert "Information Commissioner" in extra["complaint_to_ico"]
    assert extra["automated_decision_making"].startswith("None")
    assert any("court" in source.lower() for source in extra["sources"])

    text = json.dumps(body)
    for other in (case.father, case.son, case.daughter):
        for secret in secrets_of(other):
            assert secret not in text, secret
    assert "07700-900-222" not in text  # the father's phone as a session note spelled it


def test_a_third_party_decision_shows_that_person_and_no_one_else(
    client: TestClient, world: World, case: FamilyCase
) -> None:
    request = verified(client, world, case.mother)
    decided = client.post(
        f"{URL}/{request['id']}/third-party-decisions",
        json={"person_id": str(case.father.id), "basis": "consent", "note": "agreed by email"},
        headers=world.headers("centre_staff"),
    )
    assert decided.status_code == 201, decided.text
    assert decided.json()["decided_by_id"] == str(world.staff_a.id)
    listed = client.get(
        f"{URL}/{request['id']}/third-party-decisions", headers=world.headers("centre_staff")
    ).json()
    assert [d["person_id"] for d in listed["items"]] == [str(case.father.id)]

    body = package(client, world, request).json()
    father = next(
        p for p in body["referrals"][0]["other_parties"] if p["role"] == "non_resident_parent"
    )
    assert father["redacted"] is False and father["disclosed_on_basis"] == "consent"
    assert (father["full_name"], father["email"], father["phone"], father["date_of_birth"]) == (
        "Nick Nonresident",
        "nick.nonresident@example.com",
        "07700 900222",
        "1987-07-09",
    )
    assert "Nick Nonresident raised his voice" in body["incidents"][0]["description"]
    text = json.dumps(body)
    for child in (case.son, case.daughter):
        for secret in secrets_of(child):
            assert secret not in text, secret


def test_third_party_decisions_are_checked(
    client: TestClient, world: World, case: FamilyCase, db: Session
) -> None:
    request = verified(client, world, case.mother)
    url = f"{URL}/{request['id']}/third-party-decisions"
    staff = world.headers("centre_staff")

    def decide(person_id: object, **fields: object):
        body = {"person_id": str(person_id), "basis": "reasonable_to_disclose", "note": "known"}
        return client.post(url, json={**body, **fields}, headers=staff)

    stranger = make_person(db, world.centre_b)
    db.commit()
    assert_problem(decide(case.mother.id), 422)  # the subject is no third party
    assert_problem(decide(stranger.id), 422)  # another centre's person
    assert_problem(decide(case.father.id, basis="guess"), 422)
    assert_problem(decide(case.father.id, note=""), 422)
    assert decide(case.father.id).status_code == 201
    assert_problem(decide(case.father.id), 409)

    objection = verified(client, world, case.mother, kind="objection")
    objection_url = f"{URL}/{objection['id']}/third-party-decisions"
    body = {"person_id": str(case.father.id), "basis": "consent", "note": "n"}
    assert_problem(client.post(objection_url, json=body, headers=staff), 409)
    withdrawn = act(client, world, request, "withdraw").json()
    assert withdrawn["status"] == "withdrawn"
    assert_problem(decide(case.son.id), 409)


@pytest.mark.parametrize(
    ("fields", "action"),
    [
        ({"identity_verified_on": None}, None),  # identity not verified yet
        ({"kind": "objection", "identity_verified_on": "2026-01-01"}, None),
        ({"identity_verified_on": "2026-01-01"}, "withdraw"),
    ],
)
def test_no_package_before_identity_for_other_kinds_or_closed_requests(
    client: TestClient, world: World, case: FamilyCase, fields: dict, action: str | None
) -> None:
    request = file(client, world, case.mother, **fields)
    if action:
        request = act(client, world, request, action).json()
    assert_problem(package(client, world, request), 409)


def test_a_completed_access_request_keeps_its_released_package(
    client: TestClient, world: World, case: FamilyCase
) -> None:
    request = verified(client, world, case.mother)
    assert package(client, world, request, format="csv").status_code == 200
    assert_problem(package(client, world, request, format="xml"), 422)
    assert_problem(package(client, world, request, format="zip"), 409)  # released only
    assert_problem(act(client, world, request, "complete"), 409)  # not released yet
    done = release_and_complete(client, world, request).json()
    assert done["status"] == "completed"
    assert package(client, world, done).status_code == 200


def test_every_download_is_audited_without_personal_data(
    client: TestClient, world: World, case: FamilyCase, db: Session
) -> None:
    request = verified(client, world, case.mother)
    for _ in range(2):
        assert package(client, world, request).status_code == 200
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "subject_requests_package")
    ).all()
    assert len(events) == 2
    assert events[0].resource_id == request["id"]
    details = events[0].details
    assert details["export"] == "access" and details["format"] == "json"
    assert details["records"]["incidents"] == 1 and details["people_redacted"] == 3
    text = json.dumps([e.details for e in events])
    for person in (case.mother, case.father):
        assert person.full_name not in text and person.email not in text


def test_a_parent_asking_for_their_child_gets_the_incidents_about_the_child(
    client: TestClient, world: World, case: FamilyCase
) -> None:
    request = verified(
        client,
        world,
        case.son,
        requester="parent",
        requester_basis="parental responsibility",
        requester_person_id=str(case.mother.id),
        requester_relationship="mother",
        parental_responsibility=True,
    )
    body = package(client, world, request).json()
    [incident] = body["incidents"]
    assert incident["child"] is None  # the subject is the child
    assert "Samuel was distressed" in incident["description"]
    assert "Nick Nonresident" not in json.dumps(body)


def test_portability_exports_what_the_subject_provided_as_json_and_csv(
    client: TestClient, world: World, db: Session
) -> None:
    case = family_case(db, world.centre_a, source="self", has_court_order=False)
    request = verified(client, world, case.mother, kind="portability")
    body = package(client, world, request).json()
    assert body["kind"] == "portability" and body["subject_id"] == str(case.mother.id)
    assert body["details"]["address"] == "1 Mill Road, Cambridge"
    assert [r["roles"] for r in body["self_referrals"]] == [["resident_parent"]]
    [complaint] = body["complaints"]
    assert complaint["summary"] == "The session with [redacted] started 40 minutes late"
    assert "incidents" not in body and "Nick" not in json.dumps(body)

    exported = package(client, world, request, format="csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    values = {(r["record_type"], r["field"]): r["value"] for r in rows}
    assert values[("person", "email")] == "rita.resident@example.com"
    assert values[("self_referral", "roles")] == "resident_parent"
    assert values[("complaint", "summary")] == complaint["summary"]
    assert {r["record_id"] for r in rows if r["record_type"] == "complaint"} == {complaint["id"]}
