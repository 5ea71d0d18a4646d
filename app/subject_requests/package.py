"""What a subject access request returns (§5), and the portability export.

The access package holds everything about the subject across every record type (the records
`app.subject_requests.gather` finds), each record with its retention block, and the
supplementary information the law adds. Other people are hidden by the one `Redactor`
(app.subject_requests.redaction) — in structured fields and in every free-text field — unless a
third-party decision on this request shows them. Staff acting in role (who completed a
pre-visit, reported an incident, made a disclosure) are not redacted.

Staff's review decisions apply before anything is sent: a record or a field withheld under a
DPA 2018 exemption is left out (the package counts what was withheld on each ground, never what
it was); a safeguarding disclosure naming the requester and a document that cannot be redacted
automatically are held back until someone decides. The package built here is the draft; at
`release` it is frozen (app.subject_requests.release).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.centres.models import Centre
from app.db import utcnow, without_jit
from app.disclosures import service as disclosures_service
from app.documents.models import Document
from app.kit.calendar import add_months, describe_months
from app.kit.collector import collector_paused
from app.kit.csvfile import fixed_cell, join_lines, text_cell, write_csv
from app.people.models import Person
from app.policy import service as policy_service
from app.retention.blocks import paperwork_block, retention_blocks
from app.retention.models import RetentionRule
from app.retention.sweep import WITHHELD_REASONS, load_rules
from app.subject_requests import supplementary
from app.subject_requests.gather import AttendanceRow, SubjectRecords, gather
from app.subject_requests.models import (
    ExemptionCode,
    ReviewDecision,
    SubjectRequest,
    ThirdPartyDecision,
)
from app.subject_requests.redaction import Party, Redactor
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
    PackageRetention,
    PackageSession,
    PendingItem,
    PortabilityPackage,
    ProvidedComplaint,
    ProvidedDetails,
    ProvidedReferral,
    Recipient,
    RequestMadeFor,
    RuleExplained,
    SubjectDetails,
    Supplementary,
    WithheldGround,
)
from app.time import today_in_london

M = TypeVar("M", bound=BaseModel)
WITHHELD = "[withheld]"
Redact = Callable[[str | None], str | None]

GROUNDS = {
    ExemptionCode.crime: "DPA 2018 Sch 2 para 2: crime and taxation (prejudice to the prevention "
    "or detection of crime, including tipping off)",
    ExemptionCode.third_party: "DPA 2018 Sch 2 para 16: protection of the rights of others",
    ExemptionCode.legal_privilege: "DPA 2018 Sch 2 para 19: legal professional privilege",
    ExemptionCode.child_abuse: "DPA 2018 Sch 3 para 21: child abuse data, when a person with "
    "parental responsibility asks for a child's data",
    ExemptionCode.court_records: "DPA 2018 Sch 4: adoption, court and other records whose "
    "disclosure the law restricts",
}
# Documents whose content the Redactor can read and redact; others wait for a decision.
REDACTABLE_DOCUMENTS = ("text/plain",)


def party(person: Person) -> Party:
    return Party(
        full_name=person.full_name,
        email=person.email,
        phone=person.phone,
        date_of_birth=person.date_of_birth,
        address=person.address,
        do_not_disclose_address=person.do_not_disclose_address,
    )


class _People:
    """The other people of a package: hidden unless a decision on the request shows them. The
    requester of a request made for a child is shown: the package is theirs to read."""

    def __init__(self, session: Session, request: SubjectRequest, subject: Person) -> None:
        self.subject = subject
        self.decisions: dict[uuid.UUID, str] = {
            d.person_id: d.basis
            for d in session.scalars(
                select(ThirdPartyDecision).where(ThirdPartyDecision.request_id == request.id)
            )
        }
        self.requester_id = request.requester_person_id
        self._session = session
        self.people: dict[uuid.UUID, Person] = {}

    def load(self, ids: Iterable[uuid.UUID]) -> None:
        wanted = set(ids) - set(self.people) - {self.subject.id}
        if wanted:
            for person in self._session.scalars(select(Person).where(Person.id.in_(wanted))):
                self.people[person.id] = person

    def shown(self, person_id: uuid.UUID) -> bool:
        return person_id in self.decisions or person_id == self.requester_id

    def hidden(self) -> list[Person]:
        return [p for pid, p in self.people.items() if not self.shown(pid)]

    def redactor(self, centre: Centre | None) -> Redactor:
        # Erased people are not searched for: their details are gone, and their placeholder
        # name would hide ordinary words.
        return Redactor(
            party(self.subject),
            hidden=[party(p) for p in self.hidden() if p.erased_at is None],
            shown=[self._shown_party(pid, p) for pid, p in self.people.items() if self.shown(pid)],
            allowed_emails=[centre.contact_email] if centre and centre.contact_email else [],
            as_of=today_in_london(),
        )

    def _shown_party(self, person_id: uuid.UUID, person: Person) -> Party:
        found = party(person)
        if person_id == self.requester_id:
            # The requester's own address is theirs to read, whatever it is withheld from.
            return Party(**{**found.__dict__, "do_not_disclose_address": False})
        return found

    def other(self, person_id: uuid.UUID, role: str) -> OtherPerson:
        person = self.people[person_id]
        basis = self.decisions.get(person_id)
        shown = self.shown(person_id)
        return OtherPerson(
            role=role,
            redacted=not shown,
            disclosed_on_basis=basis,  # type: ignore[arg-type]
            person_id=person.id if shown else None,
            full_name=person.full_name if shown else None,
            email=person.email if shown else None,
            phone=person.phone if shown else None,
            date_of_birth=person.date_of_birth if shown else None,
            address=person.address if shown and not person.do_not_disclose_address else None,
        )


class Review:
    """Staff's review decisions on a request, and what applying them left out."""

    def __init__(self, session: Session, request: SubjectRequest) -> None:
        self.whole: dict[tuple[str, uuid.UUID], ReviewDecision] = {}
        self.fields: dict[tuple[str, uuid.UUID, str], str] = {}
        for decision in session.scalars(
            select(ReviewDecision).where(ReviewDecision.request_id == request.id)
        ):
            if decision.field is None:
                self.whole[(decision.record_type, decision.record_id)] = decision
            elif decision.code is not None:
                self.fields[(decision.record_type, decision.record_id, decision.field)] = (
                    decision.code
                )
        self.records: Counter[str] = Counter()
        self.withheld_fields: Counter[str] = Counter()
        self.pending: list[PendingItem] = []

    def withheld(self, record_type: str, record_id: uuid.UUID) -> str | None:
        decision = self.whole.get((record_type, record_id))
        return decision.code if decision and decision.outcome == "withhold" else None

    def decided(self, record_type: str, record_id: uuid.UUID) -> bool:
        return (record_type, record_id) in self.whole

    def keep(self, record_type: str, records: Iterable[Any], **goes_with: str) -> list[Any]:
        """The records not withheld; `goes_with` names the column of an owner whose withholding
        takes the record with it (e.g. a session with its referral)."""
        if not self.whole:
            return list(records)
        kept = []
        for record in records:
            code = self.withheld(record_type, record.id)
            for owner_type, column in goes_with.items():
                owner_id = getattr(record, column)
                code = code or (self.withheld(owner_type, owner_id) if owner_id else None)
            if code:
                self.records[code] += 1
            else:
                kept.append(record)
        return kept

    def field(self, record_type: str, record: Any, name: str, redact: Redact) -> Any:
        value = getattr(record, name)
        if not self.fields:
            return redact(value)
        code = self.fields.get((record_type, record.id, name))
        if code is None or value is None:
            return redact(value)
        self.withheld_fields[code] += 1
        return WITHHELD

    def grounds(self) -> list[WithheldGround]:
        codes = sorted(set(self.records) | set(self.withheld_fields))
        return [
            WithheldGround(
                code=code,
                ground=GROUNDS[ExemptionCode(code)],
                records=self.records[code],
                fields=self.withheld_fields[code],
            )
            for code in codes
        ]


def _blocks(session: Session, records: list[Any]) -> dict[uuid.UUID, PackageRetention]:
    """Each record's block as the subject is told it: a held (frozen) record still shows the
    date the schedule gives it, and that it is frozen."""
    rules = load_rules(session)
    found = {}
    for record, block in zip(records, retention_blocks(session, records), strict=True):
        values = block.model_dump()
        frozen = block.reason in WITHHELD_REASONS
        rule = rules.get(block.rule_key)
        if frozen and block.trigger_on and rule and rule.action == "dispose" and rule.period_months:
            values["dispose_after"] = add_months(block.trigger_on, rule.period_months)
        found[record.id] = PackageRetention(**values, frozen=frozen)
    return found


def _paperwork(record: Any, blocks: dict[uuid.UUID, PackageRetention]) -> PackageRetention:
    """A pre-visit's, session's or document's block: its owner's, or kept indefinitely as
    safeguarding paperwork (never frozen: nothing would dispose of it)."""
    block = paperwork_block(record, blocks)
    if isinstance(block, PackageRetention):
        return block
    return PackageRetention(**block.model_dump(), frozen=False)


def access_package(
    session: Session, request: SubjectRequest, state: str = "draft"
) -> tuple[AccessPackage, dict[str, Any]]:
    """The package, and what the audit row records of it (counts only)."""
    built = build_access(session, request, state)
    return built.package, built.audit


class BuiltAccess:
    def __init__(
        self,
        package: AccessPackage,
        audit: dict[str, Any],
        documents: list[Document],
        redact: Redact,
    ) -> None:
        self.package = package
        self.audit = audit
        self.documents = documents  # those whose copies go in the bundle
        self.redact = redact


def _requesters(request: SubjectRequest) -> set[uuid.UUID]:
    return {request.subject_id} | ({request.requester_person_id} - {None})  # type: ignore[operator]


def pending_items(records: SubjectRecords, request: SubjectRequest, review: Review) -> list[Any]:
    """What waits for a decision: safeguarding disclosures naming the requester (the subject, or
    who asks for a child), and documents the Redactor cannot read."""
    askers = _requesters(request)
    waiting: list[tuple[str, Any, str]] = []
    for disclosure in records.disclosures:
        if (
            disclosure.lawful_basis == "safeguarding"
            and askers & set(disclosure.person_ids)
            and not review.decided("disclosure", disclosure.id)
        ):
            waiting.append(("disclosure", disclosure, "safeguarding_disclosure"))
    for document in records.documents:
        if document.content_type not in REDACTABLE_DOCUMENTS and not review.decided(
            "document", document.id
        ):
            waiting.append(("document", document, "document_not_redactable"))
    return waiting


def copy_path(document: Document) -> str:
    extension = {
        "application/pdf": ".pdf",
        "image/png": ".png",
        "image/jpeg": ".jpg",
        "text/plain": ".txt",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    }.get(document.content_type, "")
    return f"documents/{document.id}{extension}"


@collector_paused()
def build_access(session: Session, request: SubjectRequest, state: str = "draft") -> BuiltAccess:
    # The retention blocks of a thousand records would otherwise be JIT-compiled (seconds).
    without_jit(session)
    subject = session.get(Person, request.subject_id)
    assert subject is not None
    sid = subject.id
    records = gather(session, sid)
    people = _People(session, request, subject)
    people.load(records.people_named())
    if request.requester_person_id:
        people.load([request.requester_person_id])
    redact = people.redactor(session.get(Centre, request.centre_id)).text
    review = Review(session, request)

    waiting = pending_items(records, request, review)
    review.pending = [
        PendingItem(record_type=kind, record_id=record.id, why=why) for kind, record, why in waiting
    ]
    held_back = {(kind, record.id) for kind, record, _ in waiting}

    blocks = {
        **_blocks(session, records.referrals),
        **_blocks(session, records.complaints),
        **_blocks(session, records.incidents),
    }
    referrals = review.keep("referral", records.referrals)
    pre_visits = review.keep("pre_visit", records.pre_visits, referral="referral_id")
    sessions = review.keep("session", records.sessions, referral="referral_id")
    incidents = review.keep("incident", records.incidents)
    complaints = review.keep("complaint", records.complaints)
    disclosures = [
        d
        for d in review.keep("disclosure", records.disclosures)
        if ("disclosure", d.id) not in held_back
    ]
    documents = [
        d
        for d in review.keep(
            "document",
            records.documents,
            referral="referral_id",
            complaint="complaint_id",
            incident="incident_id",
        )
        if ("document", d.id) not in held_back
    ]

    parties_of: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for p in records.other_parties:
        parties_of[p.referral_id].append(p)
    attendance = records.attendance
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

    def text(record_type: str, record: Any, name: str) -> Any:
        return review.field(record_type, record, name, redact)

    package = AccessPackage(
        kind="access",
        state=state,  # type: ignore[arg-type]
        request_id=request.id,
        subject_id=sid,
        generated_at=utcnow(),
        made_for=RequestMadeFor(
            requester_relationship=request.requester_relationship,
            parental_responsibility=request.parental_responsibility,
            best_interests=request.best_interests,
        )
        if request.requester == "parent"
        else None,
        withheld=[],
        pending_review=review.pending if state == "draft" else [],
        subject=SubjectDetails.model_validate(subject, from_attributes=True),
        referrals=[
            _build(
                PackageReferral,
                r,
                decision_reason=text("referral", r, "decision_reason"),
                closure_reason=text("referral", r, "closure_reason"),
                roles=records.roles[r.id],
                other_parties=[people.other(p.person_id, p.role) for p in parties_of[r.id]],
                retention=blocks[r.id],
            )
            for r in referrals
        ],
        pre_visits=[
            _build(
                PackagePreVisit,
                v,
                concerns=text("pre_visit", v, "concerns"),
                retention=_paperwork(v, blocks),
            )
            for v in pre_visits
        ],
        sessions=[
            PackageSession(
                id=s.id,
                referral_id=s.referral_id,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                status=s.status,
                notes=text("session", s, "notes"),
                attendance=_attendance(attendance.get(s.id), redact),
                retention=paperwork_block(s, blocks),
            )
            for s in sessions
        ],
        incidents=[
            _build(
                PackageIncident,
                i,
                description=text("incident", i, "description") or "",
                action_taken=text("incident", i, "action_taken"),
                child=people.other(i.child_id, "child") if i.child_id not in (None, sid) else None,
                retention=blocks[i.id],
            )
            for i in incidents
        ],
        complaints=[
            _build(
                PackageComplaint,
                c,
                summary=text("complaint", c, "summary") or "",
                outcome=text("complaint", c, "outcome"),
                retention=blocks[c.id],
            )
            for c in complaints
        ],
        disclosures=[
            _build(
                PackageDisclosure,
                d,
                shared=text("disclosure", d, "shared") or "",
                other_people=[
                    people.other(link.person_id, "named_in_disclosure")
                    for link in d.people
                    if link.person_id != sid
                ],
            )
            for d in disclosures
        ],
        documents=[_document(doc, blocks, redact) for doc in documents],
        subject_requests=[
            PackageRequest.model_validate(r, from_attributes=True) for r in records.requests
        ],
        supplementary=_supplementary(session, subject, blocks.values(), categories, sources),
    )
    package.withheld = review.grounds()
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
    audit = {
        "export": "access",
        "state": state,
        "records": counts,
        "people_redacted": len(people.hidden()),
        "withheld": {g.code: g.records + g.fields for g in package.withheld},
        "pending_review": len(review.pending),
    }
    return BuiltAccess(package, audit, documents, redact)


def _build(schema: type[M], record: Any, **computed: Any) -> M:
    """The schema filled from the record's attributes, and the computed fields."""
    values = {
        name: getattr(record, name)
        for name in _shared_fields(schema, record.__class__)
        if name not in computed
    }
    return schema(**values, **computed)


@cache
def _shared_fields(schema: type[BaseModel], record_class: type) -> tuple[str, ...]:
    """The schema's fields the record class has (its columns and properties): looked up once
    per pair, not per record."""
    return tuple(name for name in schema.model_fields if hasattr(record_class, name))


def _attendance(record: AttendanceRow | None, redact: Redact) -> PackageAttendance | None:
    if record is None:
        return None
    return PackageAttendance(
        status=record.status,
        absence_reason=record.absence_reason,
        absence_detail=redact(record.absence_detail),
    )


def _document(
    document: Document, blocks: dict[uuid.UUID, PackageRetention], redact: Redact
) -> PackageDocument:
    owner = document.owner
    assert owner is not None, "the package gathers documents by their owner"
    column, owner_id = owner
    return _build(
        PackageDocument,
        document,
        owner_type=column.removesuffix("_id"),  # type: ignore[arg-type]
        owner_id=owner_id,
        filename=redact(document.filename) or "",
        retention=_paperwork(document, blocks),
        copy_path=copy_path(document),
    )


def _supplementary(
    session: Session,
    subject: Person,
    blocks: Iterable[PackageRetention],
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
    session: Session, request: SubjectRequest, state: str = "draft"
) -> tuple[PortabilityPackage, dict[str, Any]]:
    """What the subject gave the centre: their details, their self-referrals, their complaints.
    Others named in what they wrote are redacted (portability must not harm others' rights)."""
    subject = session.get(Person, request.subject_id)
    assert subject is not None
    records = gather(session, subject.id)
    people = _People(session, request, subject)
    people.load(records.people_named())
    redact = people.redactor(session.get(Centre, request.centre_id)).text
    package = PortabilityPackage(
        kind="portability",
        state=state,  # type: ignore[arg-type]
        request_id=request.id,
        subject_id=subject.id,
        generated_at=utcnow(),
        details=ProvidedDetails.model_validate(subject, from_attributes=True),
        self_referrals=[
            _build(ProvidedReferral, r, roles=records.roles[r.id])
            for r in records.referrals
            if r.source == "self"
        ],
        complaints=[
            _build(ProvidedComplaint, c, summary=redact(c.summary) or "")
            for c in records.complaints
        ],
    )
    audit = {
        "export": "portability",
        "state": state,
        "records": {
            "self_referrals": len(package.self_referrals),
            "complaints": len(package.complaints),
        },
    }
    return package, audit


# --- CSV ----------------------------------------------------------------------------------

CSV_COLUMNS = ("record_type", "record_id", "field", "value")


def _cells(
    record_type: str, record_id: str, values: dict[str, Any], out: list[str], prefix: str = ""
) -> None:
    """One line per field; nested objects flatten to dotted names, lists of values join with
    `;`, lists of objects number their items. Every cell as `write_csv` writes it."""
    head = f"{fixed_cell(record_type)},{text_cell(record_id)},"
    for name, value in values.items():
        field = prefix + name
        if value.__class__ is str:  # most cells: tested first
            text = value
        elif isinstance(value, dict):
            _cells(record_type, record_id, value, out, f"{field}.")
            continue
        elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
            for index, item in enumerate(value):
                _cells(record_type, record_id, item, out, f"{field}.{index}.")
            continue
        elif isinstance(value, list):
            text = ";".join(map(str, value))
        else:
            text = "" if value is None else str(value)
        out.append(f"{head}{fixed_cell(field)},{text_cell(text)}")


def _records(record_type: str, records: list[dict[str, Any]], out: list[str]) -> None:
    """A section's records, each by its id (or its place in the list), the id not repeated."""
    for index, record in enumerate(records):
        values = dict(record)
        _cells(record_type, values.pop("id", None) or str(index), values, out)


def _portability_rows(data: dict[str, Any]) -> list[str]:
    rows: list[str] = []
    _cells("person", data["subject_id"], data["details"], rows)
    _records("self_referral", data["self_referrals"], rows)
    _records("complaint", data["complaints"], rows)
    return rows


SINGULAR = {
    "referrals": "referral",
    "pre_visits": "pre_visit",
    "sessions": "session",
    "incidents": "incident",
    "complaints": "complaint",
    "disclosures": "disclosure",
    "documents": "document",
    "subject_requests": "subject_request",
    "withheld": "withheld",
    "pending_review": "pending_review",
}


def _access_rows(data: dict[str, Any]) -> list[str]:
    rows: list[str] = []
    about = {k: data[k] for k in ("kind", "state", "request_id", "generated_at", "made_for")}
    _cells("package", data["request_id"], about, rows)
    _cells("person", data["subject_id"], data["subject"], rows)
    for section, record_type in SINGULAR.items():
        _records(record_type, data[section], rows)
    _cells("supplementary", "", data["supplementary"], rows)
    return rows


def as_csv(package: AccessPackage | PortabilityPackage, data: dict[str, Any] | None = None) -> str:
    """One row per field: `record_type, record_id, field, value` (a tidy, reusable layout).
    `data`: the package as `model_dump(mode="json")` gives it, when the caller has it."""
    if data is None:
        data = package.model_dump(mode="json")
    rows = _access_rows(data) if package.kind == "access" else _portability_rows(data)
    return write_csv(CSV_COLUMNS, []) + join_lines(rows)
