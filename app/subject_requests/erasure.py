"""Erasure requests (DESIGN.md §5): a plan of each linked record's fate, then its execution.

`plan()` decides, without changing anything, what happens to every record linked to the
subject: erased (the whole record, or only the subject's part of a record that concerns others
too) or kept with its ground. `execute()` carries out exactly that plan in the caller's
transaction. The plan's `digest` lets a client prove that what it completes is what it previewed.

Which records are linked to a person, the fate and ground of each, what the person's
anonymisation clears, and what the plan lists for review and notification are written once, in
docs/erasure.md; change that page with this code. The records are those
`app.subject_requests.gather` finds, as for the access package and the portability export.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, delete, select, union, update
from sqlalchemy.orm import Session

from app.api.models import IdempotencyRecord
from app.attendance.models import Attendance, ContactSession
from app.complaints.models import FINISHED, Complaint
from app.db import utcnow
from app.disclosures import service as disclosures_service
from app.disclosures.models import Disclosure, DisclosurePerson, LawfulBasis
from app.documents.models import Document
from app.incidents.models import Incident
from app.kit.calendar import add_months
from app.people.models import Person
from app.referrals.models import PreVisit, Referral, ReferralParty
from app.retention.blocks import retention_blocks
from app.retention.models import LegalHold
from app.retention.sources import COMPLAINT, REFERRAL
from app.retention.sweep import load_rules
from app.subject_requests import gather
from app.subject_requests.models import SubjectRequest, ThirdPartyDecision
from app.time import today_in_london

ERASED_NAME = "Erased person"

# Grounds for keeping a record (DESIGN.md §5).
LEGAL_HOLD = "legal_hold"
LEGAL_CLAIMS = "legal_claims"
OPEN_CASE = "open_case"
OPEN_COMPLAINT = "open_complaint"
ICO_COMPLAINT = "ico_complaint"
SAFEGUARDING = "safeguarding"
SAFEGUARDING_PAPERWORK = "safeguarding_paperwork"
LEGAL_OBLIGATION = "legal_obligation"
NEEDED = "needed_by_kept_records"

# The legal basis of each ground: why the right to erasure does not reach the record.
_SAFEGUARDING_BASIS = (
    "DPA 2018 Sch 1 para 18 (safeguarding of children and of individuals at risk, substantial "
    "public interest) and UK GDPR Art 17(3)(b): kept indefinitely under the centre's policy, "
    "as a child may ask for it up to the age of 25"
)
LEGAL_BASES: dict[str, str] = {
    LEGAL_HOLD: "UK GDPR Art 17(3)(e): establishment, exercise or defence of legal claims "
    "(a legal hold)",
    LEGAL_CLAIMS: "UK GDPR Art 17(3)(e): establishment, exercise or defence of legal claims "
    "(court order or Cafcass involvement, within the referral_court retention period)",
    OPEN_CASE: "UK GDPR Art 17(1)(a) is not met and Art 17(3)(e) applies: the case is open, "
    "the data is still necessary for the contact service and any proceedings",
    OPEN_COMPLAINT: "UK GDPR Art 17(3)(e): establishment, exercise or defence of legal claims "
    "(the complaint is still open)",
    ICO_COMPLAINT: "UK GDPR Art 17(3)(e) legal claims, and the centre's duty to answer the "
    "Information Commissioner (UK GDPR Art 31 and 58(1); DPA 2018 s 142 information notices)",
    SAFEGUARDING: _SAFEGUARDING_BASIS,
    SAFEGUARDING_PAPERWORK: _SAFEGUARDING_BASIS,
    LEGAL_OBLIGATION: "UK GDPR Art 5(2) accountability and Art 17(3)(b): the record of how the "
    "subject's rights were handled, kept under the subject_request retention rule",
    NEEDED: "UK GDPR Art 17(3): the records kept on the grounds above need the person's details",
}

# Details that say what else happens to a record.
UNLINKED = "unlinked_from_erased_referral"
GOES_WITH_REFERRAL = "goes_with_erased_referral"
CORRECTIONS_CLEARED = "corrections_cleared"


@dataclass(frozen=True)
class Decision:
    record_type: str
    record_id: uuid.UUID
    fate: str  # "erase" | "keep"
    scope: str | None = None  # erase: "record" | "their_part"
    ground: str | None = None  # keep: why
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "record_type": self.record_type,
            "record_id": str(self.record_id),
            "fate": self.fate,
            "scope": self.scope,
            "ground": self.ground,
            "legal_basis": LEGAL_BASES[self.ground] if self.ground else None,
            "detail": self.detail,
        }


def _erase(record_type: str, record_id: uuid.UUID, scope: str = "record", **kw: Any) -> Decision:
    return Decision(record_type, record_id, "erase", scope=scope, **kw)


def _keep(record_type: str, record_id: uuid.UUID, ground: str, **kw: Any) -> Decision:
    return Decision(record_type, record_id, "keep", ground=ground, **kw)


@dataclass
class ErasurePlan:
    request_id: uuid.UUID
    subject_id: uuid.UUID
    erasure_ground: str | None  # the request's UK GDPR Art 17(1) ground
    as_of: date
    person_fate: str  # "anonymise" | "keep"
    person_ground: str | None
    records: list[Decision]
    review: list[dict[str, str]]
    recipients_to_notify: list[dict[str, Any]]
    _digest: str | None = field(default=None, repr=False)

    def decisions(self) -> dict[str, Any]:
        """What the plan decides: the input of its digest."""
        return {
            "subject_id": str(self.subject_id),
            "person": {
                "fate": self.person_fate,
                "ground": self.person_ground,
                "legal_basis": LEGAL_BASES[self.person_ground] if self.person_ground else None,
            },
            "records": [d.as_dict() for d in self.records],
            "review": self.review,
            "recipients_to_notify": self.recipients_to_notify,
        }

    @property
    def digest(self) -> str:
        if self._digest is None:
            canonical = json.dumps(
                self.decisions(), sort_keys=True, separators=(",", ":"), ensure_ascii=True
            )
            self._digest = hashlib.sha256(canonical.encode()).hexdigest()
        return self._digest

    def as_dict(self) -> dict[str, Any]:
        decisions = self.decisions()
        return {
            "request_id": str(self.request_id),
            "subject_id": decisions["subject_id"],
            "erasure_ground": self.erasure_ground,
            "as_of": self.as_of.isoformat(),
            "digest": self.digest,
            "person": decisions["person"],
            "records": decisions["records"],
            "review": self.review,
            "recipients_to_notify": self.recipients_to_notify,
        }

    def of(self, record_type: str, fate: str, scope: str | None = None) -> list[uuid.UUID]:
        return [
            d.record_id
            for d in self.records
            if d.record_type == record_type
            and d.fate == fate
            and (scope is None or d.scope == scope)
        ]


# --- planning ---------------------------------------------------------------------------


def _held_people(session: Session, people: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    ids = set(people)
    if not ids:
        return set()
    return set(
        session.scalars(
            select(LegalHold.person_id).where(
                LegalHold.released_at.is_(None), LegalHold.person_id.in_(ids)
            )
        )
    )


def _held_records(session: Session, record_type: str, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    wanted = set(ids)
    if not wanted:
        return set()
    return {
        record_id
        for record_id in session.scalars(
            select(LegalHold.record_id).where(
                LegalHold.released_at.is_(None),
                LegalHold.record_type == record_type,
                LegalHold.record_id.in_(wanted),
            )
        )
        if record_id is not None
    }


def _linked_people(session: Session, referral_id: uuid.UUID) -> set[uuid.UUID]:
    """Everyone retention links to the referral (parties, pre-visits, attendance, disclosures
    linked only to it)."""
    links = REFERRAL.people(lambda column: column == referral_id)
    return set(session.scalars(union(*links)))


def _within_retention(
    rules: dict[str, Any], rule_key: str, trigger: date | None, today: date
) -> bool:
    """Still inside the rule's period: open (no trigger yet), kept, or not yet due."""
    rule = rules.get(rule_key)
    months = rule.period_months if rule is not None and rule.action == "dispose" else None
    if trigger is None or not months:
        return True
    return add_months(trigger, months) > today


def _plan_referrals(
    session: Session, subject_id: uuid.UUID, subject_held: bool, today: date
) -> tuple[list[Decision], dict[uuid.UUID, Decision]]:
    referrals = list(
        session.scalars(
            select(Referral)
            .where(Referral.id.in_(gather.referral_ids(subject_id)))
            .order_by(Referral.id)
        )
    )
    rules = load_rules(session)
    held = _held_records(session, "referral", (r.id for r in referrals))
    decisions: dict[uuid.UUID, Decision] = {}
    for referral, block in zip(referrals, retention_blocks(session, referrals), strict=True):
        people = _linked_people(session, referral.id) | {subject_id}
        court = referral.has_court_order or referral.cafcass_involved
        if subject_held or referral.id in held or _held_people(session, people):
            decision = _keep("referral", referral.id, LEGAL_HOLD)
        elif referral.closed_on is None:
            decision = _keep("referral", referral.id, OPEN_CASE)
        elif court and _within_retention(rules, "referral_court", block.trigger_on, today):
            decision = _keep("referral", referral.id, LEGAL_CLAIMS)
        elif people == {subject_id}:
            decision = _erase("referral", referral.id)
        else:
            decision = _erase("referral", referral.id, "their_part")
        decisions[referral.id] = decision
    return list(decisions.values()), decisions


def _follow(record_type: str, record_id: uuid.UUID, referral: Decision) -> Decision:
    """A pre-visit or attendance row of the subject follows its referral."""
    if referral.fate == "keep":
        assert referral.ground is not None
        return _keep(record_type, record_id, referral.ground)
    return _erase(record_type, record_id)


@dataclass
class SubjectRecords:
    """The records linked to a subject that erasure decides about (ids and the few columns the
    decisions need). One gatherer, so that a shared "subject's records" gatherer can replace it."""

    pre_visits: list[Any]  # id, referral_id, safeguarding
    attendance: list[Any]  # id, referral_id, safeguarding (of its session)
    disclosures: list[Any]  # id, referral_id, incident_id, lawful_basis
    incidents: list[Any]  # id, referral_id, child_id
    complaints: list[Any]  # id, status, referred_to_ico
    requests: list[Any]  # id, corrections
    third_party_decisions: list[uuid.UUID]


def _records(session: Session, subject_id: uuid.UUID, whole: set[uuid.UUID]) -> SubjectRecords:
    """Every record linked to the subject, as `app.subject_requests.gather` finds them (referrals
    by `_plan_referrals`), and the disclosures that go with a referral erased whole (`whole`)."""
    named = gather.disclosure_ids(subject_id)
    disclosure_filter: ColumnElement[bool] = Disclosure.id.in_(named)
    if whole:
        disclosure_filter = disclosure_filter | (
            Disclosure.referral_id.in_(whole)
            & Disclosure.incident_id.is_(None)
            & (Disclosure.lawful_basis != LawfulBasis.safeguarding.value)
        )
    return SubjectRecords(
        pre_visits=list(
            session.execute(
                select(PreVisit.id, PreVisit.referral_id, PreVisit.safeguarding).where(
                    PreVisit.person_id == subject_id
                )
            )
        ),
        attendance=list(
            session.execute(
                select(Attendance.id, ContactSession.referral_id, ContactSession.safeguarding)
                .join(ContactSession, ContactSession.id == Attendance.session_id)
                .where(Attendance.person_id == subject_id)
            )
        ),
        disclosures=list(
            session.execute(
                select(
                    Disclosure.id,
                    Disclosure.referral_id,
                    Disclosure.incident_id,
                    Disclosure.lawful_basis,
                ).where(disclosure_filter)
            )
        ),
        incidents=list(
            session.execute(
                select(Incident.id, Incident.referral_id, Incident.child_id)
                .where(gather.incident_filter(subject_id))
                .order_by(Incident.id)
            )
        ),
        complaints=list(
            session.execute(
                select(Complaint.id, Complaint.status, Complaint.referred_to_ico).where(
                    Complaint.complainant_id == subject_id
                )
            )
        ),
        requests=list(
            session.execute(
                select(SubjectRequest.id, SubjectRequest.corrections).where(
                    SubjectRequest.subject_id == subject_id
                )
            )
        ),
        third_party_decisions=list(
            session.scalars(
                select(ThirdPartyDecision.id).where(ThirdPartyDecision.person_id == subject_id)
            )
        ),
    )


def _complaint_decision(row: Any, held: bool) -> Decision:
    if held:
        return _keep("complaint", row.id, LEGAL_HOLD)
    if row.referred_to_ico:
        return _keep("complaint", row.id, ICO_COMPLAINT)
    if row.status not in [status.value for status in FINISHED]:
        return _keep("complaint", row.id, OPEN_COMPLAINT)
    return _erase("complaint", row.id)


def plan(session: Session, request: SubjectRequest, today: date | None = None) -> ErasurePlan:
    """What completing this erasure request would do; changes nothing."""
    today = today or today_in_london()
    subject_id = request.subject_id
    subject_held = bool(_held_people(session, [subject_id]))
    records: list[Decision] = []

    referral_list, referrals = _plan_referrals(session, subject_id, subject_held, today)
    records += referral_list
    whole = {rid for rid, d in referrals.items() if d.fate == "erase" and d.scope == "record"}
    kept_referrals = {rid for rid, d in referrals.items() if d.fate == "keep"}
    linked = _records(session, subject_id, whole)

    # Safeguarding paperwork is kept whatever happens to its referral, and names the subject.
    paperwork_needs = False
    for record_type, rows in (("pre_visit", linked.pre_visits), ("attendance", linked.attendance)):
        for row in rows:
            if row.safeguarding:
                records.append(_keep(record_type, row.id, SAFEGUARDING_PAPERWORK))
                paperwork_needs = True
            else:
                records.append(_follow(record_type, row.id, referrals[row.referral_id]))

    records += [
        _keep(
            "incident", row.id, SAFEGUARDING, detail=UNLINKED if row.referral_id in whole else None
        )
        for row in linked.incidents
    ]

    held_complaints = _held_records(session, "complaint", (row.id for row in linked.complaints))
    complaint_decisions = [
        _complaint_decision(row, subject_held or row.id in held_complaints)
        for row in linked.complaints
    ]
    records += complaint_decisions
    kept_complaints = [d for d in complaint_decisions if d.fate == "keep"]

    for row in linked.disclosures:
        people = set(
            session.scalars(
                select(DisclosurePerson.person_id).where(DisclosurePerson.disclosure_id == row.id)
            )
        )
        unlinked = UNLINKED if row.referral_id in whole else None
        if row.lawful_basis == LawfulBasis.safeguarding.value:
            records.append(_keep("disclosure", row.id, SAFEGUARDING_PAPERWORK, detail=unlinked))
        elif row.incident_id is not None:
            records.append(_keep("disclosure", row.id, SAFEGUARDING, detail=unlinked))
        elif row.referral_id in kept_referrals:
            ground = referrals[row.referral_id].ground
            assert ground is not None
            records.append(_keep("disclosure", row.id, ground))
        elif subject_held or _held_people(session, people):
            records.append(_keep("disclosure", row.id, LEGAL_HOLD))
        elif row.referral_id in whole:
            records.append(_erase("disclosure", row.id, detail=GOES_WITH_REFERRAL))
        elif people <= {subject_id}:
            records.append(_erase("disclosure", row.id))
        else:
            records.append(_erase("disclosure", row.id, "their_part"))

    # The person: kept when a kept record needs them (kept disclosure links hold only ids).
    # `referrals` are exactly those the subject is linked to, so a kept one needs them.
    needs = (
        bool(kept_referrals)
        or paperwork_needs
        or any(row.child_id == subject_id for row in linked.incidents)
    )
    if subject_held:
        person_fate, person_ground = "keep", LEGAL_HOLD
    elif needs or kept_complaints:
        person_fate, person_ground = "keep", NEEDED
    else:
        person_fate, person_ground = "anonymise", None

    records += [
        _keep(
            "subject_request",
            row.id,
            LEGAL_OBLIGATION,
            detail=CORRECTIONS_CLEARED if person_fate == "anonymise" and row.corrections else None,
        )
        for row in linked.requests
    ]

    # Decisions to show the subject in someone else's access package: their consent or staff's
    # reasoning about them, erased with them.
    records += [
        _erase("third_party_decision", decision_id) for decision_id in linked.third_party_decisions
    ]

    records.sort(key=lambda d: (d.record_type, str(d.record_id)))
    return ErasurePlan(
        request_id=request.id,
        subject_id=subject_id,
        erasure_ground=request.erasure_ground,
        as_of=today,
        person_fate=person_fate,
        person_ground=person_ground,
        records=records,
        review=_review(session, records, referrals, subject_id),
        recipients_to_notify=disclosures_service.recipients_of(session, subject_id),
    )


# --- what staff should review -----------------------------------------------------------


def _fields(
    session: Session, record_type: str, model: Any, names: tuple[str, ...], condition: Any
) -> list[dict[str, str]]:
    columns = [getattr(model, name) for name in names]
    found = []
    for row in session.execute(select(model.id, *columns).where(condition)):
        record_id, *values = row
        for name, value in zip(names, values, strict=True):
            if value is not None and str(value).strip():
                found.append(
                    {"record_type": record_type, "record_id": str(record_id), "field": name}
                )
    return found


def _review(
    session: Session,
    records: list[Decision],
    referrals: dict[uuid.UUID, Decision],
    subject_id: uuid.UUID,
) -> list[dict[str, str]]:
    """Free-text fields (and documents) of the records that stay which may mention the subject:
    kept records, and what remains of referrals the subject's part is erased from."""
    kept = {(d.record_type, d.record_id) for d in records if d.fate == "keep"}

    def ids(record_type: str) -> list[uuid.UUID]:
        return sorted((rid for t, rid in kept if t == record_type), key=str)

    staying = sorted(
        (rid for rid, d in referrals.items() if d.fate == "keep" or d.scope == "their_part"),
        key=str,
    )
    erased_part = {rid for rid, d in referrals.items() if d.scope == "their_part"}
    # What is erased of a referral the subject's part leaves is not for review.
    not_erased_pre_visit = ~(
        (PreVisit.person_id == subject_id) & PreVisit.referral_id.in_(erased_part)
    )
    sessions = select(ContactSession.id).where(ContactSession.referral_id.in_(staying))
    not_erased_attendance = ~(
        (Attendance.person_id == subject_id)
        & Attendance.session_id.in_(
            select(ContactSession.id).where(ContactSession.referral_id.in_(erased_part))
        )
    )
    found = [
        *_fields(
            session,
            "referral",
            Referral,
            ("decision_reason", "closure_reason"),
            Referral.id.in_(staying),
        ),
        *_fields(
            session,
            "pre_visit",
            PreVisit,
            ("concerns",),
            PreVisit.referral_id.in_(staying) & not_erased_pre_visit,
        ),
        *_fields(
            session, "contact_session", ContactSession, ("notes",), ContactSession.id.in_(sessions)
        ),
        *_fields(
            session,
            "attendance",
            Attendance,
            ("absence_detail",),
            Attendance.session_id.in_(sessions) & not_erased_attendance,
        ),
        *_fields(
            session,
            "incident",
            Incident,
            ("description", "action_taken"),
            Incident.id.in_(ids("incident")),
        ),
        *_fields(
            session,
            "complaint",
            Complaint,
            ("summary", "outcome"),
            Complaint.id.in_(ids("complaint")),
        ),
        *_fields(
            session, "disclosure", Disclosure, ("shared",), Disclosure.id.in_(ids("disclosure"))
        ),
        *_fields(
            session,
            "subject_request",
            SubjectRequest,
            ("requester_basis", "pause_reason", "extension_reason", "refusal_reason"),
            SubjectRequest.id.in_(ids("subject_request")),
        ),
    ]
    documents = session.scalars(
        select(Document.id).where(
            Document.referral_id.in_(staying)
            | Document.incident_id.in_(ids("incident"))
            | Document.complaint_id.in_(ids("complaint"))
        )
    )
    found += [
        {"record_type": "document", "record_id": str(document_id), "field": "content"}
        for document_id in documents
    ]
    return sorted(found, key=lambda f: (f["record_type"], f["record_id"], f["field"]))


# --- execution --------------------------------------------------------------------------


def changes_anything(session: Session, plan: ErasurePlan) -> bool:
    """Whether executing the plan would change the database: a record to erase, or the person
    to anonymise and not anonymised yet. False once the plan has been carried out."""
    if any(d.fate == "erase" for d in plan.records):
        return True
    if plan.person_fate != "anonymise":
        return False
    person = session.get(Person, plan.subject_id)
    return person is not None and person.erased_at is None


def execute(session: Session, request: SubjectRequest, plan: ErasurePlan) -> dict[str, Any]:
    """Carry out the plan in the caller's transaction; returns the result to store on the
    request (ids, record types, grounds, field names, recipients: no personal data)."""
    subject_id = plan.subject_id

    # Disclosures: whole ones with their people; otherwise only the subject's link.
    whole_disclosures = plan.of("disclosure", "erase", "record")
    if whole_disclosures:
        session.execute(
            delete(DisclosurePerson).where(DisclosurePerson.disclosure_id.in_(whole_disclosures))
        )
        session.execute(delete(Disclosure).where(Disclosure.id.in_(whole_disclosures)))
    part_disclosures = plan.of("disclosure", "erase", "their_part")
    if part_disclosures:
        session.execute(
            delete(DisclosurePerson).where(
                DisclosurePerson.disclosure_id.in_(part_disclosures),
                DisclosurePerson.person_id == subject_id,
            )
        )

    # The subject's attendance and pre-visits, then their party rows in referrals that stay.
    if attendance := plan.of("attendance", "erase"):
        session.execute(delete(Attendance).where(Attendance.id.in_(attendance)))
    if pre_visits := plan.of("pre_visit", "erase"):
        session.execute(delete(PreVisit).where(PreVisit.id.in_(pre_visits)))
    if part_referrals := plan.of("referral", "erase", "their_part"):
        session.execute(
            delete(ReferralParty).where(
                ReferralParty.referral_id.in_(part_referrals),
                ReferralParty.person_id == subject_id,
            )
        )

    # Records that concern only the subject, with their attachments (as retention disposes).
    if whole_referrals := plan.of("referral", "erase", "record"):
        REFERRAL.delete_attachments(session, whole_referrals)
        session.execute(delete(Referral).where(Referral.id.in_(whole_referrals)))
    if complaints := plan.of("complaint", "erase"):
        COMPLAINT.delete_attachments(session, complaints)
        session.execute(delete(Complaint).where(Complaint.id.in_(complaints)))

    if decisions := plan.of("third_party_decision", "erase"):
        session.execute(delete(ThirdPartyDecision).where(ThirdPartyDecision.id.in_(decisions)))

    purged = 0
    if plan.person_fate == "anonymise":
        cleared = [
            d.record_id
            for d in plan.records
            if d.record_type == "subject_request" and d.detail == CORRECTIONS_CLEARED
        ]
        if cleared:
            session.execute(
                update(SubjectRequest)
                .where(SubjectRequest.id.in_(cleared))
                .values(corrections=None)
                .execution_options(synchronize_session="fetch")
            )
        purged = _anonymise(session, subject_id)
    session.flush()

    erased = [d for d in plan.records if d.fate == "erase"]
    kept = [d for d in plan.records if d.fate == "keep"]
    planned = plan.decisions()
    return {
        "plan_digest": plan.digest,
        "erasure_ground": plan.erasure_ground,
        "as_of": plan.as_of.isoformat(),
        "executed_at": utcnow().isoformat(),
        "person": planned["person"],
        "erased": [
            {"record_type": d.record_type, "record_id": str(d.record_id), "scope": d.scope}
            for d in erased
        ],
        "kept": [
            {
                "record_type": d.record_type,
                "record_id": str(d.record_id),
                "ground": d.ground,
                "legal_basis": LEGAL_BASES[d.ground] if d.ground else None,
                "detail": d.detail,
            }
            for d in kept
        ],
        "review": plan.review,
        "recipients_to_notify": plan.recipients_to_notify,
        "purged_replays": purged,
    }


def _anonymise(session: Session, subject_id: uuid.UUID) -> int:
    """Clear the person's details; returns how many stored replays carrying them were purged."""
    person = session.get(Person, subject_id)
    assert person is not None
    # Stored `Idempotency-Key` replays are encrypted copies of responses: one holding the
    # person's details would hand them out again on a retry.
    marker = str(subject_id).encode()
    traces = [t.encode() for t in (person.full_name, person.email, person.phone) if t]
    stale = [
        record.id
        for record in session.scalars(select(IdempotencyRecord)).yield_per(500)
        if marker in record.body and any(trace in record.body for trace in traces)
    ]
    if stale:
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(stale)))
    person.full_name = ERASED_NAME
    person.date_of_birth = None
    person.email = None
    person.phone = None
    person.address = None
    person.sensitive = None
    person.erased_at = utcnow()
    return len(stale)


def counts(result: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Records erased and kept per type: all an audit row says of an erasure."""
    erased = Counter(d["record_type"] for d in result["erased"])
    if result["person"]["fate"] == "anonymise":
        erased["person"] += 1
    return {
        "erased": dict(sorted(erased.items())),
        "kept": dict(sorted(Counter(d["record_type"] for d in result["kept"]).items())),
    }
