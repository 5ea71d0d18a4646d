"""Regression tests of issue 11 ("retention a centre can trust"): each failed on the main of
2026-11-30. A hold, freeze or restriction covers exactly the records linked to that person;
current staff are never due; safeguarding paperwork outlives the record it hangs off; subject
requests and disclosures have rules of their own. Every case is checked three ways that must
agree: the retention block on the read, the preview (`retention/due`) and the sweep itself."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.attendance.models import Attendance, ContactSession
from app.complaints.models import Complaint
from app.disclosures.models import DisclosurePerson
from app.documents.models import Document
from app.people.models import Person
from app.referrals.models import PreVisit
from app.retention import sweep as retention_sweep
from app.retention.blocks import retention_blocks
from app.retention.models import Disposal, LegalHold
from app.subject_requests.models import SubjectRequest, ThirdPartyDecision
from tests.cases.factories import (
    OCCURRED_AT,
    add_party,
    family,
    make_attendance,
    make_case_document,
    make_complaint,
    make_disclosure,
    make_person,
    make_referral,
    make_session,
)
from tests.factories import World
from tests.retention.test_sweep import exists, sweep
from tests.staff.factories import make_dbs_check, make_hr_note, make_parental_leave, make_staff

FAR = date(2126, 1, 1)


def resolved_complaint(db: Session, centre: Any, complainant: Person | None) -> Complaint:
    return make_complaint(
        db,
        centre,
        complainant_id=complainant.id if complainant else None,
        status="resolved",
        resolved_on=date(2020, 1, 10),
        closed_on=date(2020, 1, 10),
    )


def preview(db: Session, today: date, record_type: str) -> tuple[set[Any], dict[Any, str]]:
    """(ids due, id → withheld reason) of one record type in the preview."""
    due: set[Any] = set()
    withheld: dict[Any, str] = {}
    for rule in retention_sweep.preview(db, today, None, 1000):
        due |= {r.record_id for r in rule.records if r.record_type == record_type}
        withheld |= {r.record_id: r.reason for r in rule.withheld if r.record_type == record_type}
    return due, withheld


def hold_person(db: Session, world: World, person: Person) -> LegalHold:
    hold = LegalHold(
        centre_id=person.centre_id, person_id=person.id, reason="claim", placed_by_id=world.admin.id
    )
    db.add(hold)
    db.flush()
    return hold


def open_access_request(db: Session, subject: Person) -> SubjectRequest:
    request = SubjectRequest(
        centre_id=subject.centre_id,
        subject_id=subject.id,
        kind="access",
        status="in_progress",
        requester="subject",
        channel="email",
        received_on=date(2026, 11, 2),
        identity_verified_on=date(2026, 11, 2),
        due_on=date(2026, 12, 2),
    )
    db.add(request)
    db.flush()
    return request


# --- 1. a hold or freeze on one person covers exactly that person's records ----------------------


def test_a_hold_on_one_complainant_keeps_only_their_complaints(
    app: FastAPI, client: TestClient, db: Session, world: World
) -> None:
    held, other = make_person(db, world.centre_a), make_person(db, world.centre_a)
    held_complaint = resolved_complaint(db, world.centre_a, held)
    others = [
        resolved_complaint(db, world.centre_a, other),
        resolved_complaint(db, world.centre_a, None),
        resolved_complaint(db, world.centre_b, make_person(db, world.centre_b)),
    ]
    hold_person(db, world, held)
    db.commit()

    blocks = retention_blocks(db, [held_complaint, *others])
    assert [b.reason for b in blocks] == ["held", None, None, None]
    due, withheld = preview(db, date(2026, 1, 1), "complaint")
    assert due == {c.id for c in others}
    assert withheld == {held_complaint.id: "held"}
    listed = client.get("/api/v1/retention/due", headers=world.headers("naccc_staff")).json()
    [rule] = [r for r in listed["rules"] if r["rule_key"] == "complaint"]
    assert (rule["total"], rule["withheld_total"]) == (3, 1)
    assert rule["withheld"][0]["reason"] == "held"

    sweep(app, date(2026, 1, 1))
    assert exists(db, held_complaint) and exists(db, held)
    assert not any(exists(db, c) for c in others)
    assert not exists(db, other), "the other complainant went with their complaint"


def test_an_open_access_request_freezes_only_its_subjects_records(
    app: FastAPI, db: Session, world: World
) -> None:
    asking, other = make_person(db, world.centre_a), make_person(db, world.centre_a)
    frozen = resolved_complaint(db, world.centre_a, asking)
    free = resolved_complaint(db, world.centre_a, other)
    open_access_request(db, asking)
    db.commit()
    assert [b.reason for b in retention_blocks(db, [frozen, free])] == ["frozen", None]
    assert preview(db, date(2026, 1, 1), "complaint") == ({free.id}, {frozen.id: "frozen"})
    sweep(app, date(2026, 1, 1))
    assert exists(db, frozen) and not exists(db, free)


# --- 5. a restriction freezes the person's records like a hold, with its own reason ------------


def test_a_restricted_persons_records_are_not_disposed_of(
    app: FastAPI, db: Session, world: World
) -> None:
    restricted = family(db, world.centre_a, status="closed", closed_on=date(2020, 1, 1))
    free = family(db, world.centre_a, status="closed", closed_on=date(2020, 1, 1))
    person = db.get(Person, restricted.non_resident.id)
    assert person is not None
    person.processing_restricted = True
    complaint = resolved_complaint(db, world.centre_a, person)
    db.commit()

    blocks = retention_blocks(db, [restricted.referral, free.referral])
    assert [b.reason for b in blocks] == ["restricted", None]
    assert retention_blocks(db, [complaint])[0].reason == "restricted"
    due, withheld = preview(db, date(2026, 1, 1), "referral")
    assert due == {free.referral.id}
    assert withheld == {restricted.referral.id: "restricted"}

    sweep(app, date(2026, 1, 1))
    assert exists(db, restricted.referral) and exists(db, complaint)
    assert not exists(db, free.referral)
    person.processing_restricted = False
    db.commit()
    sweep(app, date(2026, 1, 2))
    assert not exists(db, restricted.referral) and not exists(db, complaint)


# --- 2. current staff and their HR file, DBS record and parental leave are never due -----------


def test_current_staff_are_never_due_and_their_clock_starts_when_they_leave(
    app: FastAPI, db: Session, world: World
) -> None:
    employee = make_staff(
        db,
        world.centre_a,
        engagement="paid",
        started_on=date(2010, 9, 1),
        last_used_on=date(2015, 1, 5),
    )
    check = make_dbs_check(db, employee)
    note = make_hr_note(db, employee)
    leave = make_parental_leave(db, employee, child_birth_or_adoption_on=date(2012, 3, 1))
    db.commit()

    assert retention_blocks(db, [employee])[0].reason == "employed"
    assert retention_blocks(db, [check])[0].reason == "employed"
    assert retention_blocks(db, [leave])[0].reason == "employed"
    assert preview(db, FAR, "staff_member")[0] == set()
    assert preview(db, FAR, "parental_leave")[0] == set()
    sweep(app, FAR)
    assert all(exists(db, r) for r in (employee, check, note, leave))

    employee.ended_on = date(2026, 3, 31)
    db.commit()
    [block] = retention_blocks(db, [leave])
    assert (block.reason, block.dispose_after) == (None, date(2017, 3, 1))
    sweep(app, date(2032, 3, 30))
    assert exists(db, employee) and not exists(db, leave)
    sweep(app, date(2032, 3, 31))
    assert not any(exists(db, r) for r in (employee, check, note))


# --- 3. safeguarding paperwork outlives the record it hangs off --------------------------------


def test_safeguarding_paperwork_outlives_its_referral_with_the_people_it_names(
    app: FastAPI, db: Session, world: World
) -> None:
    case = family(db, world.centre_a, status="closed", closed_on=date(2020, 1, 1), commit=False)
    flagged_visit, plain_visit = case.pre_visits
    flagged_visit.safeguarding = True
    flagged_visit.concerns = "Mother fears the father; police involved"
    flagged_session = make_session(db, case.referral, status="held", safeguarding=True)
    flagged_attendance = make_attendance(db, flagged_session, case.child)
    plain_session = make_session(
        db, case.referral, status="held", starts_at=OCCURRED_AT + timedelta(days=7)
    )
    plain_attendance = make_attendance(db, plain_session, case.child)
    flagged_document = make_case_document(db, world.centre_a.id, {"referral_id": case.referral.id})
    flagged_document.safeguarding = True
    plain_document = make_case_document(db, world.centre_a.id, {"referral_id": case.referral.id})
    # To the local authority, on the safeguarding basis, linked to the referral only.
    to_the_council = make_disclosure(
        db,
        world.centre_a,
        [case.non_resident],
        recipient_type="local_authority",
        lawful_basis="safeguarding",
        referral_id=case.referral.id,
    )
    consented = make_disclosure(
        db, world.centre_a, [case.resident], lawful_basis="consent", referral_id=case.referral.id
    )
    complaint = resolved_complaint(db, world.centre_a, make_person(db, world.centre_a))
    complaint_paper = make_case_document(db, world.centre_a.id, {"complaint_id": complaint.id})
    complaint_paper.safeguarding = True
    db.commit()

    sweep(app, FAR)
    assert not exists(db, case.referral) and not exists(db, complaint)
    for gone in (plain_visit, plain_session, plain_attendance, plain_document, consented):
        assert not exists(db, gone)
    for kept in (flagged_visit, flagged_session, flagged_attendance, flagged_document):
        assert exists(db, kept)
    assert exists(db, to_the_council) and exists(db, complaint_paper)
    db.expire_all()
    assert db.get(PreVisit, flagged_visit.id).referral_id is None  # type: ignore[union-attr]
    assert db.get(ContactSession, flagged_session.id).referral_id is None  # type: ignore[union-attr]
    assert db.get(Document, complaint_paper.id).owner is None  # type: ignore[union-attr]
    # The people the paperwork names stay: the mother (pre-visit), the child (attendance), the
    # father (disclosure); nobody else is named by what is left.
    assert exists(db, case.resident) and exists(db, case.child) and exists(db, case.non_resident)
    assert db.scalar(select(Attendance.id).where(Attendance.id == flagged_attendance.id))
    assert (
        db.scalar(
            select(DisclosurePerson.person_id).where(
                DisclosurePerson.disclosure_id == to_the_council.id
            )
        )
        == case.non_resident.id
    )


# --- 4. subject requests and disclosures have rules: the people they name go in the end --------


def test_a_closed_subject_request_goes_two_years_after_closure_with_its_decisions(
    app: FastAPI, client: TestClient, db: Session, world: World
) -> None:
    subject, third = make_person(db, world.centre_a), make_person(db, world.centre_a)
    request = open_access_request(db, subject)
    request.status, request.closed_on = "completed", date(2024, 2, 29)
    decision = ThirdPartyDecision(
        centre_id=world.centre_a.id,
        request_id=request.id,
        person_id=third.id,
        basis="consent",
        note="Agreed by phone",
        decided_by_id=world.admin.id,
    )
    db.add(decision)
    db.commit()
    [block] = retention_blocks(db, [request])
    assert (block.rule_key, block.dispose_after) == ("subject_request", date(2026, 2, 28))
    read = client.get(
        f"/api/v1/subject-requests/{request.id}", headers=world.headers("centre_staff")
    )
    assert read.json()["retention"] == block.model_dump(mode="json")
    assert preview(db, date(2026, 2, 27), "subject_request")[0] == set()
    assert preview(db, date(2026, 2, 28), "subject_request")[0] == {request.id}
    sweep(app, date(2026, 2, 28))
    assert not exists(db, request) and not exists(db, decision)
    assert not exists(db, subject) and not exists(db, third), "nothing else needs them"
    log = db.scalars(select(Disposal).where(Disposal.record_type == "subject_request")).one()
    assert log.rule_key == "subject_request" and log.facts["kind"] == "access"


def test_a_disclosure_linked_to_no_kept_record_goes_after_three_years(
    app: FastAPI, db: Session, world: World
) -> None:
    named = make_person(db, world.centre_a)
    loose = make_disclosure(
        db,
        world.centre_a,
        [named],
        lawful_basis="consent",
        disclosed_at=datetime(2023, 3, 1, 10, 0, tzinfo=OCCURRED_AT.tzinfo),
    )
    safeguarding = make_disclosure(
        db,
        world.centre_a,
        [make_person(db, world.centre_a)],
        lawful_basis="safeguarding",
        disclosed_at=datetime(2023, 3, 1, 10, 0, tzinfo=OCCURRED_AT.tzinfo),
    )
    open_case = make_referral(db, world.centre_a, status="active")
    add_party(db, open_case, make_person(db, world.centre_a), "resident_parent")
    with_open_case = make_disclosure(
        db, world.centre_a, lawful_basis="consent", referral_id=open_case.id
    )
    db.commit()
    assert preview(db, date(2026, 2, 28), "disclosure")[0] == set()
    assert preview(db, date(2026, 3, 1), "disclosure")[0] == {loose.id}
    sweep(app, FAR)
    assert not exists(db, loose) and not exists(db, named)
    assert exists(db, safeguarding) and exists(db, with_open_case)
