"""Builders for case records (people, referrals, parties, pre-visits, sessions, attendance,
incidents, complaints, disclosures, case documents).

They write straight to the database (no HTTP, no rules), so a test can set up exactly the state
it needs; `family()` builds the usual case: an accepted referral with two reachable parents and
a child, both parents pre-visited, ready for sessions.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.attendance.models import Attendance, ContactSession
from app.centres.models import Centre
from app.complaints.models import Complaint
from app.disclosures.models import Disclosure, DisclosurePerson
from app.documents.models import Document
from app.incidents.models import Incident
from app.people.models import Person
from app.referrals.models import PreVisit, Referral, ReferralParty
from tests.helpers import assert_problem as assert_problem  # the case tests import it here

RECEIVED = date(2026, 1, 5)
VISITED = date(2026, 1, 12)
SESSION_START = datetime(2026, 1, 17, 10, 0, tzinfo=UTC)


def make_person(session: Session, centre: Centre, **fields: Any) -> Person:
    person = Person(
        centre_id=centre.id,
        full_name=fields.pop("full_name", "Alex Example"),
        email=fields.pop("email", f"p{uuid.uuid4().hex[:8]}@example.com"),
        phone=fields.pop("phone", "01223 000000"),
        **fields,
    )
    session.add(person)
    session.flush()
    return person


def make_child(session: Session, centre: Centre, **fields: Any) -> Person:
    fields.setdefault("date_of_birth", date(2019, 5, 1))
    fields.setdefault("email", None)
    fields.setdefault("phone", None)
    return make_person(session, centre, full_name=fields.pop("full_name", "Sam Example"), **fields)


def make_referral(session: Session, centre: Centre, **fields: Any) -> Referral:
    referral = Referral(
        centre_id=centre.id,
        reference=fields.pop("reference", f"{centre.code}-2026-T{uuid.uuid4().hex[:6]}"),
        source=fields.pop("source", "self"),
        contact_type=fields.pop("contact_type", "supervised"),
        received_on=fields.pop("received_on", RECEIVED),
        status=fields.pop("status", "received"),
        **fields,
    )
    session.add(referral)
    session.flush()
    return referral


def add_party(session: Session, referral: Referral, person: Person, role: str) -> ReferralParty:
    party = ReferralParty(
        centre_id=referral.centre_id, referral_id=referral.id, person_id=person.id, role=role
    )
    session.add(party)
    session.flush()
    return party


def make_pre_visit(session: Session, referral: Referral, person: Person, **fields: Any) -> PreVisit:
    visit = PreVisit(
        centre_id=referral.centre_id,
        referral_id=referral.id,
        person_id=person.id,
        visited_on=fields.pop("visited_on", VISITED),
        ground_rules_explained=fields.pop("ground_rules_explained", True),
        ground_rules_signed=fields.pop("ground_rules_signed", True),
        completed_by=fields.pop("completed_by", "Centre Coordinator"),
        **fields,
    )
    session.add(visit)
    session.flush()
    return visit


def make_session(session: Session, referral: Referral, **fields: Any) -> ContactSession:
    starts_at = fields.pop("starts_at", SESSION_START)
    contact = ContactSession(
        centre_id=referral.centre_id,
        referral_id=referral.id,
        starts_at=starts_at,
        ends_at=fields.pop("ends_at", starts_at + timedelta(hours=2)),
        status=fields.pop("status", "scheduled"),
        **fields,
    )
    session.add(contact)
    session.flush()
    return contact


def make_attendance(
    session: Session,
    contact: ContactSession,
    person: Person,
    status: str = "attended",
    **fields: Any,
) -> Attendance:
    record = Attendance(
        centre_id=contact.centre_id,
        session_id=contact.id,
        person_id=person.id,
        status=status,
        **fields,
    )
    session.add(record)
    session.flush()
    return record


@dataclass
class Family:
    referral: Referral
    resident: Person
    non_resident: Person
    child: Person
    parties: dict[str, ReferralParty]
    pre_visits: list[PreVisit]


def family(
    session: Session,
    centre: Centre,
    status: str = "active",
    pre_visits: bool = True,
    commit: bool = True,
    **referral_fields: Any,
) -> Family:
    referral = make_referral(session, centre, status=status, **referral_fields)
    resident = make_person(session, centre, full_name="Rita Resident")
    non_resident = make_person(session, centre, full_name="Nick Nonresident")
    child = make_child(session, centre)
    parties = {
        "resident_parent": add_party(session, referral, resident, "resident_parent"),
        "non_resident_parent": add_party(session, referral, non_resident, "non_resident_parent"),
        "child": add_party(session, referral, child, "child"),
    }
    visits = (
        [
            make_pre_visit(session, referral, resident),
            make_pre_visit(session, referral, non_resident),
        ]
        if pre_visits
        else []
    )
    if commit:
        session.commit()
    return Family(referral, resident, non_resident, child, parties, visits)


# --- incidents, complaints, disclosures, case documents ----------------------------------

OCCURRED_AT = datetime(2026, 1, 17, 11, 0, tzinfo=UTC)
COMPLAINT_RECEIVED = date(2026, 2, 2)
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17


def make_incident(session: Session, centre: Centre, **fields: Any) -> Incident:
    if "child_id" not in fields and fields.get("kind", "safeguarding") != "accident":
        fields["child_id"] = make_child(session, centre).id
    incident = Incident(
        centre_id=centre.id,
        kind=fields.pop("kind", "safeguarding"),
        occurred_at=fields.pop("occurred_at", OCCURRED_AT),
        description=fields.pop("description", "Child distressed at handover; father shouted"),
        reported_by=fields.pop("reported_by", "Centre Coordinator"),
        **fields,
    )
    session.add(incident)
    session.flush()
    return incident


def make_complaint(session: Session, centre: Centre, **fields: Any) -> Complaint:
    complaint = Complaint(
        centre_id=centre.id,
        about=fields.pop("about", "centre"),
        kind=fields.pop("kind", "formal"),
        channel=fields.pop("channel", "written"),
        summary=fields.pop("summary", "The session started 40 minutes late"),
        received_on=fields.pop("received_on", COMPLAINT_RECEIVED),
        status=fields.pop("status", "received"),
        **fields,
    )
    session.add(complaint)
    session.flush()
    return complaint


def make_disclosure(
    session: Session, centre: Centre, people: list[Person] | None = None, **fields: Any
) -> Disclosure:
    people = people if people is not None else [make_person(session, centre)]
    disclosure = Disclosure(
        centre_id=centre.id,
        recipient_type=fields.pop("recipient_type", "police"),
        recipient_name=fields.pop("recipient_name", "Cambridgeshire Constabulary"),
        lawful_basis=fields.pop("lawful_basis", "safeguarding"),
        shared=fields.pop("shared", "Incident report of 17 January"),
        disclosed_at=fields.pop("disclosed_at", OCCURRED_AT + timedelta(days=1)),
        disclosed_by=fields.pop("disclosed_by", "Centre Coordinator"),
        recorded_by_id=fields.pop("recorded_by_id", uuid.uuid4()),
        people=[DisclosurePerson(person_id=p.id) for p in people],
        **fields,
    )
    session.add(disclosure)
    session.flush()
    return disclosure


def make_case_document(
    session: Session, centre_id: uuid.UUID, owner: dict[str, uuid.UUID], data: bytes = PDF_BYTES
) -> Document:
    document = Document(
        centre_id=centre_id,
        kind="correspondence",
        filename="letter.pdf",
        content_type="application/pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
        uploaded_by_id=uuid.uuid4(),
        **owner,
    )
    session.add(document)
    session.flush()
    return document
