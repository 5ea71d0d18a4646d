"""`last_used_on`: what counts as using a staff member's record."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from app.staff import service
from app.staff.models import StaffMember
from tests.factories import World
from tests.staff.factories import make_dbs_check, make_parental_leave, make_staff

TODAY = date(2026, 11, 28)
LONG_AGO = date(2023, 1, 2)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> date:
    monkeypatch.setattr(service, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def unused(world: World, db) -> StaffMember:
    staff = make_staff(db, world.centre_a, last_used_on=LONG_AGO)
    db.commit()
    return staff


def _last_used(client: TestClient, world: World, staff: StaffMember) -> tuple[str, str]:
    response = client.get(f"/api/v1/staff/{staff.id}", headers=world.headers("naccc_staff"))
    return response.json()["last_used_on"], response.headers["etag"]


def test_creating_a_staff_member_uses_the_record(client: TestClient, world: World, today) -> None:
    response = client.post(
        "/api/v1/staff",
        json={
            "centre_id": str(world.centre_a.id),
            "full_name": "Sam",
            "engagement": "paid",
            "started_on": "2020-01-01",
        },
        headers=world.headers("centre_staff"),
    )
    assert response.status_code == 201
    assert response.json()["last_used_on"] == TODAY.isoformat()


def test_reading_does_not_use_the_record(client: TestClient, world: World, unused, today) -> None:
    for role in ("naccc_staff", "centre_staff", "inspector"):
        client.get(f"/api/v1/staff/{unused.id}", headers=world.headers(role))
        client.get(f"/api/v1/staff/{unused.id}/hr-files", headers=world.headers(role))
    assert _last_used(client, world, unused) == (LONG_AGO.isoformat(), '"1"')


def test_editing_the_staff_member_uses_the_record(
    client: TestClient, world: World, unused, today
) -> None:
    response = client.patch(
        f"/api/v1/staff/{unused.id}",
        json={"phone": "01223 000000"},
        headers={**world.headers("centre_staff"), "If-Match": '"1"'},
    )
    assert response.status_code == 200
    assert response.json()["last_used_on"] == TODAY.isoformat()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("hr-files", None),
        (
            "dbs-checks",
            {
                "certificate_issued_on": "2026-01-02",
                "certificate_number": "001234567890",
                "vetting_decision": "suitable",
                "outcome": "appointed",
            },
        ),
        ("parental-leave", {"child_birth_or_adoption_on": "2026-06-01", "starts_on": "2026-06-01"}),
    ],
)
def test_adding_to_the_hr_file_dbs_or_leave_uses_the_record_without_a_new_version(
    client: TestClient, world: World, unused, today, path: str, body: dict | None
) -> None:
    headers = world.headers("centre_staff")
    url = f"/api/v1/staff/{unused.id}/{path}"
    if body is None:
        response = client.post(url, data={"title": "Supervision", "note": "ok"}, headers=headers)
    else:
        response = client.post(url, json=body, headers=headers)
    assert response.status_code == 201, response.text
    # Bookkeeping is not an edit: another client's If-Match on the staff member stays valid.
    assert _last_used(client, world, unused) == (TODAY.isoformat(), '"1"')


def test_editing_a_dbs_check_or_leave_uses_the_record(
    client: TestClient, world: World, db, unused, today
) -> None:
    check = make_dbs_check(db, unused)
    leave = make_parental_leave(db, unused)
    db.commit()
    headers = {**world.headers("centre_staff"), "If-Match": '"1"'}
    response = client.patch(
        f"/api/v1/staff/{unused.id}/dbs-checks/{check.id}",
        json={"outcome": "withdrawn"},
        headers=headers,
    )
    assert response.status_code == 200
    assert _last_used(client, world, unused)[0] == TODAY.isoformat()
    db.execute(
        StaffMember.__table__.update()
        .where(StaffMember.__table__.c.id == unused.id)
        .values(last_used_on=LONG_AGO)
    )
    db.commit()
    response = client.patch(
        f"/api/v1/staff/{unused.id}/parental-leave/{leave.id}",
        json={"ends_on": "2026-01-01"},
        headers=headers,
    )
    assert response.status_code == 200
    assert _last_used(client, world, unused)[0] == TODAY.isoformat()


def test_mark_used_never_moves_the_date_back(world: World, db) -> None:
    staff = make_staff(db, world.centre_a, last_used_on=TODAY)
    service.mark_used(db, staff, LONG_AGO)
    db.commit()
    db.expire_all()
    assert db.get(StaffMember, staff.id).last_used_on == TODAY
