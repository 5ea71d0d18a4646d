"""The retention API: due preview, sweeps, the disposal log, legal holds."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.cases.factories import family, make_person, make_referral
from tests.factories import World
from tests.helpers import assert_problem

DUE = "/api/v1/retention/due"
SWEEPS = "/api/v1/retention/sweeps"
HOLDS = "/api/v1/legal-holds"


def _old_family(db: Session, world: World, centre: str = "a"):
    target = world.centre_a if centre == "a" else world.centre_b
    return family(db, target, status="closed", closed_on=date(2020, 1, 1))


def test_due_preview_is_scoped_to_the_callers_centres(
    client: TestClient, world: World, db: Session
) -> None:
    mine, theirs = _old_family(db, world), _old_family(db, world, "b")
    staff_view = client.get(DUE, headers=world.headers("centre_staff")).json()
    rule = {r["rule_key"]: r for r in staff_view["rules"]}["referral_no_court"]
    assert rule["total"] == 1
    assert rule["items"][0]["record_id"] == str(mine.referral.id)
    assert rule["items"][0]["due_on"] == "2021-01-01"
    admin_view = client.get(DUE, headers=world.headers("naccc_staff")).json()
    ids = {i["record_id"] for r in admin_view["rules"] for i in r["items"]}
    assert {str(mine.referral.id), str(theirs.referral.id)} <= ids


def test_a_queued_sweep_runs_after_the_request_and_is_logged(
    client: TestClient, world: World, db: Session
) -> None:
    old = _old_family(db, world)
    admin = world.headers("naccc_staff")
    queued = client.post(SWEEPS, json={}, headers=admin)
    assert queued.status_code == 202 and queued.json()["status"] == "queued"
    done = client.get(f"{SWEEPS}/{queued.json()['id']}", headers=admin).json()
    assert done["status"] == "completed" and done["counts"]["referral_no_court"] == 1
    log = client.get("/api/v1/retention/disposals", params={"sweep_id": done["id"]}, headers=admin)
    by_type = {}
    for row in log.json()["items"]:
        by_type.setdefault(row["record_type"], []).append(row)
    assert [r["record_id"] for r in by_type["referral"]] == [str(old.referral.id)]
    assert len(by_type["person"]) == 3
    assert by_type["referral"][0]["facts"]["received_on"] == "2026-01"
    assert "Rita" not in log.text and old.resident.email not in log.text
    staff_view = client.get("/api/v1/retention/disposals", headers=world.headers("centre_staff"))
    assert staff_view.status_code == 200 and len(staff_view.json()["items"]) == 4
    # A run spans every centre and names the administrator who asked: NACCC's view only.
    for url in (SWEEPS, f"{SWEEPS}/{done['id']}"):
        assert_problem(client.get(url, headers=world.headers("centre_staff")), 403)


def test_a_dry_run_through_the_api_deletes_nothing(
    client: TestClient, world: World, db: Session
) -> None:
    old = _old_family(db, world)
    admin = world.headers("naccc_staff")
    run = client.post(SWEEPS, json={"dry_run": True}, headers=admin).json()
    done = client.get(f"{SWEEPS}/{run['id']}", headers=admin).json()
    assert done["dry_run"] is True and done["counts"]["referral_no_court"] == 1
    assert client.get(f"/api/v1/referrals/{old.referral.id}", headers=admin).status_code == 200


def test_only_naccc_staff_start_sweeps(client: TestClient, world: World) -> None:
    assert_problem(client.post(SWEEPS, json={}, headers=world.headers("centre_staff")), 403)
    assert_problem(
        client.post(SWEEPS, json={"dry_run": "yes"}, headers=world.headers("naccc_staff")), 422
    )
    assert_problem(
        client.get(
            f"{SWEEPS}/00000000-0000-0000-0000-000000000000", headers=world.headers("naccc_staff")
        ),
        404,
    )


def test_a_hold_placed_and_released_through_the_api(
    client: TestClient, world: World, db: Session
) -> None:
    old = _old_family(db, world)
    staff = world.headers("centre_staff")
    placed = client.post(
        HOLDS, json={"person_id": str(old.resident.id), "reason": "court claim"}, headers=staff
    )
    assert placed.status_code == 201 and placed.json()["active"] is True
    due = {r["rule_key"]: r["total"] for r in client.get(DUE, headers=staff).json()["rules"]}
    assert due["referral_no_court"] == 0, "a held party holds the referral"
    listed = client.get(
        HOLDS, params={"active": True, "person_id": str(old.resident.id)}, headers=staff
    )
    assert [h["id"] for h in listed.json()["items"]] == [placed.json()["id"]]
    released = client.delete(f"{HOLDS}/{placed.json()['id']}", headers=staff)
    assert released.status_code == 200 and released.json()["active"] is False
    again = client.delete(f"{HOLDS}/{placed.json()['id']}", headers=staff)
    assert again.json()["released_at"] == released.json()["released_at"]
    history = client.get(HOLDS, params={"active": False}, headers=staff).json()["items"]
    assert [h["id"] for h in history] == [placed.json()["id"]]


def test_a_hold_names_one_visible_target(client: TestClient, world: World, db: Session) -> None:
    staff = world.headers("centre_staff")
    mine = make_referral(db, world.centre_a)
    theirs = make_referral(db, world.centre_b)
    person = make_person(db, world.centre_a)
    db.commit()
    both = {
        "record_type": "referral",
        "record_id": str(mine.id),
        "person_id": str(person.id),
        "reason": "x",
    }
    assert_problem(client.post(HOLDS, json=both, headers=staff), 422, "unprocessable")
    assert_problem(
        client.post(HOLDS, json={"record_type": "referral", "reason": "x"}, headers=staff),
        422,
        "unprocessable",
    )
    assert_problem(client.post(HOLDS, json={"reason": "x"}, headers=staff), 422, "unprocessable")
    other = {"record_type": "referral", "record_id": str(theirs.id), "reason": "x"}
    assert_problem(client.post(HOLDS, json=other, headers=staff), 422, "unprocessable")
    unknown_type = {"record_type": "audit_event", "record_id": str(mine.id), "reason": "x"}
    assert_problem(client.post(HOLDS, json=unknown_type, headers=staff), 422, "validation-error")
    assert_problem(client.post(HOLDS, json={**other, "reason": ""}, headers=staff), 422)
