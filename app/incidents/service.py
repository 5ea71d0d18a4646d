"""Incidents: safeguarding, child protection and the accident book.

Rules:
- The child is required for safeguarding and child protection (optional for an accident) and,
  when named, is a person of the incident's centre with a date of birth who was under 18 on the
  (Europe/London) day the incident occurred. Another centre's person gets the same 422 as an
  unknown one.
- The referral is optional and belongs to the same centre (422 otherwise).
- `occurred_at` is not in the future.
- A restricted or erased child is not written to (409, `people.service.ensure_processing_allowed`).
- Incidents are never deleted (retention keeps them indefinitely); there is no delete.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, paginate
from app.api.versioning import check_version
from app.centres.models import Centre
from app.db import utcnow
from app.errors import Unprocessable
from app.incidents.models import CHILD_REQUIRED, Incident, IncidentKind
from app.incidents.schemas import IncidentCreate, IncidentUpdate
from app.kit.filters import where_between, where_given
from app.kit.rules import field_error
from app.people import service as people_service
from app.people.models import Person
from app.referrals.models import Referral
from app.security.principals import Principal
from app.security.scoping import get_scoped, named_in_body, scoped
from app.time import local_day

ADULT_AGE = 18


def eighteenth_birthday(birth: date) -> date:
    """The day a person turns 18; someone born on 29 February turns 18 on 1 March of a common
    year (the usual reading in England and Wales)."""
    try:
        return birth.replace(year=birth.year + ADULT_AGE)
    except ValueError:
        return date(birth.year + ADULT_AGE, 3, 1)


def _check_occurred_at(occurred_at: datetime) -> None:
    if occurred_at > utcnow():
        raise Unprocessable(
            "occurred_at is in the future",
            errors=field_error("occurred_at", "must not be in the future"),
        )


def _check_child(
    session: Session,
    principal: Principal,
    centre_id: uuid.UUID,
    kind: str,
    child_id: uuid.UUID | None,
    occurred_at: datetime,
) -> None:
    if child_id is None:
        if kind in CHILD_REQUIRED:
            raise Unprocessable(
                f"A {kind.replace('_', ' ')} incident names the child concerned",
                errors=field_error("child_id", f"required for {kind}", "missing"),
            )
        return
    child = named_in_body(
        session, principal, Person, child_id, field="child_id", centre_id=centre_id
    )
    if child.date_of_birth is None:
        raise Unprocessable(
            "The child needs a date of birth; add it to the person first",
            errors=field_error("child_id", "the person has no date of birth", "missing"),
        )
    day = local_day(occurred_at)
    if child.date_of_birth > day:
        raise Unprocessable(
            "The child was not born when the incident occurred",
            errors=field_error("child_id", "born after occurred_at"),
        )
    if day >= eighteenth_birthday(child.date_of_birth):
        raise Unprocessable(
            "The person was 18 or over when the incident occurred: not a child",
            errors=field_error("child_id", "not under 18 when the incident occurred"),
        )
    people_service.ensure_processing_allowed(child, principal)


def create(session: Session, principal: Principal, data: IncidentCreate) -> Incident:
    named_in_body(session, principal, Centre, data.centre_id, field="centre_id")
    _check_occurred_at(data.occurred_at)
    _check_child(session, principal, data.centre_id, data.kind, data.child_id, data.occurred_at)
    if data.referral_id is not None:
        named_in_body(
            session,
            principal,
            Referral,
            data.referral_id,
            field="referral_id",
            centre_id=data.centre_id,
        )
    values = data.model_dump()
    values["kind"] = data.kind.value
    incident = Incident(**values)
    session.add(incident)
    session.flush()
    return incident


@dataclass(frozen=True)
class IncidentFilters:
    centre_id: uuid.UUID | None = None
    kind: str | None = None
    child_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None
    referred_to_authority: bool | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None


def list_incidents(
    session: Session, principal: Principal, page: PageParams, f: IncidentFilters
) -> tuple[list[Any], str | None]:
    stmt = scoped(select(Incident), Incident, principal)
    stmt = where_given(
        stmt,
        [
            (Incident.centre_id, f.centre_id),
            (Incident.kind, f.kind),
            (Incident.child_id, f.child_id),
            (Incident.referral_id, f.referral_id),
            (Incident.referred_to_authority, f.referred_to_authority),
        ],
    )
    stmt = where_between(stmt, Incident.occurred_at, f.occurred_from, f.occurred_to)
    return paginate(session, stmt, page, [Incident.created_at, Incident.id])


def get(session: Session, principal: Principal, incident_id: uuid.UUID) -> Incident:
    return get_scoped(session, Incident, incident_id, principal)


def update(
    session: Session,
    principal: Principal,
    incident_id: uuid.UUID,
    data: IncidentUpdate,
    if_match: str | None,
) -> Incident:
    incident = get(session, principal, incident_id)
    check_version(incident, if_match)
    changes = data.model_dump(exclude_unset=True)
    kind = changes.get("kind", incident.kind)
    child_id = changes.get("child_id", incident.child_id)
    occurred_at = changes.get("occurred_at", incident.occurred_at)
    if "occurred_at" in changes:
        _check_occurred_at(occurred_at)
    # The child (old or new) is checked again whenever anything about it could change, and a
    # restricted child's incident is not changed at all.
    _check_child(session, principal, incident.centre_id, kind, child_id, occurred_at)
    if changes.get("referral_id") is not None:
        named_in_body(
            session,
            principal,
            Referral,
            changes["referral_id"],
            field="referral_id",
            centre_id=incident.centre_id,
        )
    for field, value in changes.items():
        setattr(incident, field, value.value if isinstance(value, IncidentKind) else value)
    session.flush()
    return incident
