"""What a subject access request returns (§5), and the portability export.

The access package holds everything about the subject across every record type, each record
with its retention block, and the supplementary information the law adds. Other people are
redacted — their names, contacts and dates of birth, also where free text mentions them — unless
a third-party decision on this request allows them to be shown. Staff acting in role (who
completed a pre-visit, reported an incident, made a disclosure) are not redacted.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.attendance.models import Attendance, ContactSession
from app.complaints.models import Complaint
from app.db import utcnow
from app.disclosures import service as disclosures_service
from app.disclosures.models import Disclosure, DisclosurePerson
from app.documents.models import Document
from app.incidents.models import Incident
from app.kit.calendar import describe_months
from app.people.models import Person
from app.policy import service as policy_service
from app.referrals.models import PreVisit, Referral, ReferralParty
from app.retention.blocks import retention_blocks
from app.retention.models import RetentionRule
from app.retention.schemas import RetentionBlock
from app.retention.sweep import load_rules
from app.subject_requests import supplementary
from app.subject_requests.models import SubjectRequest, ThirdPartyDecision
from app.subject_requests.schemas import (
    AccessPackage,
    Controller,
    OtherPerson,
    PackageAttendance,
    PackageComplaint,
    PackageDisclosure,
    PackageDocument,
    PackageIncident,
    PackagePreVisit,
    PackageReferral,
    PackageRequest,
    PackageSession,
    PortabilityPackage,
    ProvidedComplaint,
    ProvidedDetails,
    ProvidedReferral,
    Recipient,
    RuleExplained,
    SubjectDetails,
    Supplementary,
)
from app.time import today_in_london

M = TypeVar("M", bound=BaseModel)
REDACTED = "[redacted]"
# Name parts shorter than this are not searched for in free text (initials, "Al").
MIN_NAME_PART = 3


class Redactor:
    """Hides other people in free text: full names, name parts, emails and phone numbers.

    Name parts the subject shares (a family name) are left: they tell the subject nothing new.
    """

    def __init__(self, subject: Person, others: Iterable[Person]) -> None:
        own_parts = {part.casefold() for part in subject.full_name.split()}
        needles: set[str] = set()
        phones: set[str] = set()
        for person in others:
            needles.add(person.full_name)
            needles.update(
                part
                for part in person.full_name.split()
                if len(part) >= MIN_NAME_PART and part.casefold() not in own_parts
            )
            if person.email:
                needles.add(person.email)
            digits = re.sub(r"\D", "", person.phone or "")
            if len(digits) >= 6:
                phones.add(digits)
        patterns = [
            rf"(?<!\w){re.escape(n)}(?!\w)" for n in sorted(needles, key=len, reverse=True) if n
        ]
        # A phone number however it is spaced: 01223 000000, 01223-000-000, (01223) 000000.
        patterns += [r"(?<!\d)" + r"[\s\-().]*".join(p) + r"(?!\d)" for p in phones]
        self._pattern = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None

    def text(self, value: str | None) -> str | None:
        if value is None or self._pattern is None:
            return value
        return self._pattern.sub(REDACTED, value)


def _by_key(records: Iterable[Any], key: str) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for record in records:
        grouped[getattr(record, key)].append(record)
    return grouped


def _blocks(session: Session, records: list[Any]) -> dict[uuid.UUID, RetentionBlock]:
    return {r.id: b for r, b in zip(records, retention_blocks(session, records), strict=True)}


class _People:
    """The other people of a package: redacted unless a decision on the request allows them."""

    def __init__(self, session: Session, request: SubjectRequest, subject: Person) -> None:
        self._session = session
        self.subject = subject
        self.decisions: dict[uuid.UUID, str] = {
            d.person_id: d.basis
            for d in session.scalars(
                select(ThirdPartyDecision).where(ThirdPartyDecision.request_id == request.id)
            )
        }
        self.people: dict[uuid.UUID, Person] = {}

    def load(self, ids: Iterable[uuid.UUID]) -> None:
        wanted = set(ids) - set(self.people) - {self.subject.id}
        if wanted:
            for person in self._session.scalars(select(Person).where(Person.id.in_(wanted))):
                self.people[person.id] = person

    def redacted(self) -> list[Person]:
        return [p for pid, p in self.people.items() if pid not in self.decisions]

    def to_hide(self) -> list[Person]:
        """The redacted people whose details free text could still hold (not the erased)."""
        return [p for p in self.redacted() if p.erased_at is None]

    def other(self, person_id: uuid.UUID, role: str) -> OtherPerson:
        person = self.people[person_id]
        basis = self.decisions.get(person_id)
        shown = basis is not None
        return OtherPerson(
            role=role,
            redacted=not shown,
            disclosed_on_basis=basis,  # type: ignore[arg-type]
            person_id=person.id if shown else None,
            full_name=person.full_name if shown else None,
            email=person.email if shown else None,
            phone=person.phone if shown else None,
            date_of_birth=person.date_of_birth if shown else None,
        )


def access_package(
    session: Session, request: SubjectRequest
) -> tuple[AccessPackage, dict[str, Any]]:
    """The package, and what the audit row records of it (counts only)."""
    subject = session.get(Person, request.subject_id)
    assert subject is not None
    sid = subject.id
    people = _People(session, request, subject)

    own_parties = session.scalars(select(ReferralParty).where(ReferralParty.person_id == sid))
    roles = {
        rid: sorted(p.role for p in parties)
        for rid, parties in _by_key(own_parties, "referral_id").items()
    }
    referrals = list(
        session.scalars(
            select(Referral)
            .where(Referral.id.in_(list(roles)))
            .order_by(Referral.received_on, Referral.id)
        )
    )
    all_parties = list(
        session.scalars(
            select(ReferralParty)
            .where(ReferralParty.referral_id.in_(list(roles)), ReferralParty.person_id != sid)
            .order_by(ReferralParty.role, ReferralParty.person_id)
        )
    )
    pre_visits = list(
        session.scalars(
            select(PreVisit).where(PreVisit.person_id == sid).order_by(PreVisit.visited_on)
        )
    )
    sessions = list(
        session.scalars(
            select(ContactSession)
            .where(ContactSession.referral_id.in_(list(roles)))
            .order_by(ContactSession.starts_at, ContactSession.id)
        )
    )
    attendance = {
        a.session_id: a
        for a in session.scalars(select(Attendance).where(Attendance.person_id == sid))
    }
    disclosures = list(
        session.scalars(
            select(Disclosure)
            .join(DisclosurePerson, DisclosurePerson.disclosure_id == Disclosure.id)
            .where(DisclosurePerson.person_id == sid)
            .order_by(Disclosure.disclosed_at, Disclosure.id)
        )
    )
    incidents = list(
        session.scalars(
            select(Incident)
            .where(
                or_(
                    Incident.child_id == sid,
                    Incident.referral_id.in_(list(roles)),
                    Incident.id.in_([d.incident_id for d in disclosures if d.incident_id]),
                )
            )
            .order_by(Incident.occurred_at, Incident.id)
        )
    )
    complaints = list(
        session.scalars(
            select(Complaint)
            .where(Complaint.complainant_id == sid)
            .order_by(Complaint.received_on, Complaint.id)
        )
    )
    owners = {
        "referral": [r.id for r in referrals],
        "complaint": [c.id for c in complaints],
        "incident": [i.id for i in incidents],
    }
    documents = list(
        session.scalars(
            select(Document)
            .where(
                or_(
                    Document.referral_id.in_(owners["referral"]),
                    Document.complaint_id.in_(owners["complaint"]),
                    Document.incident_id.in_(owners["incident"]),
                )
            )
            .order_by(Document.created_at, Document.id)
        )
    )
    requests = list(
        session.scalars(
            select(SubjectRequest)
            .where(SubjectRequest.subject_id == sid)
            .order_by(SubjectRequest.received_on, SubjectRequest.id)
        )
    )

    people.load(p.person_id for p in all_parties)
    people.load(i.child_id for i in incidents if i.child_id)
    people.load(link.person_id for d in disclosures for link in d.people)
    redact = Redactor(subject, people.to_hide()).text

    blocks = {
        **_blocks(session, referrals),
        **_blocks(session, complaints),
        **_blocks(session, incidents),
    }
    parties_of = _by_key(all_parties, "referral_id")
    sources = supplementary.sources(
        referral_sources=sorted({r.source for r in referrals}),
        court_orders=any(r.has_court_order for r in referrals),
        pre_visits=bool(pre_visits),
        complaints=bool(complaints),
        sessions=bool(sessions),
        incidents=bool(incidents),
        disclosures=bool(disclosures),
    )
    categories = supplementary.categories(
        sensitive=subject.sensitive is not None,
        incidents=bool(incidents),
        attendance=bool(attendance),
        complaints=bool(complaints),
    )

    package = AccessPackage(
        kind="access",
        request_id=request.id,
        subject_id=sid,
        generated_at=utcnow(),
        subject=SubjectDetails.model_validate(subject, from_attributes=True),
        referrals=[
            _build(
                PackageReferral,
                r,
                decision_reason=redact(r.decision_reason),
                closure_reason=redact(r.closure_reason),
                roles=roles[r.id],
                other_parties=[people.other(p.person_id, p.role) for p in parties_of[r.id]],
                retention=blocks[r.id],
            )
            for r in referrals
        ],
        pre_visits=[
            _build(
                PackagePreVisit,
                v,
                concerns=redact(v.concerns),
                retention=blocks[v.referral_id],
            )
            for v in pre_visits
        ],
        sessions=[
            _build(
                PackageSession,
                s,
                notes=redact(s.notes),
                attendance=_attendance(attendance.get(s.id), redact),
                retention=blocks[s.referral_id],
            )
            for s in sessions
        ],
        incidents=[
            _build(
                PackageIncident,
                i,
                description=redact(i.description) or "",
                action_taken=redact(i.action_taken),
                child=people.other(i.child_id, "child") if i.child_id not in (None, sid) else None,
                retention=blocks[i.id],
            )
            for i in incidents
        ],
        complaints=[
            _build(
                PackageComplaint,
                c,
                summary=redact(c.summary) or "",
                outcome=redact(c.outcome),
                retention=blocks[c.id],
            )
            for c in complaints
        ],
        disclosures=[
            _build(
                PackageDisclosure,
                d,
                shared=redact(d.shared) or "",
                other_people=[
                    people.other(link.person_id, "named_in_disclosure")
                    for link in d.people
                    if link.person_id != sid
                ],
            )
            for d in disclosures
        ],
        documents=[_document(doc, blocks, redact) for doc in documents],
        subject_requests=[PackageRequest.model_validate(r, from_attributes=True) for r in requests],
        supplementary=_supplementary(session, subject, blocks.values(), categories, sources),
    )
    sections = (
        "referrals",
        "pre_visits",
        "sessions",
        "incidents",
        "complaints",
        "disclosures",
        "documents",
    )
    counts = {name: len(getattr(package, name)) for name in sections}
    audit = {"export": "access", "records": counts, "people_redacted": len(people.redacted())}
    return package, audit


def _build(schema: type[M], record: Any, **computed: Any) -> M:
    """The schema filled from the record's attributes, and the computed fields."""
    values = {
        name: getattr(record, name)
        for name in schema.model_fields
        if name not in computed and hasattr(record, name)
    }
    return schema(**values, **computed)


def _attendance(record: Attendance | None, redact: Any) -> PackageAttendance | None:
    if record is None:
        return None
    return PackageAttendance(
        status=record.status,
        absence_reason=record.absence_reason,
        absence_detail=redact(record.absence_detail),
    )


def _document(
    document: Document, blocks: dict[uuid.UUID, RetentionBlock], redact: Any
) -> PackageDocument:
    column, owner_id = document.owner
    return _build(
        PackageDocument,
        document,
        owner_type=column.removesuffix("_id"),  # type: ignore[arg-type]
        owner_id=owner_id,
        filename=redact(document.filename) or "",
        retention=blocks[owner_id],
    )


def _supplementary(
    session: Session,
    subject: Person,
    blocks: Iterable[RetentionBlock],
    categories: list[str],
    sources: list[str],
) -> Supplementary:
    policy = policy_service.in_force(session, today_in_london())
    rules = load_rules(session)
    used = sorted({b.rule_key for b in blocks} & set(rules))
    return Supplementary(
        controller=Controller(name=policy.controller_name, contact=policy.controller_contact)
        if policy
        else None,
        purposes=list(supplementary.PURPOSES),
        categories=categories,
        recipients=[
            Recipient.model_validate(r)
            for r in disclosures_service.recipients_of(session, subject.id)
        ],
        retention=[_explain(rules[key]) for key in used],
        sources=sources,
        rights=list(supplementary.RIGHTS),
        complaint_to_ico=supplementary.COMPLAINT_TO_ICO,
        automated_decision_making=supplementary.AUTOMATED_DECISIONS,
    )


def _explain(rule: RetentionRule) -> RuleExplained:
    months = rule.period_months if rule.action == "dispose" else None
    return RuleExplained(
        key=rule.key,
        period=describe_months(months) if months else None,
        policy_text=rule.policy_text,
    )


# --- portability --------------------------------------------------------------------------


def portability_package(
    session: Session, request: SubjectRequest
) -> tuple[PortabilityPackage, dict[str, Any]]:
    """What the subject gave the centre: their details, their self-referrals, their complaints.
    Others named in what they wrote are redacted (portability must not harm others' rights)."""
    subject = session.get(Person, request.subject_id)
    assert subject is not None
    own_parties = list(
        session.scalars(select(ReferralParty).where(ReferralParty.person_id == subject.id))
    )
    roles = {
        rid: sorted(p.role for p in parties)
        for rid, parties in _by_key(own_parties, "referral_id").items()
    }
    referrals = session.scalars(
        select(Referral)
        .where(Referral.id.in_(list(roles)), Referral.source == "self")
        .order_by(Referral.received_on, Referral.id)
    )
    complaints = session.scalars(
        select(Complaint)
        .where(Complaint.complainant_id == subject.id)
        .order_by(Complaint.received_on, Complaint.id)
    )
    others = session.scalars(
        select(Person).where(
            Person.id.in_(
                select(ReferralParty.person_id).where(ReferralParty.referral_id.in_(list(roles)))
            ),
            Person.id != subject.id,
            Person.erased_at.is_(None),
        )
    )
    redact = Redactor(subject, others).text
    package = PortabilityPackage(
        kind="portability",
        request_id=request.id,
        subject_id=subject.id,
        generated_at=utcnow(),
        details=ProvidedDetails.model_validate(subject, from_attributes=True),
        self_referrals=[_build(ProvidedReferral, r, roles=roles[r.id]) for r in referrals],
        complaints=[
            _build(ProvidedComplaint, c, summary=redact(c.summary) or "") for c in complaints
        ],
    )
    audit = {
        "export": "portability",
        "records": {
            "self_referrals": len(package.self_referrals),
            "complaints": len(package.complaints),
        },
    }
    return package, audit


CSV_COLUMNS = ("record_type", "record_id", "field", "value")


def _rows(package: PortabilityPackage) -> Iterator[tuple[str, str, str, str]]:
    def cells(record_type: str, record_id: str, values: dict[str, Any]) -> Iterator[Any]:
        for field, value in values.items():
            if isinstance(value, list):
                value = ";".join(map(str, value))
            yield record_type, record_id, field, "" if value is None else str(value)

    yield from cells("person", str(package.subject_id), package.details.model_dump(mode="json"))
    for referral in package.self_referrals:
        values = referral.model_dump(mode="json")
        yield from cells("self_referral", values.pop("id"), values)
    for complaint in package.complaints:
        values = complaint.model_dump(mode="json")
        yield from cells("complaint", values.pop("id"), values)


def as_csv(package: PortabilityPackage) -> str:
    """One row per field: `record_type, record_id, field, value` (a tidy, reusable layout)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_rows(package))
    return out.getvalue()
