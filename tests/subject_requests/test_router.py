"""Subject requests: filing (retry-safe), the statutory clock, the status machine, effects."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.people.models import Person
from app.referrals.models import Referral
from app.retention import sweep as retention_sweep
from app.time import today_in_london
from tests.cases.factories import family, make_person
from tests.factories import World
from tests.helpers import assert_problem

URL = "/api/v1/subject-requests"


def file(client: TestClient, world: World, person: Person, **fields: object) -> dict:
    body = {
        "subject_id": str(person.id),
        "kind": "access",
        "channel": "email",
        "received_on": "2026-01-01",
        **fields,
    }
    response = client.post(URL, json=body, headers=world.headers("centre_staff"))
    assert response.status_code == 201, response.text
    return response.json()


def act(client: TestClient, world: World, request: dict, action: str, **body: object):
    return client.post(
        f"{URL}/{request['id']}/{action}",
        json=body or None,
        headers={**world.headers("centre_staff"), "If-Match": f'"{request["version"]}"'},
    )


@pytest.fixture
def subject(db: Session, world: World) -> Person:
    person = make_person(db, world.centre_a)
    db.commit()
    return person


@pytest.mark.parametrize(
    ("received", "verified", "due"),
    [
        ("2026-01-01", "2026-01-01", "2026-02-02"),
        ("2026-01-31", "2026-01-31", "2026-03-02"),
        ("2024-11-25", "2024-11-25", "2024-12-27"),
        ("2026-04-01", "2026-04-11", "2026-05-11"),  # identity verified ten days after receipt
    ],
)
def test_the_due_date_follows_the_ico_rule(
    client: TestClient, world: World, subject: Person, received: str, verified: str, due: str
) -> None:
    request = file(client, world, subject, received_on=received, identity_verified_on=verified)
    assert (request["status"], request["clock_started_on"], request["due_on"]) == (
        "in_progress",
        verified,
        due,
    )
    expected_left = (date.fromisoformat(due) - today_in_london()).days
    assert request["days_left"] == expected_left and request["overdue"] is (expected_left < 0)


def test_the_clock_waits_for_identity_and_pauses_for_clarification(
    client: TestClient, world: World, subject: Person
) -> None:
    request = file(client, world, subject, received_on="2026-04-15")
    assert request["status"] == "received"
    verified = act(client, world, request, "verify-identity", verified_on="2026-04-15").json()
    assert (verified["status"], verified["due_on"]) == ("in_progress", "2026-05-15")
    paused = act(client, world, verified, "pause", reason="which records?", paused_on="2026-04-20")
    assert paused.json()["status"] == "awaiting_clarification"
    resumed = act(client, world, paused.json(), "resume", resumed_on="2026-04-27").json()
    assert (resumed["status"], resumed["paused_days"], resumed["due_on"]) == (
        "in_progress",
        7,
        "2026-05-22",
    )


def test_an_extension_needs_a_reason_and_comes_before_the_due_date(
    client: TestClient, world: World, subject: Person
) -> None:
    recent = (today_in_london() - timedelta(days=3)).isoformat()
    request = file(client, world, subject, received_on=recent, identity_verified_on=recent)
    assert_problem(act(client, world, request, "extend"), 422)
    assert_problem(act(client, world, request, "extend", reason=""), 422)
    extended = act(client, world, request, "extend", reason="many records").json()
    assert extended["extended"] is True
    start = date.fromisoformat(recent)
    assert date.fromisoformat(extended["due_on"]) >= start + timedelta(days=89)
    assert_problem(act(client, world, extended, "extend", reason="again"), 409)

    late = file(client, world, subject, received_on="2026-01-01", identity_verified_on="2026-01-01")
    assert_problem(act(client, world, late, "extend", reason="too late"), 409)


def test_retrying_a_filed_request_returns_the_first(
    client: TestClient, world: World, subject: Person
) -> None:
    headers = {**world.headers("centre_staff"), "Idempotency-Key": "script-run-42"}
    body = {
        "subject_id": str(subject.id),
        "kind": "access",
        "channel": "online",
        "received_on": "2026-11-01",
    }
    first = client.post(URL, json=body, headers=headers)
    again = client.post(URL, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    listed = client.get(
        URL, params={"subject_id": str(subject.id)}, headers=world.headers("centre_staff")
    )
    assert len(listed.json()["items"]) == 1
    other = client.post(URL, json={**body, "kind": "erasure"}, headers=headers)
    assert_problem(other, 422, "idempotency-key-reused")


def test_invalid_input_and_transitions_are_problems(
    client: TestClient, world: World, subject: Person, db: Session
) -> None:
    staff = world.headers("centre_staff")
    base = {
        "subject_id": str(subject.id),
        "kind": "access",
        "channel": "email",
        "received_on": "2026-01-01",
    }
    future = (today_in_london() + timedelta(days=1)).isoformat()
    assert_problem(client.post(URL, json={**base, "received_on": future}, headers=staff), 422)
    assert_problem(client.post(URL, json={**base, "requester": "parent"}, headers=staff), 422)
    assert_problem(
        client.post(URL, json={**base, "identity_verified_on": "2025-12-31"}, headers=staff), 422
    )
    other = make_person(db, world.centre_b)
    db.commit()
    assert_problem(client.post(URL, json={**base, "subject_id": str(other.id)}, headers=staff), 422)
    assert_problem(client.post(URL, json={**base, "kind": "deletion"}, headers=staff), 422)

    request = file(client, world, subject)
    assert_problem(act(client, world, request, "complete"), 409)  # identity not verified
    assert_problem(act(client, world, request, "resume"), 409)
    assert_problem(client.post(f"{URL}/{request['id']}/withdraw", headers=staff), 428)
    withdrawn = act(client, world, request, "withdraw").json()
    assert (
        withdrawn["status"] == "withdrawn"
        and withdrawn["closed_on"] == today_in_london().isoformat()
    )
    assert_problem(act(client, world, withdrawn, "refuse", reason="no"), 409)
    assert_problem(act(client, world, request, "withdraw"), 412)


def test_refusal_needs_a_reason(client: TestClient, world: World, subject: Person) -> None:
    request = file(client, world, subject)
    assert_problem(act(client, world, request, "refuse"), 422)
    refused = act(client, world, request, "refuse", reason="manifestly unfounded").json()
    assert (refused["status"], refused["refusal_reason"]) == ("refused", "manifestly unfounded")


@pytest.mark.parametrize(
    ("kind", "flag"), [("restriction", "processing_restricted"), ("objection", "objected")]
)
def test_completing_restriction_and_objection_marks_the_subject(
    client: TestClient, world: World, subject: Person, db: Session, kind: str, flag: str
) -> None:
    request = file(client, world, subject, kind=kind, identity_verified_on="2026-01-01")
    done = act(client, world, request, "complete")
    assert done.status_code == 200 and done.json()["status"] == "completed"
    db.expire_all()
    assert getattr(db.get(Person, subject.id), flag) is True


def test_rectification_applies_its_corrections_and_names_whom_to_tell(
    client: TestClient, world: World, subject: Person, db: Session
) -> None:
    from sqlalchemy import select

    from app.audit.models import AuditEvent
    from tests.cases.factories import make_disclosure

    make_disclosure(
        db,
        world.centre_a,
        [subject],
        recipient_type="police",
        recipient_name="Cambridgeshire Constabulary",
    )
    db.commit()
    request = file(
        client,
        world,
        subject,
        kind="rectification",
        identity_verified_on="2026-01-01",
        corrections={"full_name": "Alexandra Example", "phone": "01223 222222"},
    )
    assert "Alexandra" not in str(request)
    done = act(client, world, request, "complete")
    assert done.status_code == 200, done.text
    result = done.json()["result"]
    assert result["corrected_fields"] == ["full_name", "phone"]
    assert [r["recipient_name"] for r in result["recipients_to_notify"]] == [
        "Cambridgeshire Constabulary"
    ]
    db.expire_all()
    assert db.get(Person, subject.id).full_name == "Alexandra Example"
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "subject_requests_complete")
    ).one()
    assert event.details["corrected_fields"] == ["full_name", "phone"]
    assert "Alexandra" not in str(event.details)


def test_only_rectification_carries_corrections(
    client: TestClient, world: World, subject: Person
) -> None:
    staff = world.headers("centre_staff")
    base = {"subject_id": str(subject.id), "channel": "email", "received_on": "2026-01-01"}
    assert_problem(client.post(URL, json={**base, "kind": "rectification"}, headers=staff), 422)
    assert_problem(
        client.post(URL, json={**base, "kind": "rectification", "corrections": {}}, headers=staff),
        422,
    )
    assert_problem(
        client.post(
            URL, json={**base, "kind": "access", "corrections": {"phone": "1"}}, headers=staff
        ),
        422,
    )
    assert_problem(
        client.post(
            URL,
            json={**base, "kind": "rectification", "corrections": {"colour": "red"}},
            headers=staff,
        ),
        422,
    )


def test_overdue_and_due_soon_lists(client: TestClient, world: World, subject: Person) -> None:
    staff = world.headers("centre_staff")
    old = file(client, world, subject, received_on="2026-01-01", identity_verified_on="2026-01-01")
    today = today_in_london().isoformat()
    fresh = file(client, world, subject, received_on=today, identity_verified_on=today)
    overdue = client.get(URL, params={"overdue": True}, headers=staff).json()["items"]
    assert [r["id"] for r in overdue] == [old["id"]]
    soon = client.get(URL, params={"due_within": 40}, headers=staff).json()["items"]
    assert {r["id"] for r in soon} == {old["id"], fresh["id"]}
    assert (
        client.get(URL, params={"due_within": 40}, headers=world.headers("inspector")).status_code
        == 403
    )


def test_an_open_access_request_freezes_its_subjects_records(
    app: FastAPI, client: TestClient, world: World, db: Session
) -> None:
    old = family(db, world.centre_a, status="closed", closed_on=date(2020, 1, 1))
    request = file(client, world, old.resident, identity_verified_on="2026-01-01")
    referral_id = old.referral.id
    options = retention_sweep.SweepOptions(today=today_in_london())
    retention_sweep.run(app.state.engine, app.state.sessionmaker, options)
    db.expire_all()
    assert db.get(Referral, referral_id) is not None
    act(client, world, request, "complete")
    retention_sweep.run(app.state.engine, app.state.sessionmaker, options)
    db.expire_all()
    assert db.get(Referral, referral_id) is None


def test_a_restricted_person_is_written_to_only_with_a_lawful_purpose(
    client: TestClient, world: World, subject: Person, db: Session
) -> None:
    from sqlalchemy import select

    from app.audit.models import AuditEvent

    request = file(client, world, subject, kind="restriction", identity_verified_on="2026-01-01")
    assert act(client, world, request, "complete").status_code == 200
    staff = world.headers("centre_staff")
    url = f"/api/v1/people/{subject.id}"
    person = client.get(url, headers=staff)
    assert person.status_code == 200 and person.json()["processing_restricted"] is True
    headers = {**staff, "If-Match": person.headers["etag"]}
    refused = assert_problem(
        client.patch(url, json={"phone": "01223 111111"}, headers=headers), 409
    )
    assert "restricted" in refused["detail"]
    assert_problem(
        client.patch(
            url,
            json={"phone": "01223 111111"},
            headers={**headers, "X-Lawful-Purpose": "curiosity"},
        ),
        422,
    )
    allowed = client.patch(
        url, json={"phone": "01223 111111"}, headers={**headers, "X-Lawful-Purpose": "legal_claims"}
    )
    assert allowed.status_code == 200, allowed.text
    event = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "people_update", AuditEvent.status_code == 200
        )
    ).one()
    assert event.details["lawful_purpose"] == "legal_claims"


def test_lifting_a_restriction_is_recorded_and_allows_writes_again(
    client: TestClient, world: World, subject: Person, db: Session
) -> None:
    request = file(client, world, subject, kind="restriction", identity_verified_on="2026-01-01")
    done = act(client, world, request, "complete").json()
    assert_problem(act(client, world, file(client, world, subject), "lift-restriction"), 409)
    lifted = act(client, world, done, "lift-restriction")
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["result"]["lifted_by_id"] == str(world.staff_a.id)
    assert_problem(act(client, world, lifted.json(), "lift-restriction"), 409)
    staff = world.headers("centre_staff")
    person = client.get(f"/api/v1/people/{subject.id}", headers=staff)
    assert person.json()["processing_restricted"] is False
    changed = client.patch(
        f"/api/v1/people/{subject.id}",
        json={"phone": "01223 333333"},
        headers={**staff, "If-Match": person.headers["etag"]},
    )
    assert changed.status_code == 200
