"""The breach register: the 72-hour clock (across clock changes), decisions, notices, links,
audit, bad input, and retention under rule `breach`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.breaches import service
from app.breaches.models import Breach, BreachPerson
from app.db import utcnow
from app.retention.models import Disposal, LegalHold
from app.time import LONDON, today_in_london
from tests.breaches.factories import closed_breach, make_breach
from tests.cases.factories import make_complaint, make_person
from tests.factories import World
from tests.helpers import assert_problem
from tests.retention.test_sweep import exists, sweep

URL = "/api/v1/breaches"


def _headers(world: World, version: int | None = None, role: str = "centre_staff") -> dict:
    return {**world.headers(role), **({"If-Match": f'"{version}"'} if version else {})}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _body(world: World, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "centre_id": str(world.centre_a.id),
        "aware_at": _iso(utcnow() - timedelta(hours=2)),
        "nature": "Mrs Example's court order was emailed to the wrong solicitor",
        "subject_categories": ["parents", "children"],
        "data_categories": ["court", "contact_details"],
        "approx_subjects": 3,
        "approx_records": 1,
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def _create(client: TestClient, world: World, **fields: Any) -> dict[str, Any]:
    response = client.post(URL, json=_body(world, **fields), headers=_headers(world))
    assert response.status_code == 201, response.text
    return response.json()


def _step(client: TestClient, world: World, breach: dict, step: str, json: Any = None):
    return client.post(
        f"{URL}/{breach['id']}/{step}", json=json, headers=_headers(world, breach["version"])
    )


# --- the 72-hour clock ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aware_at", "deadline_utc", "deadline_local_hour"),
    [
        # Saturday 28 March 2026, 11:00 GMT; clocks go forward on Sunday 29 March.
        (datetime(2026, 3, 28, 11, 0, tzinfo=UTC), datetime(2026, 3, 31, 11, 0, tzinfo=UTC), 12),
        # Saturday 24 October 2026, 12:00 BST; clocks go back on Sunday 25 October.
        (datetime(2026, 10, 24, 11, 0, tzinfo=UTC), datetime(2026, 10, 27, 11, 0, tzinfo=UTC), 11),
    ],
)
def test_the_ico_deadline_is_72_elapsed_hours_across_a_clock_change(
    aware_at: datetime, deadline_utc: datetime, deadline_local_hour: int
) -> None:
    deadline = service.ico_deadline(aware_at)
    assert deadline == deadline_utc
    # The wall clock in London moved by an hour, the deadline did not.
    assert deadline.astimezone(LONDON).hour == deadline_local_hour
    assert aware_at.astimezone(LONDON).hour != deadline_local_hour


def test_hours_remaining_count_elapsed_time_not_wall_clock_time() -> None:
    aware_at = datetime(2026, 3, 28, 11, 0, tzinfo=UTC)
    breach = Breach(aware_at=aware_at, risk=None, ico_notified_at=None, closed_on=None)
    # 24 real hours later it is 13:00 BST on the wall clock (26 wall-clock hours on).
    clock = service.ico_clock(breach, datetime(2026, 3, 29, 11, 0, tzinfo=UTC))
    assert clock.hours_remaining == 48.0 and not clock.overdue
    late = service.ico_clock(breach, datetime(2026, 3, 31, 11, 30, tzinfo=UTC))
    assert late.hours_remaining == -0.5 and late.overdue


@given(
    aware=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    ),
    elapsed=st.integers(min_value=0, max_value=200 * 3600),
)
def test_the_clock_is_overdue_exactly_after_72_hours(aware: datetime, elapsed: int) -> None:
    breach = Breach(aware_at=aware, risk="risk", ico_notified_at=None, closed_on=None)
    clock = service.ico_clock(breach, aware + timedelta(seconds=elapsed))
    assert clock.overdue == (elapsed > 72 * 3600)
    assert clock.deadline_at - aware == timedelta(hours=72)
    assert clock.hours_remaining == round((72 * 3600 - elapsed) / 3600, 2)


def test_every_read_shows_the_clock(client: TestClient, world: World) -> None:
    created = _create(client, world)
    assert created["status"] == "awaiting_assessment"
    ico = created["ico"]
    assert ico["notice_owed"] is True and ico["overdue"] is False
    assert 69.9 < ico["hours_remaining"] <= 70.0
    aware = datetime.fromisoformat(created["aware_at"])
    assert datetime.fromisoformat(ico["deadline_at"]) - aware == timedelta(hours=72)
    listed = client.get(URL, headers=_headers(world)).json()["items"]
    assert [b["ico"]["deadline_at"] for b in listed] == [ico["deadline_at"]]


def test_an_unassessed_breach_four_days_on_is_overdue_until_assessed_unlikely(
    client: TestClient, world: World
) -> None:
    created = _create(client, world, aware_at=_iso(utcnow() - timedelta(days=4)))
    assert created["ico"]["overdue"] is True
    assert created["ico"]["hours_remaining"] < -23
    assessed = _step(
        client, world, created, "assessment", {"risk": "unlikely", "reason": "Encrypted USB"}
    )
    assert assessed.status_code == 200, assessed.text
    ico = assessed.json()["ico"]
    assert ico == {**ico, "notice_owed": False, "overdue": False, "hours_remaining": None}
    assert assessed.json()["status"] == "open"


# --- decisions --------------------------------------------------------------------------------


def test_a_high_risk_breach_goes_through_every_notice_to_closure(
    client: TestClient, world: World, db: Session
) -> None:
    breach = _create(client, world)
    for step, body, status in (
        (
            "assessment",
            {"risk": "high", "reason": "Addresses of a family in hiding"},
            "awaiting_ico_notice",
        ),
        (
            "ico-notification",
            {"notified_at": _iso(utcnow()), "reference": "IC-123456"},
            "awaiting_people_notice",
        ),
        ("people-notification", {"notified_at": _iso(utcnow())}, "open"),
        ("close", None, "closed"),
    ):
        response = _step(client, world, breach, step, body)
        assert response.status_code == 200, (step, response.text)
        breach = response.json()
        assert breach["status"] == status
        assert response.headers["ETag"] == f'"{breach["version"]}"'
    assert breach["people_must_be_told"] is True
    assert breach["ico"]["notified_late"] is False and breach["ico_reference"] == "IC-123456"
    assert breach["closed_on"] == today_in_london().isoformat()
    # Closed: nothing changes any more.
    again = client.patch(
        f"{URL}/{breach['id']}",
        json={"approx_records": 9},
        headers=_headers(world, breach["version"]),
    )
    assert_problem(again, 409)
    # Every decision is its own audit row, with ids and no text of the breach.
    actions = [
        e.action
        for e in db.scalars(
            select(AuditEvent)
            .where(AuditEvent.resource_id == breach["id"], AuditEvent.status_code < 300)
            .order_by(AuditEvent.occurred_at)
        )
    ]
    assert actions == [
        "breaches_create",
        "breaches_assess",
        "breaches_notify_ico",
        "breaches_notify_people",
        "breaches_close",
    ]
    dumped = "\n".join(str(r) for r in db.execute(text("SELECT * FROM audit_event")).all())
    assert "Example" not in dumped and "hiding" not in dumped


def test_the_ico_told_late_needs_the_reasons_for_the_delay(
    client: TestClient, world: World
) -> None:
    breach = _create(client, world, aware_at=_iso(utcnow() - timedelta(days=5)))
    breach = _step(client, world, breach, "assessment", {"risk": "risk", "reason": "Names"}).json()
    notice = {"notified_at": _iso(utcnow()), "reference": "IC-9"}
    body = assert_problem(_step(client, world, breach, "ico-notification", notice), 422)
    assert body["errors"][0]["loc"] == ["body", "delay_reason"]
    done = _step(
        client, world, breach, "ico-notification", {**notice, "delay_reason": "Found on Monday"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["ico"]["notified_late"] is True
    assert done.json()["status"] == "open"  # a risk, not high: nobody else to tell


def test_steps_out_of_order_are_conflicts(client: TestClient, world: World) -> None:
    breach = _create(client, world)
    ico = {"notified_at": _iso(utcnow()), "reference": "IC-1"}
    assert_problem(_step(client, world, breach, "ico-notification", ico), 409)
    assert_problem(_step(client, world, breach, "close"), 409)
    breach = _step(client, world, breach, "assessment", {"risk": "risk", "reason": "r"}).json()
    assert_problem(
        _step(client, world, breach, "people-notification", {"notified_at": ico["notified_at"]}),
        409,
    )
    assert_problem(_step(client, world, breach, "close"), 409)  # the ICO is still owed
    breach = _step(client, world, breach, "ico-notification", ico).json()
    assert_problem(_step(client, world, breach, "ico-notification", ico), 409)
    assert_problem(
        _step(client, world, breach, "assessment", {"risk": "unlikely", "reason": "r"}), 409
    )


def test_notices_lie_between_awareness_and_now(client: TestClient, world: World) -> None:
    breach = _create(client, world)
    breach = _step(client, world, breach, "assessment", {"risk": "high", "reason": "r"}).json()
    for moment in (utcnow() + timedelta(hours=1), utcnow() - timedelta(days=1)):
        response = _step(
            client,
            world,
            breach,
            "ico-notification",
            {"notified_at": _iso(moment), "reference": "IC-1"},
        )
        assert_problem(response, 422)


def test_writes_need_the_current_version(client: TestClient, world: World) -> None:
    breach = _create(client, world)
    path = f"{URL}/{breach['id']}/assessment"
    body = {"risk": "high", "reason": "r"}
    assert_problem(client.post(path, json=body, headers=_headers(world)), 428)
    assert_problem(client.post(path, json=body, headers=_headers(world, 7)), 412)


# --- links -----------------------------------------------------------------------------------


def test_people_and_records_are_linked_within_the_centre_only(
    client: TestClient, world: World, db: Session
) -> None:
    mother = make_person(db, world.centre_a)
    stranger = make_person(db, world.centre_b)
    complaint = make_complaint(db, world.centre_a)
    other_complaint = make_complaint(db, world.centre_b)
    db.commit()
    records = [{"record_type": "complaint", "record_id": str(complaint.id)}]
    created = _create(client, world, person_ids=[str(mother.id)], records=records)
    assert created["person_ids"] == [str(mother.id)]
    assert created["records"] == records
    bad_person = client.post(
        URL, json=_body(world, person_ids=[str(stranger.id)]), headers=_headers(world)
    )
    assert assert_problem(bad_person, 422)["errors"][0]["loc"] == ["body", "person_ids.0"]
    bad_record = client.post(
        URL,
        json=_body(
            world, records=[{"record_type": "complaint", "record_id": str(other_complaint.id)}]
        ),
        headers=_headers(world),
    )
    assert assert_problem(bad_record, 422)["errors"][0]["loc"] == ["body", "records.0.record_id"]
    # PATCH replaces the links.
    patched = client.patch(
        f"{URL}/{created['id']}",
        json={"person_ids": [], "records": []},
        headers=_headers(world, created["version"]),
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["person_ids"] == [] and patched.json()["records"] == []
    assert patched.json()["version"] == created["version"] + 1


def test_a_centre_sees_only_its_own_breaches(client: TestClient, world: World, db: Session) -> None:
    mine = make_breach(db, world.centre_a)
    theirs = make_breach(db, world.centre_b)
    db.commit()
    ids = [b["id"] for b in client.get(URL, headers=_headers(world)).json()["items"]]
    assert ids == [str(mine.id)]
    assert_problem(client.get(f"{URL}/{theirs.id}", headers=_headers(world)), 404)
    everyone = client.get(URL, headers=_headers(world, role="naccc_staff")).json()["items"]
    assert {b["id"] for b in everyone} >= {str(mine.id), str(theirs.id)}
    assert_problem(client.get(URL, headers=_headers(world, role="inspector")), 403)


def test_filters_find_what_awaits_a_decision(client: TestClient, world: World, db: Session) -> None:
    waiting = make_breach(db, world.centre_a)
    decided = make_breach(db, world.centre_a, risk="unlikely", risk_reason="r")
    db.commit()

    def ids(**params: Any) -> list[str]:
        response = client.get(URL, params=params, headers=_headers(world))
        assert response.status_code == 200, response.text
        return [b["id"] for b in response.json()["items"]]

    assert ids(awaiting="true") == [str(waiting.id)]
    assert ids(awaiting="false") == [str(decided.id)]
    assert ids(status="open") == [str(decided.id)]
    assert ids(risk="unlikely") == [str(decided.id)]


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"approx_subjects": "3"}, "approx_subjects"),
        ({"approx_subjects": -1}, "approx_subjects"),
        ({"approx_records": 10**12}, "approx_records"),
        ({"aware_at": 1767600000}, "aware_at"),
        ({"aware_at": "2026-01-05T09:00:00"}, "aware_at"),  # no offset
        ({"nature": ""}, "nature"),
        ({"nature": "a\x00b"}, "nature"),
        ({"subject_categories": ["martians"]}, "subject_categories"),
        ({"records": [{"record_type": "person", "record_id": "x"}]}, "records"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_refused(
    client: TestClient, world: World, fields: dict[str, Any], field: str
) -> None:
    response = client.post(URL, json=_body(world, **fields), headers=_headers(world))
    body = assert_problem(response, 422)
    assert field in [str(part) for error in body["errors"] for part in error["loc"]]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"aware_at": "2099-01-01T00:00:00Z"}, "aware_at"),
        (
            {"occurred_at": "2026-02-01T00:00:00Z", "aware_at": "2026-01-01T00:00:00Z"},
            "occurred_at",
        ),
    ],
)
def test_times_out_of_order_are_refused(
    client: TestClient, world: World, db: Session, fields: dict[str, Any], field: str
) -> None:
    response = client.post(URL, json=_body(world, **fields), headers=_headers(world))
    assert assert_problem(response, 422)["errors"][0]["loc"] == ["body", field]
    assert db.scalar(select(Breach.id)) is None  # nothing half-written


def test_another_centre_is_an_unknown_centre(client: TestClient, world: World) -> None:
    response = client.post(
        URL, json=_body(world, centre_id=str(world.centre_b.id)), headers=_headers(world)
    )
    assert_problem(response, 422)


def test_the_nature_is_encrypted_at_rest(client: TestClient, world: World, db: Session) -> None:
    created = _create(client, world)
    assert created["nature"].startswith("Mrs Example")
    stored = db.execute(text("SELECT nature FROM breach")).scalar_one()
    assert b"Example" not in bytes(stored)


# --- retention -------------------------------------------------------------------------------


def test_a_closed_breach_is_kept_six_years_then_disposed_of_with_its_links(
    client: TestClient, app: FastAPI, world: World, db: Session
) -> None:
    person = make_person(db, world.centre_a)
    breach = closed_breach(db, world.centre_a, date(2020, 3, 10))
    db.add(BreachPerson(breach_id=breach.id, person_id=person.id))
    still_open = make_breach(db, world.centre_a, aware_at=datetime(2019, 1, 1, tzinfo=UTC))
    db.commit()
    breach_id = breach.id
    block = client.get(f"{URL}/{breach.id}", headers=_headers(world)).json()["retention"]
    assert block == {
        "rule_key": "breach",
        "trigger_on": "2020-03-10",
        "dispose_after": "2026-03-10",
        "reason": None,
    }
    open_block = client.get(f"{URL}/{still_open.id}", headers=_headers(world)).json()["retention"]
    assert open_block["reason"] == "open"
    assert sweep(app, date(2026, 3, 9)).counts.get("breach") == 0
    assert exists(db, breach)
    done = sweep(app, date(2026, 3, 10))
    assert done.counts["breach"] == 1
    assert not exists(db, breach) and not exists(db, person) and exists(db, still_open)
    assert db.scalar(select(BreachPerson.id).where(BreachPerson.breach_id == breach_id)) is None
    logged = {
        (d.record_type, d.rule_key)
        for d in db.scalars(select(Disposal).where(Disposal.sweep_id == done.id))
    }
    assert logged == {("breach", "breach"), ("person", "breach")}


def test_a_hold_on_a_breach_or_its_person_stops_disposal(
    client: TestClient, app: FastAPI, world: World, db: Session
) -> None:
    person = make_person(db, world.centre_a)
    held = closed_breach(db, world.centre_a, date(2019, 1, 1))
    through_person = closed_breach(db, world.centre_a, date(2019, 1, 1))
    db.add(BreachPerson(breach_id=through_person.id, person_id=person.id))
    db.commit()
    placed = client.post(
        "/api/v1/legal-holds",
        json={"record_type": "breach", "record_id": str(held.id), "reason": "ICO investigation"},
        headers=_headers(world),
    )
    assert placed.status_code == 201, placed.text
    db.add(
        LegalHold(
            centre_id=world.centre_a.id,
            person_id=person.id,
            reason="claim",
            placed_by_id=world.admin.id,
        )
    )
    db.commit()
    assert sweep(app, date(2030, 1, 1)).counts["breach"] == 0
    assert exists(db, held) and exists(db, through_person) and exists(db, person)


def test_the_breach_rule_is_seeded_as_data(client: TestClient, world: World, db: Session) -> None:
    rule = client.get("/api/v1/retention/rules/breach", headers=_headers(world)).json()
    assert rule["period_months"] == 72 and rule["action"] == "dispose"
    assert "Art 33(5)" in rule["policy_text"]
