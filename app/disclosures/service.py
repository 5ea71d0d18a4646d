"""The disclosure register.

Rules:
- One or more people, each a person of the disclosure's centre (another centre's person: the
  same 422 as an unknown one), each named once; restricted or erased people are not written to
  (409, `people.service.ensure_processing_allowed`).
- The referral and incident, when given, belong to the same centre (422 otherwise).
- `disclosed_at` is not in the future.
- No delete: the register is the accountability record behind every SAR's recipients; wrong
  entries are corrected with PATCH (audited).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, paginate
from app.api.versioning import check_version
from app.centres.models import Centre
from app.db import utcnow
from app.disclosures.models import Disclosure, DisclosurePerson
from app.disclosures.schemas import DisclosureCreate, DisclosureUpdate
from app.errors import Unprocessable
from app.incidents.models import Incident
from app.kit.filters import where_between, where_given
from app.kit.rules import field_error
from app.people import service as people_service
from app.people.models import Person
from app.referrals.models import Referral
from app.security.principals import Principal
from app.security.scoping import get_scoped, named_in_body, scoped


def _check_disclosed_at(disclosed_at: datetime) -> None:
    if disclosed_at > utcnow():
        raise Unprocessable(
            "disclosed_at is in the future",
            errors=field_error("disclosed_at", "must not be in the future"),
        )


def _people(
    session: Session, principal: Principal, person_ids: list[uuid.UUID], centre_id: uuid.UUID
) -> list[Person]:
    if len(set(person_ids)) != len(person_ids):
        raise Unprocessable(
            "A person is named more than once",
            errors=field_error("person_ids", "each person once"),
        )
    people = [
        named_in_body(
            session, principal, Person, person_id, field="person_ids", centre_id=centre_id
        )
        for person_id in person_ids
    ]
    for person in people:
        people_service.ensure_processing_allowed(person, principal)
    return people


def create(session: Session, principal: Principal, data: DisclosureCreate) -> Disclosure:
    named_in_body(session, principal, Centre, data.centre_id, field="centre_id")
    _check_disclosed_at(data.disclosed_at)
    people = _people(session, principal, data.person_ids, data.centre_id)
    if data.referral_id is not None:
        named_in_body(
            session,
            principal,
            Referral,
            data.referral_id,
            field="referral_id",
            centre_id=data.centre_id,
        )
    if data.incident_id is not None:
        named_in_body(
            session,
            principal,
            Incident,
            data.incident_id,
            field="incident_id",
            centre_id=data.centre_id,
        )
    values = data.model_dump(exclude={"person_ids"})
    values["recipient_type"] = data.recipient_type.value
    values["lawful_basis"] = data.lawful_basis.value
    disclosure = Disclosure(
        **values,
        recorded_by_id=principal.id,
        people=[DisclosurePerson(person_id=p.id) for p in people],
    )
    session.add(disclosure)
    session.flush()
    return disclosure


@dataclass(frozen=True)
class DisclosureFilters:
    centre_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None
    incident_id: uuid.UUID | None = None
    recipient_type: str | None = None
    lawful_basis: str | None = None
    disclosed_from: datetime | None = None
    disclosed_to: datetime | None = None


def list_disclosures(
    session: Session, principal: Principal, page: PageParams, f: DisclosureFilters
) -> tuple[list[Any], str | None]:
    stmt = scoped(select(Disclosure), Disclosure, principal)
    stmt = where_given(
        stmt,
        [
            (Disclosure.centre_id, f.centre_id),
            (Disclosure.referral_id, f.referral_id),
            (Disclosure.incident_id, f.incident_id),
            (Disclosure.recipient_type, f.recipient_type),
            (Disclosure.lawful_basis, f.lawful_basis),
        ],
    )
    if f.person_id is not None:
        stmt = stmt.where(
            exists().where(
                DisclosurePerson.disclosure_id == Disclosure.id,
                DisclosurePerson.person_id == f.person_id,
            )
        )
    stmt = where_between(stmt, Disclosure.disclosed_at, f.disclosed_from, f.disclosed_to)
    return paginate(session, stmt, page, [Disclosure.created_at, Disclosure.id])


def get(session: Session, principal: Principal, disclosure_id: uuid.UUID) -> Disclosure:
    return get_scoped(session, Disclosure, disclosure_id, principal)


def update(
    session: Session,
    principal: Principal,
    disclosure_id: uuid.UUID,
    data: DisclosureUpdate,
    if_match: str | None,
) -> Disclosure:
    disclosure = get(session, principal, disclosure_id)
    check_version(disclosure, if_match)
    changes = data.model_dump(exclude_unset=True)
    # The people it names now (and, when they change, the new ones) must be writable.
    current = [session.get(Person, pid) for pid in disclosure.person_ids]
    for person in current:
        assert person is not None  # foreign key
        people_service.ensure_processing_allowed(person, principal)
    if "disclosed_at" in changes:
        _check_disclosed_at(changes["disclosed_at"])
    if changes.get("referral_id") is not None:
        named_in_body(
            session,
            principal,
            Referral,
            changes["referral_id"],
            field="referral_id",
            centre_id=disclosure.centre_id,
        )
    if changes.get("incident_id") is not None:
        named_in_body(
            session,
            principal,
            Incident,
            changes["incident_id"],
            field="incident_id",
            centre_id=disclosure.centre_id,
        )
    if "person_ids" in changes:
        people = _people(session, principal, changes.pop("person_ids"), disclosure.centre_id)
        wanted = {p.id for p in people}
        disclosure.people = [link for link in disclosure.people if link.person_id in wanted]
        kept = {link.person_id for link in disclosure.people}
        disclosure.people.extend(
            DisclosurePerson(person_id=pid) for pid in sorted(wanted - kept, key=str)
        )
        # The people are another table: touch the row so that its version moves too.
        disclosure.updated_at = utcnow()
    for field, value in changes.items():
        setattr(disclosure, field, value.value if hasattr(value, "value") else value)
    session.flush()
    return disclosure


def recipients_of(session: Session, person_id: uuid.UUID) -> list[dict[str, Any]]:
    """Everyone the subject's data was disclosed to (the register), to be told of a change."""
    rows = session.execute(
        select(
            Disclosure.id,
            Disclosure.recipient_type,
            Disclosure.recipient_name,
            Disclosure.disclosed_at,
        )
        .join(DisclosurePerson, DisclosurePerson.disclosure_id == Disclosure.id)
        .where(DisclosurePerson.person_id == person_id)
        .order_by(Disclosure.disclosed_at)
    )
    return [
        {
            "disclosure_id": str(row.id),
            "recipient_type": row.recipient_type,
            "recipient_name": row.recipient_name,
            "disclosed_at": row.disclosed_at.isoformat(),
        }
        for row in rows
    ]
