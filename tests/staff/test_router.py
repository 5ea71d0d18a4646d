"""Staff records over HTTP: DBS minimisation, HR files, inspectors, scoping, versions."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from app.audit.models import AuditEvent
from app.staff.models import DBSCheck, HRFileEntry
from tests.factories import World
from tests.staff.factories import (
    PDF_BYTES,
    make_dbs_check,
    make_hr_document,
    make_hr_note,
    make_staff,
)

DBS = {
    "certificate_issued_on": "2026-01-02",
    "certificate_number": "001234567890",
    "vetting_decision": "suitable",
    "outcome": "appointed",
}


@pytest.fixture
def staff(world: World, db):
    member = make_staff(db, world.centre_a)
    db.commit()
    return member


# DBS: only the four facts


@pytest.mark.parametrize(
    "extra",
    [
        {"certificate": "JVBERi0xLjQK"},
        {"certificate_content": "Disclosure and Barring Service ..."},
        {"file": "data:application/pdf;base64,JVBERi0="},
        {"document": {"filename": "dbs.pdf"}},
        {"level": "enhanced"},
        {"convictions": "none"},
    ],
)
def test_a_dbs_check_carrying_anything_but_its_facts_is_refused(
    client: TestClient, world: World, db, staff, extra: dict
) -> None:
    response = client.post(
        f"/api/v1/staff/{staff.id}/dbs-checks",
        json={**DBS, **extra},
        headers=world.headers("centre_staff"),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert db.scalar(select(func.count()).select_from(DBSCheck)) == 0
    # The refused content is never echoed back.
    assert "Disclosure and Barring" not in response.text and "JVBER" not in response.text


def test_a_dbs_update_carrying_the_certificate_is_refused(
    client: TestClient, world: World, db, staff
) -> None:
    check = make_dbs_check(db, staff)
    db.commit()
    response = client.patch(
        f"/api/v1/staff/{staff.id}/dbs-checks/{check.id}",
        json={"certificate": "JVBERi0xLjQK"},
        headers={**world.headers("centre_staff"), "If-Match": '"1"'},
    )
    assert response.status_code == 422


def test_a_dbs_check_keeps_date_number_decision_and_outcome(
    client: TestClient, world: World, staff
) -> None:
    response = client.post(
        f"/api/v1/staff/{staff.id}/dbs-checks", json=DBS, headers=world.headers("centre_staff")
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert {k: body[k] for k in DBS} == DBS
    assert set(body) == set(DBS) | {
        "id",
        "version",
        "created_at",
        "updated_at",
        "centre_id",
        "staff_member_id",
        "retention",  # the schedule's block: rule and dates, nothing of the certificate
    }


@pytest.mark.parametrize("number", ["12345", "00123456789X", "0012345678901"])
def test_a_certificate_number_is_twelve_digits(
    client: TestClient, world: World, staff, number: str
) -> None:
    response = client.post(
        f"/api/v1/staff/{staff.id}/dbs-checks",
        json={**DBS, "certificate_number": number},
        headers=world.headers("centre_staff"),
    )
    assert response.status_code == 422


def test_a_certificate_number_is_recorded_once_per_centre(
    client: TestClient, world: World, db, staff
) -> None:
    make_dbs_check(db, staff, certificate_number=DBS["certificate_number"])
    db.commit()
    response = client.post(
        f"/api/v1/staff/{staff.id}/dbs-checks", json=DBS, headers=world.headers("centre_staff")
    )
    assert response.status_code == 409


# HR files


def test_an_hr_note_is_encrypted_and_never_logged_or_audited(
    client: TestClient, world: World, db, staff, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Disciplinary hearing about Jo Bloggs"
    with caplog.at_level(logging.DEBUG):
        response = client.post(
            f"/api/v1/staff/{staff.id}/hr-files",
            data={"title": "Hearing", "note": secret},
            headers=world.headers("centre_staff"),
        )
    assert response.status_code == 201, response.text
    assert response.json()["note"] == secret and response.json()["document"] is None
    assert secret not in caplog.text
    raw = db.execute(text("SELECT note FROM hr_file_entry WHERE title = 'Hearing'")).scalar()
    assert secret.encode() not in bytes(raw)
    audited = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "staff_hr_files_create")
    ).all()
    assert audited and all(secret not in str(e.details) for e in audited)


@pytest.mark.parametrize(
    ("data", "files"),
    [
        ({"title": "Both", "note": "n"}, {"file": ("c.pdf", PDF_BYTES, "application/pdf")}),
        ({"title": "Neither"}, None),
    ],
)
def test_an_hr_entry_is_a_note_or_a_file(
    client: TestClient, world: World, db, staff, data: dict, files
) -> None:
    response = client.post(
        f"/api/v1/staff/{staff.id}/hr-files",
        data=data,
        files=files,
        headers=world.headers("centre_staff"),
    )
    assert response.status_code == 422
    assert db.scalar(select(func.count()).select_from(HRFileEntry)) == 0


def test_inspectors_read_hr_files_of_their_centre_only(
    client: TestClient, world: World, db
) -> None:
    own = make_staff(db, world.centre_a)
    make_hr_note(db, own)
    make_hr_document(db, own)
    other = make_staff(db, world.centre_b)
    make_hr_note(db, other)
    db.commit()
    headers = world.headers("inspector")
    response = client.get(f"/api/v1/staff/{own.id}/hr-files", headers=headers)
    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == 2
    assert {i["document"]["filename"] if i["document"] else i["note"] for i in items} == {
        "contract.pdf",
        "Supervision: all well",
    }
    assert "no-store" in response.headers["cache-control"]
    assert client.get(f"/api/v1/staff/{other.id}/hr-files", headers=headers).status_code == 404
    assert client.get(f"/api/v1/staff/{other.id}", headers=headers).status_code == 404
    listed = client.get("/api/v1/staff", headers=headers).json()["items"]
    assert [s["id"] for s in listed] == [str(own.id)]
    written = client.post(
        f"/api/v1/staff/{own.id}/hr-files", data={"title": "x", "note": "y"}, headers=headers
    )
    assert written.status_code == 403


def test_every_read_of_an_hr_file_is_audited(client: TestClient, world: World, db, staff) -> None:
    client.get(f"/api/v1/staff/{staff.id}/hr-files", headers=world.headers("inspector"))
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "staff_hr_files_list")).one()
    assert event.role == "inspector" and event.resource_id == str(staff.id)
    assert event.centre_id == world.centre_a.id


# Staff members


def test_naccc_staff_create_staff_in_any_centre_and_centre_staff_only_in_theirs(
    client: TestClient, world: World
) -> None:
    body = {"full_name": "Sam", "engagement": "volunteer", "started_on": "2025-09-01"}
    created = client.post(
        "/api/v1/staff",
        json={**body, "centre_id": str(world.centre_b.id)},
        headers=world.headers("naccc_staff"),
    )
    assert created.status_code == 201
    refused = client.post(
        "/api/v1/staff",
        json={**body, "centre_id": str(world.centre_b.id)},
        headers=world.headers("centre_staff"),
    )
    assert refused.status_code == 422
    unknown = client.post(
        "/api/v1/staff",
        json={**body, "centre_id": "00000000-0000-4000-8000-000000000000"},
        headers=world.headers("naccc_staff"),
    )
    assert unknown.status_code == 422


def test_employment_cannot_end_before_it_started(client: TestClient, world: World, staff) -> None:
    response = client.patch(
        f"/api/v1/staff/{staff.id}",
        json={"ended_on": "2020-01-01"},
        headers={**world.headers("centre_staff"), "If-Match": '"1"'},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "ended_on"]


def test_ending_employment_and_the_current_filter(client: TestClient, world: World, staff) -> None:
    headers = world.headers("centre_staff")
    response = client.patch(
        f"/api/v1/staff/{staff.id}",
        json={"ended_on": "2026-10-31"},
        headers={**headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200 and response.json()["ended_on"] == "2026-10-31"
    assert response.headers["etag"] == '"2"'
    current = client.get("/api/v1/staff", params={"current": "true"}, headers=headers)
    assert current.json()["items"] == []
    ended = client.get("/api/v1/staff", params={"current": "false"}, headers=headers)
    assert [s["id"] for s in ended.json()["items"]] == [str(staff.id)]


@pytest.mark.parametrize(
    ("headers", "status"), [({}, 428), ({"If-Match": '"9"'}, 412), ({"If-Match": "junk"}, 412)]
)
def test_updates_need_the_current_version(
    client: TestClient, world: World, db, staff, headers: dict, status: int
) -> None:
    check = make_dbs_check(db, staff)
    db.commit()
    auth = world.headers("centre_staff")
    for url, body in [
        (f"/api/v1/staff/{staff.id}", {"full_name": "New"}),
        (f"/api/v1/staff/{staff.id}/dbs-checks/{check.id}", {"outcome": "withdrawn"}),
    ]:
        assert client.patch(url, json=body, headers={**auth, **headers}).status_code == status


@pytest.mark.parametrize("field", ["full_name", "engagement", "started_on"])
def test_required_fields_cannot_be_nulled(
    client: TestClient, world: World, staff, field: str
) -> None:
    response = client.patch(
        f"/api/v1/staff/{staff.id}",
        json={field: None},
        headers={**world.headers("centre_staff"), "If-Match": '"1"'},
    )
    assert response.status_code == 422


def test_a_sub_record_of_another_staff_member_is_not_found(
    client: TestClient, world: World, db, staff
) -> None:
    someone_else = make_staff(db, world.centre_a)
    check = make_dbs_check(db, someone_else)
    db.commit()
    response = client.get(
        f"/api/v1/staff/{staff.id}/dbs-checks/{check.id}", headers=world.headers("centre_staff")
    )
    assert response.status_code == 404


def test_parental_leave_dates_are_checked(client: TestClient, world: World, staff) -> None:
    url = f"/api/v1/staff/{staff.id}/parental-leave"
    headers = world.headers("centre_staff")
    body = {
        "child_birth_or_adoption_on": "2026-06-01",
        "disability_allowance": True,
        "starts_on": "2026-06-01",
        "ends_on": "2026-05-01",
    }
    assert client.post(url, json=body, headers=headers).status_code == 422
    created = client.post(url, json={**body, "ends_on": "2026-09-01"}, headers=headers)
    assert created.status_code == 201
    assert created.json()["disability_allowance"] is True
    far = client.post(
        url,
        json={**body, "child_birth_or_adoption_on": "9999-12-31", "ends_on": None},
        headers=headers,
    )
    assert far.status_code == 422


def test_an_unknown_query_parameter_is_refused(client: TestClient, world: World) -> None:
    headers = world.headers("centre_staff")
    misspelt = client.get("/api/v1/staff", params={"centre": "x"}, headers=headers)
    assert misspelt.status_code == 422
    assert misspelt.json()["errors"][0]["loc"] == ["query", "centre"]
    declared = {"limit": 5, "current": "true", "engagement": "paid"}
    assert client.get("/api/v1/staff", params=declared, headers=headers).status_code == 200


def test_a_certificate_cannot_be_dated_in_the_future(
    client: TestClient, world: World, staff
) -> None:
    response = client.post(
        f"/api/v1/staff/{staff.id}/dbs-checks",
        json={**DBS, "certificate_issued_on": "2199-01-01"},
        headers=world.headers("centre_staff"),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "certificate_issued_on"]
