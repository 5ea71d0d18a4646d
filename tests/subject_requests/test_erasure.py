"""Erasure requests: the plan (each linked record's fate, with its ground), its execution in one
transaction, and that nothing erased is left behind and nothing kept is touched (DESIGN.md §5)."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import JSON, String, func, inspect, select
from sqlalchemy.orm import Session

from app.attendance.models import Attendance, ContactSession
from app.audit.models import AuditEvent
from app.complaints.models import Complaint
from app.db import Base
from app.disclosures.models import Disclosure, DisclosurePerson
from app.documents.models import Document
from app.incidents.models import Incident
from app.people.models import Person
from app.referrals.models import PreVisit, Referral, ReferralParty
from app.retention.models import LegalHold
from app.security.encryption import EncryptedBytes, EncryptedText
from tests.cases.factories import (
    add_party,
    make_case_document,
    make_complaint,
    make_disclosure,
    make_incident,
    make_person,
    make_referral,
)
from tests.factories import World
from tests.helpers import assert_problem
from tests.subject_requests.factories import (
    MOTHER_EMAIL,
    MOTHER_NAME,
    MOTHER_PHONE,
    FamilyCase,
    family_case,
)
from tests.subject_requests.test_router import URL, act, file, release_and_complete

NAME, EMAIL, PHONE = MOTHER_NAME, MOTHER_EMAIL, MOTHER_PHONE
VERIFIED = {"identity_verified_on": "2026-01-01"}


def erasure_request(client: TestClient, world: World, person: Person) -> dict:
    return file(
        client, world, person, kind="erasure", erasure_ground="consent_withdrawn", **VERIFIED
    )


def settled_family_case(db: Session, world: World, **referral_fields: Any) -> FamilyCase:
    """The issue's family once the case is over: the referral closed on 2026-01-31 (a court
    referral is then within its 3 years) and the complaint resolved. An open case and an open
    complaint are kept from erasure (test_an_open_case_and_open_or_ico_complaints_are_kept)."""
    referral_fields.setdefault("status", "closed")
    referral_fields.setdefault("closed_on", date(2026, 1, 31))
    case = family_case(db, world.centre_a, **referral_fields)
    case.complaint.status = "resolved"
    case.complaint.resolved_on = case.complaint.closed_on = date(2026, 3, 2)
    db.commit()
    return case


def preview(client: TestClient, world: World, request: dict) -> dict:
    response = client.get(
        f"{URL}/{request['id']}/erasure-plan", headers=world.headers("centre_staff")
    )
    assert response.status_code == 200, response.text
    return response.json()


def fates(plan: dict) -> dict[tuple[str, str], tuple[str, str | None]]:
    return {
        (r["record_type"], r["record_id"]): (r["fate"], r["scope"] or r["ground"])
        for r in plan["records"]
    }


def snapshot(db: Session, *models: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """Every row of these tables, every column (decrypted): to compare before and after."""
    db.expire_all()
    found = {}
    for model in models:
        columns = [c.key for c in inspect(model).column_attrs]
        rows = db.scalars(select(model)).all()
        found[model.__tablename__] = {
            str(inspect(row).identity): {c: getattr(row, c) for c in columns} for row in rows
        }
    return found


KEPT_MODELS = (
    Referral,
    ReferralParty,
    PreVisit,
    ContactSession,
    Attendance,
    Incident,
    Disclosure,
    DisclosurePerson,
    Person,
)


def text_hits(db: Session, needles: list[str]) -> list[str]:
    """Every place a needle is stored: each String/Text column of every table (in SQL), each JSON
    column, and each encrypted column decrypted through its ORM model."""
    hits = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String):
                for needle in needles:
                    count = db.scalar(
                        select(func.count()).select_from(table).where(column.contains(needle))
                    )
                    if count:
                        hits.append(f"{table.name}.{column.name}")
            elif isinstance(column.type, JSON):
                for value in db.scalars(select(column).where(column.is_not(None))):
                    text = json.dumps(value, ensure_ascii=False)
                    hits += [f"{table.name}.{column.name}" for n in needles if n in text]
    for mapper in Base.registry.mappers:
        for attribute in mapper.column_attrs:
            column = attribute.columns[0]
            if not isinstance(column.type, EncryptedText | EncryptedBytes):
                continue
            for value in db.scalars(select(getattr(mapper.class_, attribute.key))):
                if value is None:
                    continue
                text = value.decode(errors="replace") if isinstance(value, bytes) else value
                hits += [f"{column.table.name}.{column.name}" for n in needles if n in text]
    return hits


def test_the_plan_keeps_the_incident_and_the_court_referral_and_erases_the_complaint(
    client: TestClient, world: World, db: Session
) -> None:
    case = settled_family_case(db, world)
    request = erasure_request(client, world, case.mother)
    plan = preview(client, world, request)
    found = fates(plan)
    assert found[("incident", str(case.incident.id))] == ("keep", "safeguarding")
    assert found[("referral", str(case.referral.id))] == ("keep", "legal_claims")
    assert found[("complaint", str(case.complaint.id))] == ("erase", "record")
    # A disclosure to the police on the safeguarding basis: safeguarding paperwork.
    assert found[("disclosure", str(case.disclosure.id))] == ("keep", "safeguarding_paperwork")
    assert found[("subject_request", request["id"])] == ("keep", "legal_obligation")
    # Their pre-visit and attendance follow the referral.
    assert found[("pre_visit", str(case.pre_visits[0].id))] == ("keep", "legal_claims")
    attendance = [v for (t, _), v in found.items() if t == "attendance"]
    assert attendance == [("keep", "legal_claims")] * 2
    assert (plan["person"]["fate"], plan["person"]["ground"]) == ("keep", "needed_by_kept_records")
    assert [(r["recipient_type"], r["disclosure_id"]) for r in plan["recipients_to_notify"]] == [
        ("police", str(case.disclosure.id))
    ]
    review = {(f["record_type"], f["record_id"], f["field"]) for f in plan["review"]}
    assert {
        ("incident", str(case.incident.id), "description"),
        ("incident", str(case.incident.id), "action_taken"),
        ("disclosure", str(case.disclosure.id), "shared"),
        ("contact_session", str(case.sessions[0].id), "notes"),
    } <= review
    assert len(plan["digest"]) == 64 and plan["digest"] == preview(client, world, request)["digest"]
    for text in (NAME, EMAIL, PHONE):
        assert text not in json.dumps(plan)


def test_executing_the_plan_erases_the_complaint_and_touches_nothing_kept(
    client: TestClient, world: World, db: Session
) -> None:
    case = settled_family_case(db, world)
    complaint_id, document_id = case.complaint.id, case.complaint_document.id
    request = erasure_request(client, world, case.mother)
    plan = preview(client, world, request)
    before = snapshot(db, *KEPT_MODELS)

    done = act(client, world, request, "complete", plan_digest=plan["digest"])
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    result = done.json()["result"]

    assert db.get(Complaint, complaint_id) is None
    assert db.get(Document, document_id) is None
    assert snapshot(db, *KEPT_MODELS) == before  # referral, sessions, people: all as they were
    assert result["plan_digest"] == plan["digest"]
    assert result["erased"] == [
        {"record_type": "complaint", "record_id": str(complaint_id), "scope": "record"}
    ]
    assert {(k["record_type"], k["ground"]) for k in result["kept"]} >= {
        ("incident", "safeguarding"),
        ("referral", "legal_claims"),
    }
    assert result["recipients_to_notify"][0]["recipient_type"] == "police"
    events = db.scalars(select(AuditEvent)).all()
    completion = next(e for e in events if e.action == "subject_requests_complete")
    assert completion.details["erased"] == {"complaint": 1}
    assert completion.details["kept"]["referral"] == 1
    for text in (NAME, EMAIL, PHONE):
        assert text not in json.dumps(result)
        assert all(text not in json.dumps(e.details or {}) for e in events)


def test_a_completed_erasure_is_journaled_outside_the_database_with_ids_only(
    client: TestClient, world: World, db: Session
) -> None:
    journal = client.app.state.erasure_journal  # type: ignore[attr-defined]
    case = settled_family_case(db, world)
    request = erasure_request(client, world, case.mother)
    plan = preview(client, world, request)
    stale = act(client, world, request, "complete", plan_digest="0" * 64)
    assert_problem(stale, 409)
    assert list(journal.entries()) == []  # a refused completion is not an erasure

    done = act(client, world, request, "complete", plan_digest=plan["digest"])
    assert done.status_code == 200, done.text
    [entry] = list(journal.entries())
    assert (entry.request_id, entry.person_id, entry.centre_id, entry.plan_digest) == (
        uuid.UUID(request["id"]),
        case.mother.id,
        world.centre_a.id,
        plan["digest"],
    )
    assert entry.completed_at.isoformat() == done.json()["result"]["executed_at"]
    raw = journal.path.read_text()
    assert set(json.loads(raw)) == {
        "request_id",
        "person_id",
        "centre_id",
        "completed_at",
        "plan_digest",
        "erasure_ground",
    }
    for text in (NAME, EMAIL, PHONE, "1990"):
        assert text not in raw


def test_the_journal_is_written_only_when_the_transaction_commits(
    app: Any, db: Session, world: World, tmp_path: Any
) -> None:
    from app.db import utcnow
    from app.subject_requests.journal import ErasureJournal, JournalEntry

    journal = ErasureJournal(tmp_path / "journal")
    entry = JournalEntry(uuid.uuid4(), uuid.uuid4(), world.centre_a.id, utcnow(), "d" * 64, None)
    journal.append_after_commit(db, entry)
    assert not journal.path.exists()
    db.rollback()
    db.commit()
    assert not journal.path.exists()
    journal.append_after_commit(db, entry)
    db.commit()
    assert list(journal.entries()) == [entry]
    # A torn last line (a crash mid-write) is skipped, and the next entry stays whole.
    with journal.path.open("ab") as handle:
        handle.write(b'{"request_id": "')
    assert list(journal.entries()) == [entry]
    journal.append(entry)
    assert list(journal.entries()) == [entry, entry]


def test_reapplying_leaves_an_applied_erasure_and_an_absent_person_alone(
    client: TestClient, world: World, db: Session
) -> None:
    from app.subject_requests import service

    journal = client.app.state.erasure_journal  # type: ignore[attr-defined]
    case = settled_family_case(db, world)
    request = erasure_request(client, world, case.mother)
    plan = preview(client, world, request)
    assert act(client, world, request, "complete", plan_digest=plan["digest"]).status_code == 200
    [entry] = list(journal.entries())
    before = snapshot(db, *KEPT_MODELS)
    applied = service.reapply_erasure(db, entry)
    assert (applied.outcome, applied.counts) == (service.ALREADY_APPLIED, None)
    absent = service.reapply_erasure(db, replace(entry, person_id=uuid.uuid4()))
    assert absent.outcome == service.PERSON_ABSENT
    assert snapshot(db, *KEPT_MODELS) == before


@pytest.mark.parametrize(
    "referral_fields",
    [
        pytest.param({"has_court_order": False}, id="no-court-order"),  # closed 2026-01-31
        pytest.param(
            {"has_court_order": True, "status": "closed", "closed_on": date(2022, 6, 30)},
            id="court-referral-closed-over-3-years-ago",
        ),
    ],
)
def test_a_parent_no_kept_record_needs_is_anonymised_and_their_part_erased(
    client: TestClient, world: World, db: Session, referral_fields: dict
) -> None:
    case = settled_family_case(db, world, **referral_fields)
    parent, other = case.mother, case.father
    assert text_hits(db, [NAME, EMAIL])  # the search finds them before
    request = erasure_request(client, world, parent)
    plan = preview(client, world, request)
    assert fates(plan)[("referral", str(case.referral.id))] == ("erase", "their_part")
    assert plan["person"] == {"fate": "anonymise", "ground": None, "legal_basis": None}
    other_before = snapshot(db, Person)["person"][str((other.id,))]

    done = act(client, world, request, "complete", plan_digest=plan["digest"])
    assert done.status_code == 200, done.text

    assert text_hits(db, [NAME, EMAIL]) == []
    db.expire_all()
    erased = db.get(Person, parent.id)
    assert erased is not None and erased.erased_at is not None
    assert (erased.full_name, erased.email, erased.phone, erased.date_of_birth) == (
        "Erased person",
        None,
        None,
        None,
    )
    for model in (ReferralParty, PreVisit, Attendance):
        people = set(db.scalars(select(model.person_id)))
        assert parent.id not in people and other.id in people, model
    assert len(db.scalars(select(Attendance.id).where(Attendance.person_id == other.id)).all()) == 2
    assert snapshot(db, Person)["person"][str((other.id,))] == other_before
    # The incident and the police disclosure stay; the disclosure still names the person, by id.
    assert db.get(Incident, case.incident.id) is not None
    named = db.scalars(
        select(DisclosurePerson.person_id).where(
            DisclosurePerson.disclosure_id == case.disclosure.id
        )
    )
    assert set(named) == {parent.id, other.id, case.son.id}
    assert db.get(Referral, case.referral.id) is not None
    result = done.json()["result"]
    assert result["person"] == {"fate": "anonymise", "ground": None, "legal_basis": None}
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "subject_requests_complete")
    ).one()
    assert event.details["erased"]["person"] == 1


def test_a_referral_that_concerns_only_them_is_erased_whole(
    client: TestClient, world: World, db: Session
) -> None:
    person = make_person(db, world.centre_a, full_name=NAME, email=EMAIL)
    referral = make_referral(db, world.centre_a, status="closed", closed_on=date(2026, 1, 20))
    add_party(db, referral, person, "referrer")
    document = make_case_document(db, world.centre_a.id, {"referral_id": referral.id})
    only_theirs = make_disclosure(
        db, world.centre_a, [person], referral_id=referral.id, lawful_basis="consent"
    )
    accident = make_incident(db, world.centre_a, kind="accident", referral_id=referral.id)
    db.commit()
    referral_id, document_id, disclosure_id = referral.id, document.id, only_theirs.id
    request = erasure_request(client, world, person)
    plan = preview(client, world, request)
    found = fates(plan)
    assert found[("referral", str(referral.id))] == ("erase", "record")
    assert found[("disclosure", str(only_theirs.id))] == ("erase", "record")
    assert found[("incident", str(accident.id))] == ("keep", "safeguarding")
    assert plan["person"]["fate"] == "anonymise"
    assert plan["recipients_to_notify"][0]["disclosure_id"] == str(only_theirs.id)

    done = act(client, world, request, "complete", plan_digest=plan["digest"])
    assert done.status_code == 200, done.text
    db.expire_all()
    assert db.get(Referral, referral_id) is None
    assert db.get(Document, document_id) is None
    assert db.get(Disclosure, disclosure_id) is None
    kept = db.get(Incident, accident.id)
    assert kept is not None and kept.referral_id is None
    assert text_hits(db, [NAME, EMAIL]) == []


def test_a_held_complaint_is_kept_and_a_person_hold_keeps_everything(
    client: TestClient, world: World, db: Session
) -> None:
    case = settled_family_case(db, world, has_court_order=False)
    db.add(
        LegalHold(
            centre_id=world.centre_a.id,
            record_type="complaint",
            record_id=case.complaint.id,
            reason="Litigation",
            placed_by_id=world.admin.id,
        )
    )
    db.commit()
    request = erasure_request(client, world, case.mother)
    plan = preview(client, world, request)
    assert fates(plan)[("complaint", str(case.complaint.id))] == ("keep", "legal_hold")
    # A kept complaint needs its complainant.
    assert (plan["person"]["fate"], plan["person"]["ground"]) == ("keep", "needed_by_kept_records")

    db.add(
        LegalHold(
            centre_id=world.centre_a.id,
            person_id=case.mother.id,
            reason="Litigation",
            placed_by_id=world.admin.id,
        )
    )
    db.commit()
    held = preview(client, world, request)
    assert (held["person"]["fate"], held["person"]["ground"]) == ("keep", "legal_hold")
    assert {r["fate"] for r in held["records"]} == {"keep"}
    assert fates(held)[("referral", str(case.referral.id))] == ("keep", "legal_hold")
    before = snapshot(db, *KEPT_MODELS, Complaint, Document)
    done = act(client, world, request, "complete", plan_digest=held["digest"])
    assert done.status_code == 200, done.text
    assert done.json()["result"]["erased"] == []
    assert snapshot(db, *KEPT_MODELS, Complaint, Document) == before


def test_completion_needs_the_current_plan_and_happens_once(
    client: TestClient, world: World, db: Session
) -> None:
    case = settled_family_case(db, world, has_court_order=False)
    request = erasure_request(client, world, case.mother)
    plan = preview(client, world, request)
    missing = assert_problem(act(client, world, request, "complete"), 422)
    assert missing["errors"][0]["loc"] == ["body", "plan_digest"]
    assert_problem(act(client, world, request, "complete", plan_digest="xyz"), 422)

    make_complaint(
        db,
        world.centre_a,
        complainant_id=case.mother.id,
        status="withdrawn",
        closed_on=date(2026, 3, 3),
    )
    db.commit()
    stale = assert_problem(act(client, world, request, "complete", plan_digest=plan["digest"]), 409)
    assert "changed" in stale["detail"]
    assert db.get(Person, case.mother.id).erased_at is None  # nothing was done

    fresh = preview(client, world, request)
    done = act(client, world, request, "complete", plan_digest=fresh["digest"])
    assert done.status_code == 200, done.text
    assert_problem(act(client, world, done.json(), "complete", plan_digest=fresh["digest"]), 409)
    assert_problem(
        client.get(f"{URL}/{request['id']}/erasure-plan", headers=world.headers("centre_staff")),
        409,
    )
    staff = world.headers("centre_staff")
    person = client.get(f"/api/v1/people/{case.mother.id}", headers=staff)
    refused = client.patch(
        f"/api/v1/people/{case.mother.id}",
        json={"phone": "01223 111111"},
        headers={**staff, "If-Match": person.headers["etag"]},
    )
    assert_problem(refused, 409)

    # A second erasure request of the erased person is refused too.
    again = erasure_request(client, world, db.get(Person, case.mother.id))
    again_plan = preview(client, world, again)
    assert_problem(act(client, world, again, "complete", plan_digest=again_plan["digest"]), 409)


def test_only_erasure_requests_have_a_plan_or_take_a_digest(
    client: TestClient, world: World, db: Session
) -> None:
    person = make_person(db, world.centre_a)
    db.commit()
    access = file(client, world, person, **VERIFIED)
    response = client.get(
        f"{URL}/{access['id']}/erasure-plan", headers=world.headers("centre_staff")
    )
    assert_problem(response, 409)
    objection = file(client, world, person, kind="objection", **VERIFIED)
    assert_problem(act(client, world, objection, "complete", plan_digest="0" * 64), 422)
    assert act(client, world, objection, "complete").status_code == 200
    missing = client.get(
        f"{URL}/{uuid.uuid4()}/erasure-plan", headers=world.headers("centre_staff")
    )
    assert_problem(missing, 404)


def test_an_open_access_request_of_the_subject_blocks_erasure(
    client: TestClient, world: World, db: Session
) -> None:
    person = make_person(db, world.centre_a, full_name=NAME, email=EMAIL)
    db.commit()
    access = file(client, world, person, **VERIFIED)
    request = erasure_request(client, world, person)
    plan = preview(client, world, request)
    assert_problem(act(client, world, request, "complete", plan_digest=plan["digest"]), 409)
    assert release_and_complete(client, world, access).status_code == 200
    done = act(client, world, request, "complete", plan_digest=plan["digest"])
    assert done.status_code == 200, done.text


def test_erasure_clears_the_corrections_of_their_rectification_requests(
    client: TestClient, world: World, db: Session
) -> None:
    person = make_person(db, world.centre_a, full_name=NAME, email=EMAIL)
    db.commit()
    corrections = {"full_name": "Rita Renamed", "email": "rita.renamed@example.org"}
    rectification = file(
        client, world, person, kind="rectification", corrections=corrections, **VERIFIED
    )
    request = erasure_request(client, world, person)
    plan = preview(client, world, request)
    assert fates(plan)[("subject_request", rectification["id"])] == ("keep", "legal_obligation")
    assert act(client, world, request, "complete", plan_digest=plan["digest"]).status_code == 200
    assert text_hits(db, [NAME, EMAIL, "Rita Renamed", "rita.renamed@example.org"]) == []
    # The rectification request stays, and can no longer be completed.
    assert_problem(act(client, world, rectification, "complete"), 409)


def test_a_replayed_response_does_not_bring_the_details_back(
    client: TestClient, world: World, db: Session
) -> None:
    body = {"centre_id": str(world.centre_a.id), "full_name": NAME, "email": EMAIL}
    headers = {**world.headers("centre_staff"), "Idempotency-Key": "create-rita"}
    created = client.post("/api/v1/people", json=body, headers=headers)
    assert created.status_code == 201, created.text
    person = db.get(Person, uuid.UUID(created.json()["id"]))
    request = erasure_request(client, world, person)
    plan = preview(client, world, request)
    done = act(client, world, request, "complete", plan_digest=plan["digest"])
    assert done.status_code == 200, done.text
    assert done.json()["result"]["purged_replays"] == 1
    assert text_hits(db, [NAME, EMAIL]) == []


def test_a_court_referral_within_retention_counts_from_closure(
    client: TestClient, world: World, db: Session
) -> None:
    """Closed under three years ago: still kept for legal claims."""
    closed = date.today() - timedelta(days=365)
    case = family_case(db, world.centre_a, status="closed", closed_on=closed)
    request = erasure_request(client, world, case.mother)
    plan = preview(client, world, request)
    assert fates(plan)[("referral", str(case.referral.id))] == ("keep", "legal_claims")


def test_decisions_to_show_them_in_another_package_are_erased_with_them(
    client: TestClient, world: World, db: Session
) -> None:
    case = settled_family_case(db, world, has_court_order=False)
    parent, other = case.mother, case.father
    staff = world.headers("centre_staff")
    access = file(client, world, other, **VERIFIED)
    decided = client.post(
        f"{URL}/{access['id']}/third-party-decisions",
        json={"person_id": str(parent.id), "basis": "consent", "note": f"{NAME} agreed"},
        headers=staff,
    )
    assert decided.status_code == 201, decided.text
    request = erasure_request(client, world, parent)
    plan = preview(client, world, request)
    assert fates(plan)[("third_party_decision", decided.json()["id"])] == ("erase", "record")
    assert act(client, world, request, "complete", plan_digest=plan["digest"]).status_code == 200

    assert text_hits(db, [NAME, EMAIL]) == []
    package = client.get(f"{URL}/{access['id']}/package", headers=staff)
    assert package.status_code == 200
    parties = package.json()["referrals"][0]["other_parties"]
    assert all(p["redacted"] for p in parties)


# --- issue 11: erasure keeps live work, with grounds and their legal basis ----------------------


def test_an_open_case_and_open_or_ico_complaints_are_kept_with_their_legal_basis(
    client: TestClient, world: World, db: Session
) -> None:
    case = family_case(db, world.centre_a, has_court_order=False)  # active: an open case
    ico = make_complaint(
        db,
        world.centre_a,
        complainant_id=case.mother.id,
        status="resolved",
        resolved_on=date(2026, 3, 2),
        closed_on=date(2026, 3, 2),
        referred_to_ico=True,
    )
    db.commit()
    request = erasure_request(client, world, case.mother)
    plan = preview(client, world, request)
    assert plan["erasure_ground"] == "consent_withdrawn"
    found = fates(plan)
    assert found[("referral", str(case.referral.id))] == ("keep", "open_case")
    assert found[("complaint", str(case.complaint.id))] == ("keep", "open_complaint")
    assert found[("complaint", str(ico.id))] == ("keep", "ico_complaint")
    assert found[("pre_visit", str(case.pre_visits[0].id))] == ("keep", "open_case")
    bases = {(r["record_type"], r["ground"]): r["legal_basis"] for r in plan["records"]}
    assert "Art 17(3)(e)" in bases[("complaint", "open_complaint")]
    assert "s 142" in bases[("complaint", "ico_complaint")]
    assert "Sch 1 para 18" in bases[("incident", "safeguarding")]
    assert "Sch 1 para 18" in bases[("disclosure", "safeguarding_paperwork")]
    assert all(r["legal_basis"] for r in plan["records"] if r["fate"] == "keep")
    assert all(r["legal_basis"] is None for r in plan["records"] if r["fate"] == "erase")
    assert plan["person"]["ground"] == "needed_by_kept_records"

    before = snapshot(db, *KEPT_MODELS, Complaint)
    done = act(client, world, request, "complete", plan_digest=plan["digest"])
    assert done.status_code == 200, done.text
    result = done.json()["result"]
    assert result["erasure_ground"] == "consent_withdrawn"
    assert snapshot(db, *KEPT_MODELS, Complaint) == before
    kept = {(k["record_type"], k["record_id"]): k for k in result["kept"]}
    assert kept[("complaint", str(ico.id))]["legal_basis"] == bases[("complaint", "ico_complaint")]


def test_an_erasure_request_records_its_art_17_1_ground(
    client: TestClient, world: World, db: Session
) -> None:
    person = make_person(db, world.centre_a)
    db.commit()
    body = {
        "subject_id": str(person.id),
        "kind": "erasure",
        "channel": "email",
        "received_on": "2026-01-01",
    }
    staff = world.headers("centre_staff")
    missing = assert_problem(client.post(URL, json=body, headers=staff), 422)
    assert missing["errors"][0]["loc"] == ["body", "erasure_ground"]
    wrong = {**body, "kind": "access", "erasure_ground": "consent_withdrawn"}
    assert_problem(client.post(URL, json=wrong, headers=staff), 422)
    assert_problem(client.post(URL, json={**body, "erasure_ground": "because"}, headers=staff), 422)

    # A request filed before the ground was asked for records it when it is completed.
    from app.subject_requests.models import SubjectRequest

    legacy = SubjectRequest(
        centre_id=world.centre_a.id,
        subject_id=person.id,
        kind="erasure",
        status="in_progress",
        requester="subject",
        channel="email",
        received_on=date(2026, 1, 1),
        identity_verified_on=date(2026, 1, 1),
        due_on=date(2026, 2, 2),
    )
    db.add(legacy)
    db.commit()
    request = client.get(f"{URL}/{legacy.id}", headers=staff).json()
    plan = preview(client, world, request)
    assert plan["erasure_ground"] is None
    no_ground = assert_problem(
        act(client, world, request, "complete", plan_digest=plan["digest"]), 422
    )
    assert no_ground["errors"][0]["loc"] == ["body", "erasure_ground"]
    done = act(
        client,
        world,
        request,
        "complete",
        plan_digest=plan["digest"],
        erasure_ground="no_longer_necessary",
    )
    assert done.status_code == 200, done.text
    assert done.json()["erasure_ground"] == "no_longer_necessary"


def test_the_subjects_safeguarding_paperwork_is_kept_and_keeps_them(
    client: TestClient, world: World, db: Session
) -> None:
    case = settled_family_case(db, world, has_court_order=False)
    flagged = db.get(PreVisit, case.pre_visits[0].id)
    assert flagged is not None
    flagged.safeguarding = True
    db.commit()
    request = erasure_request(client, world, case.mother)
    plan = preview(client, world, request)
    found = fates(plan)
    assert found[("pre_visit", str(flagged.id))] == ("keep", "safeguarding_paperwork")
    assert found[("referral", str(case.referral.id))] == ("erase", "their_part")
    assert plan["person"]["ground"] == "needed_by_kept_records"
    done = act(client, world, request, "complete", plan_digest=plan["digest"])
    assert done.status_code == 200, done.text
    db.expire_all()
    assert db.get(PreVisit, flagged.id) is not None
