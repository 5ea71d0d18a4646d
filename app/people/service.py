"""People (data subjects): the rules of creating, reading, changing and deleting them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, paginate
from app.api.versioning import check_version
from app.centres.models import Centre
from app.errors import Conflict, Unprocessable
from app.kit.audit import touched_record
from app.kit.rules import field_error, flush_or_conflict
from app.people.models import Person, person_references
from app.people.schemas import PersonCreate, PersonUpdate
from app.referrals.models import PartyRole, ReferralParty
from app.security.principals import Principal
from app.security.scoping import get_scoped, named_in_body, scoped
from app.time import today_in_london as today


def ensure_processing_allowed(person: Person, principal: Principal) -> None:
    """Writes touching a person are refused after erasure, and while processing is restricted
    unless the caller names a lawful purpose (`X-Lawful-Purpose`, recorded in the audit row)."""
    if person.erased_at is not None:
        raise Conflict("This person's details were erased; their records cannot be changed")
    if person.processing_restricted and principal.lawful_purpose is None:
        raise Conflict(
            "Processing of this person's data is restricted; name a lawful purpose in "
            "X-Lawful-Purpose (consent, legal_claims, protect_another_person, public_interest)"
        )


def _check_birth_date(value: date | None) -> None:
    if value is not None and value > today():
        raise Unprocessable(
            "date_of_birth is in the future",
            errors=field_error("date_of_birth", "must not be in the future"),
        )


def create(session: Session, principal: Principal, data: PersonCreate) -> Person:
    named_in_body(session, principal, Centre, data.centre_id, field="centre_id")
    _check_birth_date(data.date_of_birth)
    values = data.model_dump()
    values["email"] = str(data.email) if data.email else None
    person = Person(**values)
    session.add(person)
    session.flush()
    return person


@dataclass(frozen=True)
class PersonFilters:
    centre_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None
    processing_restricted: bool | None = None
    erased: bool | None = None


def list_people(
    session: Session, principal: Principal, page: PageParams, filters: PersonFilters
) -> tuple[list[Any], str | None]:
    stmt = scoped(select(Person), Person, principal)
    if filters.centre_id is not None:
        stmt = stmt.where(Person.centre_id == filters.centre_id)
    if filters.referral_id is not None:
        stmt = stmt.where(
            exists().where(
                ReferralParty.person_id == Person.id,
                ReferralParty.referral_id == filters.referral_id,
            )
        )
    if filters.processing_restricted is not None:
        stmt = stmt.where(Person.processing_restricted.is_(filters.processing_restricted))
    if filters.erased is True:
        stmt = stmt.where(Person.erased_at.is_not(None))
    elif filters.erased is False:
        stmt = stmt.where(Person.erased_at.is_(None))
    return paginate(session, stmt, page, [Person.created_at, Person.id])


def get(session: Session, principal: Principal, person_id: uuid.UUID) -> Person:
    return get_scoped(session, Person, person_id, principal)


def _is_child_party(session: Session, person: Person) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    ReferralParty.person_id == person.id,
                    ReferralParty.role == PartyRole.child.value,
                )
            )
        )
    )


def update(
    session: Session,
    principal: Principal,
    person_id: uuid.UUID,
    data: PersonUpdate,
    if_match: str | None,
) -> Person:
    person = get(session, principal, person_id)
    check_version(person, if_match)
    ensure_processing_allowed(person, principal)
    correct(session, person, data)
    return person


def correct(session: Session, person: Person, data: PersonUpdate) -> list[str]:
    """Apply field changes to a person (an edit, or a rectification request); returns the names
    of the fields that changed."""
    changes = data.model_dump(exclude_unset=True)
    if "date_of_birth" in changes:
        _check_birth_date(changes["date_of_birth"])
        if changes["date_of_birth"] is None and _is_child_party(session, person):
            raise Unprocessable(
                "A child party needs a date of birth",
                errors=field_error("date_of_birth", "required for a child party", "missing"),
            )
    if changes.get("email") is not None:
        changes["email"] = str(changes["email"])
    changed = sorted(field for field, value in changes.items() if getattr(person, field) != value)
    for field in changed:
        setattr(person, field, changes[field])
    session.flush()
    return changed


def delete(
    session: Session, principal: Principal, person_id: uuid.UUID, if_match: str | None
) -> None:
    """Only a person entered by mistake: anyone named in a record stays (erasure is a request)."""
    person = get(session, principal, person_id)
    touched_record(person)
    check_version(person, if_match)
    for column in person_references():
        if session.scalar(select(exists().where(column == person.id))):
            raise Conflict(
                "This person is named in case records; remove them there first, or file an "
                "erasure request"
            )
    session.delete(person)
    flush_or_conflict(session, "This person is named in other records")
