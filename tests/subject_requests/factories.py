"""The issue's family: two parents, two children, a court-order referral with sessions and
pre-visits, an incident about a child, a complaint by one parent, a disclosure to the police."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from app.attendance.models import ContactSession
from app.centres.models import Centre
from app.complaints.models import Complaint
from app.disclosures.models import Disclosure
from app.documents.models import Document
from app.incidents.models import Incident
from app.people.models import Person
from app.referrals.models import PreVisit, Referral
from tests.cases.factories import (
    SESSION_START,
    add_party,
    make_attendance,
    make_case_document,
    make_child,
    make_complaint,
    make_disclosure,
    make_incident,
    make_person,
    make_pre_visit,
    make_referral,
    make_session,
)

MOTHER_NAME, MOTHER_EMAIL, MOTHER_PHONE = (
    "Rita Resident",
    "rita.resident@example.com",
    "07700 900111",
)


@dataclass
class FamilyCase:
    referral: Referral
    mother: Person
    father: Person
    son: Person
    daughter: Person
    pre_visits: list[PreVisit]  # the mother's, the father's
    sessions: list[ContactSession]
    incident: Incident
    complaint: Complaint
    complaint_document: Document
    disclosure: Disclosure


def family_case(session: Session, centre: Centre, **referral_fields: object) -> FamilyCase:
    referral_fields.setdefault("has_court_order", True)
    referral_fields.setdefault("source", "court")
    referral_fields.setdefault("status", "active")
    referral = make_referral(session, centre, **referral_fields)
    mother = make_person(
        session,
        centre,
        full_name=MOTHER_NAME,
        email=MOTHER_EMAIL,
        phone=MOTHER_PHONE,
        date_of_birth=date(1990, 3, 4),
        address="1 Mill Road, Cambridge",
    )
    father = make_person(
        session,
        centre,
        full_name="Nick Nonresident",
        email="nick.nonresident@example.com",
        phone="07700 900222",
        date_of_birth=date(1987, 7, 9),
        address="9 Station Road, Ely",
    )
    son = make_child(session, centre, full_name="Samuel Resident", date_of_birth=date(2018, 5, 1))
    daughter = make_child(session, centre, full_name="Ava Resident", date_of_birth=date(2021, 2, 3))
    add_party(session, referral, mother, "resident_parent")
    add_party(session, referral, father, "non_resident_parent")
    add_party(session, referral, son, "child")
    add_party(session, referral, daughter, "child")
    pre_visits = [
        make_pre_visit(session, referral, mother, concerns="Worried Nick Nonresident will be late"),
        make_pre_visit(session, referral, father),
    ]
    sessions = []
    for week in range(2):
        contact = make_session(
            session,
            referral,
            status="held",
            starts_at=SESSION_START + timedelta(weeks=week),
            notes="Samuel played with his father; Nick Nonresident (07700-900-222) stayed calm",
        )
        for person in (mother, father, son, daughter):
            make_attendance(session, contact, person)
        sessions.append(contact)
    incident = make_incident(
        session,
        centre,
        child_id=son.id,
        referral_id=referral.id,
        description="Samuel was distressed at handover; Nick Nonresident raised his voice",
        action_taken="Spoke to nick.nonresident@example.com about the ground rules",
        referred_to_authority=True,
    )
    complaint = make_complaint(
        session,
        centre,
        complainant_id=mother.id,
        summary="The session with Nick Nonresident started 40 minutes late",
    )
    document = make_case_document(session, centre.id, {"complaint_id": complaint.id})
    disclosure = make_disclosure(
        session,
        centre,
        [mother, father, son],
        recipient_type="police",
        recipient_name="Cambridgeshire Constabulary",
        incident_id=incident.id,
        referral_id=referral.id,
        disclosed_at=datetime(2026, 1, 18, 9, 0, tzinfo=SESSION_START.tzinfo),
    )
    session.commit()
    return FamilyCase(
        referral,
        mother,
        father,
        son,
        daughter,
        pre_visits,
        sessions,
        incident,
        complaint,
        document,
        disclosure,
    )
