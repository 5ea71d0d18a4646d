"""The subject's records: the one definition the access package, the portability export and
erasure share (DESIGN.md §5).

- **Referrals**: those the subject is linked to — a party, a pre-visit, or attendance at one of
  its sessions.
- **Incidents**: about the subject (the child), linked to one of their referrals, or linked to a
  disclosure that names them.
- **Disclosures**: those that name the subject.
- **Complaints**: those the subject made.
- **Documents**: of those referrals, complaints and incidents.

The `*_ids` functions are subqueries (erasure plans with them); `gather()` loads the records.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, or_, select, union
from sqlalchemy.orm import Session

from app.attendance.models import Attendance, ContactSession
from app.complaints.models import Complaint
from app.disclosures.models import Disclosure, DisclosurePerson
from app.documents.models import Document
from app.incidents.models import Incident
from app.referrals.models import PreVisit, Referral, ReferralParty
from app.subject_requests.models import SubjectRequest


def referral_ids(subject_id: uuid.UUID) -> Any:
    return union(
        select(ReferralParty.referral_id).where(ReferralParty.person_id == subject_id),
        select(PreVisit.referral_id).where(PreVisit.person_id == subject_id),
        select(ContactSession.referral_id)
        .join(Attendance, Attendance.session_id == ContactSession.id)
        .where(Attendance.person_id == subject_id),
    )


def disclosure_ids(subject_id: uuid.UUID) -> Select[Any]:
    return select(DisclosurePerson.disclosure_id).where(DisclosurePerson.person_id == subject_id)


def incident_filter(subject_id: uuid.UUID) -> Any:
    """The condition an incident of the subject meets."""
    return or_(
        Incident.child_id == subject_id,
        Incident.referral_id.in_(referral_ids(subject_id)),
        Incident.id.in_(
            select(Disclosure.incident_id).where(Disclosure.id.in_(disclosure_ids(subject_id)))
        ),
    )


# The columns of sessions and attendance that the package and the review read.
SESSION_COLUMNS = (
    ContactSession.id,
    ContactSession.referral_id,
    ContactSession.starts_at,
    ContactSession.ends_at,
    ContactSession.status,
    ContactSession.notes,
    ContactSession.safeguarding,
)
ATTENDANCE_COLUMNS = (
    Attendance.session_id,
    Attendance.status,
    Attendance.absence_reason,
    Attendance.absence_detail,
)
SessionRow = Row[uuid.UUID, uuid.UUID | None, datetime, datetime, str, str | None, bool]
AttendanceRow = Row[uuid.UUID, str, str | None, str | None]


@dataclass
class SubjectRecords:
    subject_id: uuid.UUID
    referrals: list[Referral]
    roles: dict[uuid.UUID, list[str]]  # referral id → the subject's party roles in it
    other_parties: list[ReferralParty]  # the parties of those referrals other than the subject
    pre_visits: list[PreVisit]  # the subject's own
    # Sessions and attendance are most of a large subject's records (7 of every 10): read as
    # rows of the columns the package shows, not as ORM instances.
    sessions: list[SessionRow]  # of those referrals
    attendance: dict[uuid.UUID, AttendanceRow]  # session id → the subject's attendance
    incidents: list[Incident]
    complaints: list[Complaint]
    disclosures: list[Disclosure]
    documents: list[Document]
    requests: list[SubjectRequest]

    def people_named(self) -> set[uuid.UUID]:
        """Everyone these records name, but the subject."""
        ids = {p.person_id for p in self.other_parties}
        ids |= {i.child_id for i in self.incidents if i.child_id}
        ids |= {link.person_id for d in self.disclosures for link in d.people}
        return ids - {self.subject_id}


def gather(session: Session, subject_id: uuid.UUID) -> SubjectRecords:
    referrals = list(
        session.scalars(
            select(Referral)
            .where(Referral.id.in_(referral_ids(subject_id)))
            .order_by(Referral.received_on, Referral.id)
        )
    )
    ids = referral_ids(subject_id)
    roles: dict[uuid.UUID, list[str]] = {r.id: [] for r in referrals}
    other_parties = []
    for party in session.scalars(
        select(ReferralParty)
        .where(ReferralParty.referral_id.in_(ids))
        .order_by(ReferralParty.role, ReferralParty.person_id)
    ):
        if party.person_id == subject_id:
            roles[party.referral_id].append(party.role)
        else:
            other_parties.append(party)
    for found in roles.values():
        found.sort()
    pre_visits = list(
        session.scalars(
            select(PreVisit)
            .where(PreVisit.person_id == subject_id)
            .order_by(PreVisit.visited_on, PreVisit.id)
        )
    )
    sessions = list(
        session.execute(
            select(*SESSION_COLUMNS)
            .where(ContactSession.referral_id.in_(ids))
            .order_by(ContactSession.starts_at, ContactSession.id)
        )
    )
    attendance: dict[uuid.UUID, AttendanceRow] = {
        a.session_id: a
        for a in session.execute(
            select(*ATTENDANCE_COLUMNS).where(Attendance.person_id == subject_id)
        )
    }
    disclosures = list(
        session.scalars(
            select(Disclosure)
            .where(Disclosure.id.in_(disclosure_ids(subject_id)))
            .order_by(Disclosure.disclosed_at, Disclosure.id)
        )
    )
    incidents = list(
        session.scalars(
            select(Incident)
            .where(incident_filter(subject_id))
            .order_by(Incident.occurred_at, Incident.id)
        )
    )
    complaints = list(
        session.scalars(
            select(Complaint)
            .where(Complaint.complainant_id == subject_id)
            .order_by(Complaint.received_on, Complaint.id)
        )
    )
    documents = list(
        session.scalars(
            select(Document)
            .where(
                or_(
                    Document.referral_id.in_(ids),
                    Document.complaint_id.in_(
                        select(Complaint.id).where(Complaint.complainant_id == subject_id)
                    ),
                    Document.incident_id.in_(
                        select(Incident.id).where(incident_filter(subject_id))
                    ),
                )
            )
            .order_by(Document.created_at, Document.id)
        )
    )
    requests = list(
        session.scalars(
            select(SubjectRequest)
            .where(SubjectRequest.subject_id == subject_id)
            .order_by(SubjectRequest.received_on, SubjectRequest.id)
        )
    )
    return SubjectRecords(
        subject_id,
        referrals,
        roles,
        other_parties,
        pre_visits,
        sessions,
        attendance,
        incidents,
        complaints,
        disclosures,
        documents,
        requests,
    )
