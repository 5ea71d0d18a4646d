"""GET stats/summary: known counts, the same after a sweep disposes of half the records,
suppression, objection, scoping and bad periods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.centres.models import Centre
from app.complaints.models import Complaint
from app.people.models import Person
from app.retention import sweep as retention_sweep
from app.retention.models import Disposal
from app.subject_requests.models import SubjectRequest
from tests.cases.factories import (
    Family,
    family,
    make_attendance,
    make_person,
    make_referral,
    make_session,
)
from tests.factories import World
from tests.helpers import assert_problem

URL = "/api/v1/stats/summary"
FIRST_QUARTER = {"from": "2024-01-01", "to": "2024-03-31"}
SWEEP_DAY = date(2026, 1, 1)


@dataclass
class Fixture:
    families: list[Family]


def build(db: Session, centre: Centre) -> Fixture:
    """20 referrals received in January to March 2024; the first 10 closed in June 2024 (no court
    order: due for disposal a year later), the other 10 active.

    - source: even → self (10), odd → solicitor (10)
    - contact type: every fourth supervised (5), the rest supported (15)
    - decision: i % 4 == 3 declined (5), the rest accepted (15)
    - each accepted referral: one held session and one cancelled one (15 held); at the held one
      the resident parent attended (15) and the other parent attended (5), was late (5) or was
      absent through illness (5), by i % 3
    """
    families = []
    for i in range(20):
        closed = i < 10
        declined = i % 4 == 3
        fam = family(
            db,
            centre,
            status="closed" if closed else ("declined" if declined else "active"),
            commit=False,
            source="self" if i % 2 == 0 else "solicitor",
            contact_type="supervised" if i % 4 == 0 else "supported",
            decision="declined" if declined else "accepted",
            received_on=date(2024, 1 + i % 3, 1 + i),
            closed_on=date(2024, 6, 1) if closed else None,
        )
        if not declined:
            starts = datetime(2024, 5, 1 + i, 10, tzinfo=UTC)
            held = make_session(db, fam.referral, status="held", starts_at=starts)
            make_session(db, fam.referral, status="cancelled", starts_at=starts + timedelta(days=7))
            make_attendance(db, held, fam.resident, "attended")
            status = ("attended", "late", "absent")[i % 3]
            extra = {"absence_reason": "illness"} if status == "absent" else {}
            make_attendance(db, held, fam.non_resident, status, **extra)
        families.append(fam)
    # Outside the period, and in the other centre: never counted below.
    make_referral(db, centre, received_on=date(2024, 4, 10))
    db.commit()
    return Fixture(families)


def add_requests(db: Session, centre: Centre) -> list[SubjectRequest]:
    """6 access requests completed on time, 5 portability requests completed late."""
    requests = []
    for i in range(11):
        on_time = i < 6
        request = SubjectRequest(
            centre_id=centre.id,
            subject_id=make_person(db, centre).id,
            kind="access" if on_time else "portability",
            status="completed",
            requester="subject",
            channel="email",
            received_on=date(2024, 1, 10),
            due_on=date(2024, 2, 28) if on_time else date(2024, 2, 5),
            closed_on=date(2024, 2, 10),
        )
        db.add(request)
        requests.append(request)
    db.commit()
    return requests


def get(client: TestClient, world: World, role: str = "naccc_staff", **params: Any) -> Any:
    response = client.get(URL, params=params, headers=world.headers(role))
    assert response.status_code == 200, response.text
    return response.json()


def counts(group: dict[str, Any]) -> dict[str, int | None]:
    return {key: c["count"] for key, c in group["cells"].items()}


def sweep(app: FastAPI, today: date) -> None:
    options = retention_sweep.SweepOptions(today=today)
    assert retention_sweep.run(app.state.engine, app.state.sessionmaker, options) is not None


EXPECTED_REFERRALS = {
    "by_source": {
        "self": 10,
        "srs": 0,
        "solicitor": 10,
        "cafcass": 0,
        "local_authority": 0,
        "court": 0,
        "mediator": 0,
        "other": 0,
    },
    "by_contact_type": {"supported": 15, "supervised": 5},
    "by_decision": {"accepted": 15, "declined": 5, "undecided": 0},
}


def assert_known_counts(body: dict[str, Any]) -> None:
    referrals = body["referrals"]
    for name, expected in EXPECTED_REFERRALS.items():
        assert counts(referrals[name]) == expected, name
        assert referrals[name]["total"] == {"count": 20, "suppressed": False}
    assert referrals["acceptance_rate"] == 0.75
    assert body["sessions"]["held"] == {"count": 15, "suppressed": False}
    attendance = body["attendance"]
    assert counts(attendance["by_status"]) == {"attended": 20, "absent": 5, "late": 5}
    assert attendance["attendance_rate"] == round(25 / 30, 4)
    assert counts(attendance["absences_by_reason"])["illness"] == 5
    assert attendance["absences_by_reason"]["total"]["count"] == 5
    requests = body["subject_requests"]
    assert counts(requests["by_kind"]) == {
        "access": 6,
        "rectification": 0,
        "erasure": 0,
        "restriction": 0,
        "objection": 0,
        "portability": 5,
    }
    assert counts(requests["answered"]) == {"on_time": 6, "late": 5}
    assert requests["on_time_share"] == round(6 / 11, 4)


def test_known_counts_and_the_same_numbers_after_a_sweep_disposes_of_half(
    app: FastAPI, client: TestClient, db: Session, world: World
) -> None:
    fixture = build(db, world.centre_a)
    add_requests(db, world.centre_a)
    make_referral(db, world.centre_b, received_on=date(2024, 2, 1))
    db.commit()

    before = get(client, world, "centre_staff", **FIRST_QUARTER)
    assert_known_counts(before)
    assert before["period"] == {"from": "2024-01-01", "to": "2024-03-31"}
    assert before["suppression_threshold"] == 5
    assert counts(before["disposals"]["by_rule"])["referral_no_court"] == 0

    ids = [f.referral.id for f in fixture.families]
    first_resident = fixture.families[0].resident.id
    sweep(app, SWEEP_DAY)
    db.expire_all()
    disposed = db.scalars(select(Disposal).where(Disposal.record_type == "referral")).all()
    assert len(disposed) == 10, "half of the referrals are gone"
    assert set(ids[:10]) == {d.record_id for d in disposed}
    assert db.scalar(select(Person).where(Person.id == first_resident)) is None
    sample = next(d for d in disposed if d.record_id == ids[2])
    assert sample.facts["received_on"] == "2024-03" and sample.facts["attendance_absent"] == 1
    assert sample.facts["absences_illness"] == 1 and sample.facts["objected"] is False

    after = get(client, world, "centre_staff", **FIRST_QUARTER)
    assert_known_counts(after)
    assert {k: v for k, v in after.items() if k != "disposals"} == {
        k: v for k, v in before.items() if k != "disposals"
    }
    # Disposals count in the period they happened in (today, for this sweep).
    today = get(client, world, "centre_staff")
    assert counts(today["disposals"]["by_rule"])["referral_no_court"] == 10
    assert today["disposals"]["by_rule"]["total"]["count"] == 10, "people deleted are not counted"


def test_disposed_referrals_are_filtered_by_the_month_they_were_received(
    app: FastAPI, client: TestClient, db: Session, world: World
) -> None:
    build(db, world.centre_a)
    january = {"from": "2024-01-01", "to": "2024-01-31"}
    before = get(client, world, **january, centre_id=str(world.centre_a.id))
    sweep(app, SWEEP_DAY)
    after = get(client, world, **january, centre_id=str(world.centre_a.id))
    assert before["referrals"] == after["referrals"]
    assert after["referrals"]["by_source"]["total"]["count"] == 7  # i = 0, 3, ..., 18


def test_a_cell_of_three_is_suppressed_with_its_complement(
    client: TestClient, db: Session, world: World
) -> None:
    for source, n in (("self", 6), ("solicitor", 3), ("cafcass", 8)):
        for _ in range(n):
            make_referral(db, world.centre_a, source=source, received_on=date(2024, 2, 1))
    db.commit()
    by_source = get(client, world, "centre_staff", **FIRST_QUARTER)["referrals"]["by_source"]
    assert by_source["cells"]["solicitor"] == {"count": None, "suppressed": True}
    assert by_source["cells"]["self"] == {"count": None, "suppressed": True}, "secondary"
    assert by_source["cells"]["cafcass"] == {"count": 8, "suppressed": False}
    assert by_source["cells"]["srs"] == {"count": 0, "suppressed": False}, "zero is shown"
    assert by_source["total"] == {"count": 17, "suppressed": False}


def test_the_threshold_is_a_setting(
    app: FastAPI, client: TestClient, db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        make_referral(db, world.centre_a, received_on=date(2024, 2, 1))
    db.commit()
    monkeypatch.setattr(app.state.settings, "stats_suppression_threshold", 3)
    body = get(client, world, **FIRST_QUARTER)
    assert body["suppression_threshold"] == 3
    assert body["referrals"]["by_source"]["cells"]["self"] == {"count": 3, "suppressed": False}


def test_a_person_who_objected_is_no_longer_counted(
    app: FastAPI, client: TestClient, db: Session, world: World
) -> None:
    fixture = build(db, world.centre_a)
    requests = add_requests(db, world.centre_a)
    assert_known_counts(get(client, world, **FIRST_QUARTER))

    # Referral 1 (closed, solicitor, supported, accepted, the other parent late) and the
    # subject of one access request object.
    objector = fixture.families[1].non_resident
    objector.objected = True
    subject = db.get(Person, requests[0].subject_id)
    assert subject is not None
    subject.objected = True
    db.commit()

    body = get(client, world, **FIRST_QUARTER)
    referrals = body["referrals"]
    assert counts(referrals["by_source"])["solicitor"] == 9
    assert referrals["by_source"]["total"]["count"] == 19
    assert counts(referrals["by_contact_type"]) == {"supported": 14, "supervised": 5}
    assert body["sessions"]["held"]["count"] == 14
    attendance = body["attendance"]["by_status"]
    assert attendance["total"]["count"] == 28
    assert attendance["cells"]["late"] == {"count": None, "suppressed": True}, "4 is small"
    assert attendance["cells"]["absent"] == {"count": None, "suppressed": True}, "secondary"
    assert body["attendance"]["attendance_rate"] is None
    # The absences by reason add up to the hidden absent cell: hidden whole.
    reasons = body["attendance"]["absences_by_reason"]
    assert reasons["cells"]["illness"]["suppressed"] and reasons["total"]["suppressed"]
    assert reasons["cells"]["transport"] == {"count": 0, "suppressed": False}
    assert counts(body["subject_requests"]["by_kind"])["access"] == 5
    assert counts(body["subject_requests"]["answered"]) == {"on_time": 5, "late": 5}

    # Disposed of later, the referral stays left out: the log says someone objected, not who.
    referral_id = fixture.families[1].referral.id
    sweep(app, SWEEP_DAY)
    db.expire_all()
    log = db.scalars(select(Disposal).where(Disposal.record_id == referral_id)).one()
    assert log.facts["objected"] is True
    after = get(client, world, **FIRST_QUARTER)
    assert after["referrals"] == referrals and after["sessions"]["held"]["count"] == 14


def test_centre_staff_see_their_centre_and_another_centres_id_is_not_found(
    client: TestClient, db: Session, world: World
) -> None:
    for _ in range(5):
        make_referral(db, world.centre_a, received_on=date(2024, 2, 1))
    for _ in range(7):
        make_referral(db, world.centre_b, received_on=date(2024, 2, 1))
    db.commit()

    def total(body: dict[str, Any]) -> int:
        return int(body["referrals"]["by_source"]["total"]["count"])

    assert total(get(client, world, "centre_staff", **FIRST_QUARTER)) == 5
    assert total(get(client, world, "inspector", **FIRST_QUARTER)) == 5
    mine = get(client, world, "centre_staff", centre_id=str(world.centre_a.id))
    assert total(mine) == 5 and mine["centre_id"] == str(world.centre_a.id)
    assert total(get(client, world, **FIRST_QUARTER)) == 12, "naccc staff see every centre"
    assert total(get(client, world, centre_id=str(world.centre_b.id))) == 7
    for role in ("centre_staff", "inspector"):
        response = client.get(
            URL, params={"centre_id": str(world.centre_b.id)}, headers=world.headers(role)
        )
        assert_problem(response, 404, "not-found")


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2024-03-01", "to": "2024-02-28"},
        {"from": "2024-02-30"},
        {"to": "yesterday"},
        {"from": "1700000000"},
        {"centre_id": "not-a-uuid"},
    ],
)
def test_bad_periods_are_refused(client: TestClient, world: World, params: dict[str, str]) -> None:
    response = client.get(URL, params=params, headers=world.headers("naccc_staff"))
    assert_problem(response, 422)


def test_the_same_day_is_a_period(client: TestClient, db: Session, world: World) -> None:
    for _ in range(5):
        make_referral(db, world.centre_a, received_on=date(2024, 2, 1))
    db.commit()
    body = get(client, world, **{"from": "2024-02-01", "to": "2024-02-01"})
    assert body["referrals"]["by_source"]["cells"]["self"]["count"] == 5


def test_incidents_and_complaints_are_counted_and_complaints_survive_disposal(
    app: FastAPI, client: TestClient, db: Session, world: World
) -> None:
    from tests.cases.factories import make_complaint, make_incident

    for i in range(6):
        make_incident(
            db,
            world.centre_a,
            kind="safeguarding",
            occurred_at=datetime(2024, 2, 1 + i, 10, tzinfo=UTC),
        )
    for i in range(5):
        make_incident(
            db,
            world.centre_a,
            kind="child_protection",
            occurred_at=datetime(2024, 3, 1 + i, 10, tzinfo=UTC),
        )
    make_incident(
        db,
        world.centre_a,
        kind="accident",
        child_id=None,
        occurred_at=datetime(2024, 2, 10, 10, tzinfo=UTC),
    )
    # Six complaints received in February 2024, resolved after 10..15 days and closed in 2024
    # (due for disposal in 2025); five still open.
    for i in range(6):
        received = date(2024, 2, 1 + i)
        resolved = received + timedelta(days=10 + i)
        make_complaint(
            db,
            world.centre_a,
            received_on=received,
            status="resolved",
            resolved_on=resolved,
            closed_on=resolved,
        )
    for i in range(5):
        make_complaint(db, world.centre_a, received_on=date(2024, 2, 20 + i))
    db.commit()

    def figures() -> tuple[Any, Any, Any]:
        body = get(client, world, **FIRST_QUARTER)
        return (
            counts(body["incidents"]["by_kind"]),
            counts(body["complaints"]["by_status"]),
            body["complaints"]["median_days_to_resolution"],
        )

    before = figures()
    # The accident (1) is hidden, and so is the next smallest cell, or the total would tell.
    assert before[0] == {"safeguarding": 6, "child_protection": None, "accident": None}
    assert before[1]["resolved"] == 6 and before[1]["received"] == 5
    assert before[2] == 12.5
    sweep(app, SWEEP_DAY)
    remaining = db.scalar(select(func.count()).select_from(Complaint))
    assert remaining == 5, "the resolved complaints were disposed of"
    assert figures() == before


def test_a_complainant_or_child_who_objected_is_left_out(
    client: TestClient, db: Session, world: World
) -> None:
    from tests.cases.factories import make_child, make_complaint, make_incident

    objector = make_person(db, world.centre_a, objected=True)
    child = make_child(db, world.centre_a, objected=True)
    for i in range(5):
        make_complaint(db, world.centre_a, received_on=date(2024, 2, 1 + i))
        make_incident(db, world.centre_a, occurred_at=datetime(2024, 2, 1 + i, 9, tzinfo=UTC))
    make_complaint(db, world.centre_a, received_on=date(2024, 2, 9), complainant_id=objector.id)
    make_incident(
        db, world.centre_a, child_id=child.id, occurred_at=datetime(2024, 2, 9, 9, tzinfo=UTC)
    )
    db.commit()
    body = get(client, world, **FIRST_QUARTER)
    assert body["complaints"]["by_status"]["total"]["count"] == 5
    assert body["incidents"]["by_kind"]["total"]["count"] == 5
