"""Referrals: the lifecycle, the human decision, parties and pre-visits.

Status machine (§3):

    received ──decision: accepted──▶ pre_visit ──PATCH status=active──▶ active ──close──▶ closed
        │  └──decision: declined──▶ declined        (needs every visiting adult's pre-visit)
        └────────── PATCH status=withdrawn (from received, pre_visit or active) ──▶ withdrawn

Everything else is 409. `closed`, `declined` and `withdrawn` are final and set `closed_on` (the
date retention counts from).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, bindparam, exists, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, PageTemplates, paginate
from app.api.versioning import check_version
from app.attendance.models import Attendance, ContactSession, SessionStatus
from app.centres.models import Centre
from app.db import utcnow
from app.errors import Conflict, Forbidden, Unprocessable
from app.kit.audit import touched_record
from app.kit.rules import field_error, flush_or_conflict
from app.people import service as people_service
from app.people.models import Person
from app.referrals.models import (
    PARENT_ROLES,
    TERMINAL_STATUSES,
    VISITING_ADULT_ROLES,
    Outcome,
    PartyRole,
    PreVisit,
    Referral,
    ReferralCounter,
    ReferralParty,
    Source,
    Status,
)
from app.referrals.schemas import (
    CloseRequest,
    DecisionCreate,
    PartyCreate,
    PreVisitCreate,
    PreVisitUpdate,
    ReferralCreate,
    ReferralUpdate,
)
from app.security.principals import Principal, PrincipalKind
from app.security.scoping import (
    get_child,
    get_scoped,
    is_scoped,
    named_in_body,
    scope_values,
    scoped_by_name,
)
from app.time import today_in_london as today

# NACCC's Safe Referral System took no new applications after this day.
SRS_LAST_DAY = date(2024, 2, 23)

TRANSITIONS: dict[str, set[str]] = {
    Status.received: {Status.pre_visit, Status.declined, Status.withdrawn},
    Status.pre_visit: {Status.active, Status.withdrawn},
    Status.active: {Status.closed, Status.withdrawn},
}
# What PATCH may do; the other transitions have their own operation.
PATCH_TARGETS = {Status.active, Status.withdrawn}
OWN_OPERATION = {
    Status.pre_visit: "POST /referrals/{id}/decision (accepted)",
    Status.declined: "POST /referrals/{id}/decision (declined)",
    Status.closed: "POST /referrals/{id}/close",
}


# --- references ------------------------------------------------------------


def next_number(session: Session, centre_id: uuid.UUID, year: int) -> int:
    """The next referral number of a centre and year, atomically.

    One statement inserts the counter row or increments it and returns the new value. On
    PostgreSQL the updated row stays locked until the transaction ends, so a concurrent creation
    waits and then reads the committed value (never the same number); on SQLite every write
    transaction is serial (BEGIN IMMEDIATE). The unique (centre_id, reference) constraint is the
    last line of defence.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(ReferralCounter)
        .values(centre_id=centre_id, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[ReferralCounter.centre_id, ReferralCounter.year],
            set_={"last_number": ReferralCounter.last_number + 1},
        )
        .returning(ReferralCounter.last_number)
    )
    return int(session.execute(stmt).scalar_one())


def format_reference(code: str, year: int, number: int) -> str:
    return f"{code}-{year}-{number:04d}"


def allocate_reference(session: Session, centre: Centre) -> str:
    year = utcnow().year  # the year the referral is registered (GMT = UTC at new year)
    return format_reference(centre.code, year, next_number(session, centre.id, year))


# --- rules ------------------------------------------------------------


def _check_source(source: str, srs_reference: str | None, received_on: date) -> None:
    if source == Source.srs:
        if srs_reference is None:
            raise Unprocessable(
                "An SRS referral needs its SRS reference",
                errors=field_error("srs_reference", "required when source is srs", "missing"),
            )
        if received_on > SRS_LAST_DAY:
            raise Unprocessable(
                "The Safe Referral System took no new applications after 2024-02-23",
                errors=field_error("received_on", "SRS referrals must be received by 2024-02-23"),
            )
    elif srs_reference is not None:
        raise Unprocessable(
            "srs_reference is only for referrals from the Safe Referral System",
            errors=field_error("srs_reference", "only allowed when source is srs"),
        )


def _check_received_on(received_on: date) -> None:
    if received_on > today():
        raise Unprocessable(
            "received_on is in the future",
            errors=field_error("received_on", "must not be in the future"),
        )


def _check_received_before_events(session: Session, referral: Referral, received_on: date) -> None:
    """A referral is received before its pre-visits and before it is closed."""
    first_visit = session.scalar(
        select(func.min(PreVisit.visited_on)).where(PreVisit.referral_id == referral.id)
    )
    for event, day in (("a pre-visit", first_visit), ("its closure", referral.closed_on)):
        if day is not None and received_on > day:
            raise Unprocessable(
                f"received_on would be after {event} ({day.isoformat()})",
                errors=field_error("received_on", f"after {event}"),
            )


def _require_open(referral: Referral, action: str) -> None:
    if referral.status in TERMINAL_STATUSES:
        raise Conflict(f"The referral is {referral.status}; {action} is no longer possible")


def _parties(session: Session, referral: Referral) -> list[tuple[ReferralParty, Person]]:
    rows = session.execute(
        select(ReferralParty, Person)
        .join(Person, Person.id == ReferralParty.person_id)
        .where(ReferralParty.referral_id == referral.id)
    ).all()
    return [(row[0], row[1]) for row in rows]


def adults_without_pre_visit(
    session: Session, referral: Referral, before: date | None = None
) -> list[uuid.UUID]:
    """Visiting adults with no pre-visit (ground rules explained and signed), or — given a
    session day — none on an earlier day than it."""
    adults = {
        party.person_id
        for party, _ in _parties(session, referral)
        if party.role in VISITING_ADULT_ROLES
    }
    visits = {
        v.person_id: v
        for v in session.scalars(select(PreVisit).where(PreVisit.referral_id == referral.id))
    }
    missing = []
    for person_id in sorted(adults, key=str):
        visit = visits.get(person_id)
        if (
            visit is None
            or not (visit.ground_rules_explained and visit.ground_rules_signed)
            or (before is not None and visit.visited_on >= before)
        ):
            missing.append(person_id)
    return missing


def _check_parents_for_acceptance(session: Session, referral: Referral) -> None:
    reachable = {
        party.role
        for party, person in _parties(session, referral)
        if party.role in PARENT_ROLES and (person.phone or person.email)
    }
    missing = [role.value for role in PARENT_ROLES if role not in reachable]
    if missing:
        raise Unprocessable(
            "Acceptance needs both parents (resident and non-resident) as parties with a phone "
            "number or an email address; missing: " + ", ".join(missing),
            errors=field_error(
                "outcome", "parents' contact details missing: " + ", ".join(missing)
            ),
        )


def _finish(referral: Referral, status: Status, on: date, reason: str | None = None) -> None:
    referral.status = status.value
    referral.closed_on = on
    if reason is not None:
        referral.closure_reason = reason


# --- referrals ------------------------------------------------------------


def create(session: Session, principal: Principal, data: ReferralCreate) -> Referral:
    centre = named_in_body(session, principal, Centre, data.centre_id, field="centre_id")
    _check_received_on(data.received_on)
    _check_source(data.source, data.srs_reference, data.received_on)
    referral = Referral(
        centre_id=centre.id,
        reference=allocate_reference(session, centre),
        source=data.source.value,
        srs_reference=data.srs_reference,
        contact_type=data.contact_type.value,
        has_court_order=data.has_court_order,
        cafcass_involved=data.cafcass_involved,
        received_on=data.received_on,
        status=Status.received.value,
    )
    session.add(referral)
    flush_or_conflict(session, "A referral with this reference exists already; try again")
    return referral


@dataclass(frozen=True)
class ReferralFilters:
    centre_id: uuid.UUID | None = None
    status: str | None = None
    source: str | None = None
    contact_type: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    person_id: uuid.UUID | None = None
    reference: str | None = None


_PAGES = PageTemplates()
_EQUAL_FILTERS = ("centre_id", "status", "source", "contact_type", "reference")


def list_referrals(
    session: Session,
    principal: Principal,
    page: PageParams,
    f: ReferralFilters,
    columns: Sequence[Any],
) -> tuple[list[Any], str | None]:
    """A page of referrals as rows of `columns` (`PageBlocks.columns`: the referral's own columns
    its read model shows and their retention blocks)."""
    values = {name: value for name, value in asdict(f).items() if value is not None}

    def build() -> Select[Any]:
        stmt = scoped_by_name(select(*columns), Referral, principal)
        for name in _EQUAL_FILTERS:
            if name in values:
                stmt = stmt.where(getattr(Referral, name) == bindparam(name))
        if "received_from" in values:
            stmt = stmt.where(Referral.received_on >= bindparam("received_from"))
        if "received_to" in values:
            stmt = stmt.where(Referral.received_on <= bindparam("received_to"))
        if "person_id" in values:
            stmt = stmt.where(
                exists().where(
                    ReferralParty.referral_id == Referral.id,
                    ReferralParty.person_id == bindparam("person_id"),
                )
            )
        return stmt

    shape = (tuple(columns), is_scoped(principal), frozenset(values))
    values |= scope_values(principal)
    return _PAGES.paginate(session, shape, build, values, page, [Referral.created_at, Referral.id])


def get(session: Session, principal: Principal, referral_id: uuid.UUID) -> Referral:
    return get_scoped(session, Referral, referral_id, principal)


def _change_status(session: Session, referral: Referral, target: Status) -> None:
    current = referral.status
    if target == current:
        return
    if target not in TRANSITIONS.get(current, set()):
        raise Conflict(f"A referral cannot go from {current} to {target.value}")
    if target not in PATCH_TARGETS:
        raise Conflict(f"A referral becomes {target.value} through {OWN_OPERATION[target]}")
    if target == Status.active:
        missing = adults_without_pre_visit(session, referral)
        if missing:
            raise Unprocessable(
                "Every visiting adult needs a pre-visit with the ground rules explained and "
                "signed before the referral is active",
                errors=[
                    error
                    for p in missing
                    for error in field_error("status", f"no pre-visit for person {p}")
                ],
            )
        referral.status = target.value
    else:
        _finish(referral, Status.withdrawn, today())


def update(
    session: Session,
    principal: Principal,
    referral_id: uuid.UUID,
    data: ReferralUpdate,
    if_match: str | None,
) -> Referral:
    referral = get(session, principal, referral_id)
    check_version(referral, if_match)
    changes = data.model_dump(exclude_unset=True)
    source = changes.get("source", referral.source)
    srs_reference = changes.get("srs_reference", referral.srs_reference)
    received_on = changes.get("received_on", referral.received_on)
    if "received_on" in changes:
        _check_received_on(received_on)
        _check_received_before_events(session, referral, received_on)
    if {"source", "srs_reference", "received_on"} & changes.keys():
        _check_source(source, srs_reference, received_on)
    if changes.get("contact_type") == "supported" and referral.contact_type != "supported":
        has_notes = session.scalar(
            select(
                exists().where(
                    ContactSession.referral_id == referral.id, ContactSession.notes.is_not(None)
                )
            )
        )
        if has_notes:
            raise Conflict(
                "Sessions of this referral hold notes, which supported contact may not keep; "
                "remove them first"
            )
    if "status" in changes:
        _change_status(session, referral, Status(changes.pop("status")))
    for field, value in changes.items():
        setattr(referral, field, value.value if hasattr(value, "value") else value)
    session.flush()
    return referral


def decide(
    session: Session,
    principal: Principal,
    referral_id: uuid.UUID,
    data: DecisionCreate,
    if_match: str | None,
) -> Referral:
    """The human decision. Nothing is accepted or declined automatically: a service client
    (a machine) may not decide."""
    referral = get(session, principal, referral_id)
    if principal.kind == PrincipalKind.service_client:
        raise Forbidden("A referral is accepted or declined by a person, not by a service client")
    check_version(referral, if_match)
    if referral.status != Status.received:
        raise Conflict(f"The referral is {referral.status}; only a received referral is decided")
    if data.outcome == Outcome.accepted:
        _check_parents_for_acceptance(session, referral)
        referral.status = Status.pre_visit.value
    else:
        _finish(referral, Status.declined, today())
    referral.decision = data.outcome.value
    referral.decision_reason = data.reason
    referral.decided_by_id = principal.id
    referral.decided_at = utcnow()
    session.flush()
    return referral


def close(
    session: Session,
    principal: Principal,
    referral_id: uuid.UUID,
    data: CloseRequest,
    if_match: str | None,
) -> Referral:
    referral = get(session, principal, referral_id)
    check_version(referral, if_match)
    if referral.status != Status.active:
        raise Conflict(f"The referral is {referral.status}; only an active referral is closed")
    closed_on = data.closed_on or today()
    if closed_on > today() or closed_on < referral.received_on:
        raise Unprocessable(
            "closed_on must be between the day the referral was received and today",
            errors=field_error("closed_on", "not between received_on and today"),
        )
    scheduled = session.scalar(
        select(func.count())
        .select_from(ContactSession)
        .where(
            ContactSession.referral_id == referral.id,
            ContactSession.status == SessionStatus.scheduled.value,
        )
    )
    if scheduled:
        raise Conflict(
            f"{scheduled} session(s) are still scheduled; mark them held or cancelled first"
        )
    _finish(referral, Status.closed, closed_on, data.reason)
    session.flush()
    return referral


# --- parties ------------------------------------------------------------


def list_parties(
    session: Session,
    principal: Principal,
    referral_id: uuid.UUID,
    page: PageParams,
    role: str | None = None,
) -> tuple[list[Any], str | None]:
    referral = get(session, principal, referral_id)
    touched_record(referral)
    stmt = select(ReferralParty).where(ReferralParty.referral_id == referral.id)
    if role is not None:
        stmt = stmt.where(ReferralParty.role == role)
    return paginate(session, stmt, page, [ReferralParty.created_at, ReferralParty.id])


CHILD_AND_ADULT = "A person cannot be both a child and an adult party of one referral"


def add_party(
    session: Session, principal: Principal, referral_id: uuid.UUID, data: PartyCreate
) -> ReferralParty:
    referral = get(session, principal, referral_id)
    _require_open(referral, "adding a party")
    person = named_in_body(
        session, principal, Person, data.person_id, field="person_id", centre_id=referral.centre_id
    )
    people_service.ensure_processing_allowed(person, principal)
    if data.role == PartyRole.child and person.date_of_birth is None:
        raise Unprocessable(
            "A child party needs a date of birth; add it to the person first",
            errors=field_error("person_id", "the person has no date of birth", "missing"),
        )
    roles = {party.role for party, p in _parties(session, referral) if p.id == person.id}
    if data.role.value in roles:
        raise Conflict(f"This person is already a party as {data.role.value}")
    if roles and (data.role == PartyRole.child or PartyRole.child in roles):
        raise Unprocessable(CHILD_AND_ADULT, errors=field_error("role", CHILD_AND_ADULT))
    party = ReferralParty(
        centre_id=referral.centre_id,
        referral_id=referral.id,
        person_id=person.id,
        role=data.role.value,
    )
    session.add(party)
    flush_or_conflict(session, f"This person is already a party as {data.role.value}")
    return party


def remove_party(
    session: Session, principal: Principal, referral_id: uuid.UUID, party_id: uuid.UUID
) -> None:
    referral = get(session, principal, referral_id)
    party = get_child(session, ReferralParty, party_id, via="referral_id", parent=referral)
    touched_record(party)
    _require_open(referral, "removing a party")
    others = [
        p
        for p, _ in _parties(session, referral)
        if p.person_id == party.person_id and p.id != party.id
    ]
    if not others:
        visited = session.scalar(
            select(
                exists().where(
                    PreVisit.referral_id == referral.id, PreVisit.person_id == party.person_id
                )
            )
        )
        attended = session.scalar(
            select(
                exists().where(
                    Attendance.person_id == party.person_id,
                    Attendance.session_id.in_(
                        select(ContactSession.id).where(ContactSession.referral_id == referral.id)
                    ),
                )
            )
        )
        if visited or attended:
            raise Conflict("This party has a pre-visit or attendance on the referral and stays")
    if referral.status in (Status.pre_visit, Status.active) and party.role in PARENT_ROLES:
        same_role = [
            p for p, _ in _parties(session, referral) if p.role == party.role and p.id != party.id
        ]
        if not same_role:
            raise Conflict("An accepted referral keeps both parents as parties")
    session.delete(party)
    session.flush()


# --- pre-visits ------------------------------------------------------------


def list_pre_visits(
    session: Session,
    principal: Principal,
    referral_id: uuid.UUID,
    page: PageParams,
    person_id: uuid.UUID | None = None,
) -> tuple[list[Any], str | None]:
    referral = get(session, principal, referral_id)
    touched_record(referral)
    stmt = select(PreVisit).where(PreVisit.referral_id == referral.id)
    if person_id is not None:
        stmt = stmt.where(PreVisit.person_id == person_id)
    return paginate(session, stmt, page, [PreVisit.created_at, PreVisit.id])


def _check_visited_on(referral: Referral, visited_on: date) -> None:
    if visited_on > today() or visited_on < referral.received_on:
        raise Unprocessable(
            "visited_on must be between the day the referral was received and today",
            errors=field_error("visited_on", "not between received_on and today"),
        )


def create_pre_visit(
    session: Session, principal: Principal, referral_id: uuid.UUID, data: PreVisitCreate
) -> PreVisit:
    referral = get(session, principal, referral_id)
    if referral.status not in (Status.pre_visit, Status.active):
        raise Conflict(
            f"The referral is {referral.status}; pre-visits follow acceptance and end with "
            "the referral"
        )
    roles = {p.role for p, _ in _parties(session, referral) if p.person_id == data.person_id}
    if not roles & set(VISITING_ADULT_ROLES):
        raise Unprocessable(
            "A pre-visit is for an adult party of the referral (parent or other adult)",
            errors=field_error("person_id", "not an adult party of this referral", "not_found"),
        )
    person = session.get(Person, data.person_id)
    assert person is not None  # a party's person exists (foreign key)
    people_service.ensure_processing_allowed(person, principal)
    _check_visited_on(referral, data.visited_on)
    if session.scalar(
        select(
            exists().where(
                PreVisit.referral_id == referral.id, PreVisit.person_id == data.person_id
            )
        )
    ):
        raise Conflict("This adult has a pre-visit for this referral already; update it instead")
    visit = PreVisit(centre_id=referral.centre_id, referral_id=referral.id, **data.model_dump())
    session.add(visit)
    flush_or_conflict(session, "This adult has a pre-visit for this referral already")
    return visit


def get_pre_visit(
    session: Session, principal: Principal, referral_id: uuid.UUID, pre_visit_id: uuid.UUID
) -> PreVisit:
    referral = get(session, principal, referral_id)
    return get_child(session, PreVisit, pre_visit_id, via="referral_id", parent=referral)


def update_pre_visit(
    session: Session,
    principal: Principal,
    referral_id: uuid.UUID,
    pre_visit_id: uuid.UUID,
    data: PreVisitUpdate,
    if_match: str | None,
) -> PreVisit:
    visit = get_pre_visit(session, principal, referral_id, pre_visit_id)
    check_version(visit, if_match)
    referral = get(session, principal, referral_id)
    _require_open(referral, "changing a pre-visit")
    person = session.get(Person, visit.person_id)
    assert person is not None
    people_service.ensure_processing_allowed(person, principal)
    changes = data.model_dump(exclude_unset=True)
    if "visited_on" in changes:
        _check_visited_on(referral, changes["visited_on"])
    for field, value in changes.items():
        setattr(visit, field, value)
    session.flush()
    return visit
