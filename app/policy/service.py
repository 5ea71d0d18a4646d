"""Privacy policy versions, the version in force, the three-yearly review, and consent to a
version that reduces rights.

The policy promises: "We will not reduce your rights under this Privacy Policy without your
explicit consent." So each version says whether it reduces anyone's rights. Such a version
governs a person only once their explicit consent to it (or to a later version) is recorded,
unless their records began on or after the day it took effect (they never had the earlier
rights). Until then the version before it governs them. A consent is recorded with who, which
version, when, how, and who recorded it: what UK GDPR Art 7(1) asks a controller to be able to
show of a consent, and the ICO's guidance on consent lists (who, when, what they were told, how).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, paginate
from app.errors import Conflict, NotFound, Unprocessable
from app.kit.audit import touched, touched_record
from app.kit.calendar import add_months
from app.kit.rules import field_rule
from app.people.models import Person, referred_to_by_a_record
from app.policy.models import ConsentMethod, PolicyConsent, PrivacyPolicy
from app.policy.schemas import (
    ConsentCreate,
    ConsentRead,
    PersonPolicy,
    PersonToNotify,
    PolicyCreate,
    PolicyRead,
    PolicyRef,
    PolicySummary,
    PublicPolicy,
    PublicPolicyVersion,
)
from app.security.principals import Principal
from app.security.scoping import get_scoped, scoped
from app.time import local_day

REVIEW_EVERY_MONTHS = 36  # "reviewed no less than once every three years"


def next_review_due(policy: PrivacyPolicy) -> date:
    return add_months(policy.reviewed_on, REVIEW_EVERY_MONTHS)


def review_overdue(policy: PrivacyPolicy, today: date) -> bool:
    return today > next_review_due(policy)


def in_force(session: Session, today: date) -> PrivacyPolicy | None:
    """The newest version whose effective date has come."""
    return session.scalars(
        select(PrivacyPolicy)
        .where(PrivacyPolicy.effective_on <= today)
        .order_by(PrivacyPolicy.effective_on.desc(), PrivacyPolicy.created_at.desc())
        .limit(1)
    ).first()


def create(session: Session, data: PolicyCreate, actor_id: uuid.UUID) -> PrivacyPolicy:
    if data.reviewed_on > data.effective_on:
        raise Unprocessable("A policy takes effect on or after its review")
    if data.reduces_rights and session.scalars(select(PrivacyPolicy.id)).first() is None:
        raise Unprocessable("The first version cannot reduce rights: there is nothing earlier")
    if session.scalars(
        select(PrivacyPolicy.id).where(PrivacyPolicy.version == data.version)
    ).first():
        raise Conflict(f"Version {data.version} exists already")
    policy = PrivacyPolicy(**data.model_dump(), created_by_id=actor_id)
    session.add(policy)
    session.flush()
    return policy


def list_policies(session: Session, page: PageParams) -> tuple[list[Any], str | None]:
    return paginate(
        session, select(PrivacyPolicy), page, [PrivacyPolicy.created_at, PrivacyPolicy.id]
    )


def get(session: Session, policy_id: uuid.UUID) -> PrivacyPolicy:
    policy = session.get(PrivacyPolicy, policy_id)
    if policy is None:
        raise NotFound("Privacy policy not found")
    return policy


def summary(policy: PrivacyPolicy, today: date, current: PrivacyPolicy | None) -> PolicySummary:
    return PolicySummary(**_fields(policy, today, current))


def read(policy: PrivacyPolicy, today: date, current: PrivacyPolicy | None) -> PolicyRead:
    return PolicyRead(
        **_fields(policy, today, current),
        text=policy.text,
        controller_name=policy.controller_name,
        controller_contact=policy.controller_contact,
    )


def public(policy: PrivacyPolicy) -> PublicPolicy:
    return PublicPolicy(
        version=policy.version,
        effective_on=policy.effective_on,
        text=policy.text,
        controller_name=policy.controller_name,
        controller_contact=policy.controller_contact,
        reviewed_on=policy.reviewed_on,
        next_review_due=next_review_due(policy),
    )


def _fields(policy: PrivacyPolicy, today: date, current: PrivacyPolicy | None) -> dict[str, Any]:
    return {
        "id": policy.id,
        "version": policy.version,
        "effective_on": policy.effective_on,
        "reviewed_by": policy.reviewed_by,
        "reviewed_on": policy.reviewed_on,
        "next_review_due": next_review_due(policy),
        "review_overdue": review_overdue(policy, today),
        "in_force": current is not None and current.id == policy.id,
        "reduces_rights": policy.reduces_rights,
        "summary_of_changes": policy.summary_of_changes,
        "created_at": policy.created_at,
    }


# --- the public page of versions ---------------------------------------------------------------


def public_versions(
    session: Session, page: PageParams, today: date
) -> tuple[list[PublicPolicyVersion], str | None]:
    items, cursor = list_policies(session, page)
    current = in_force(session, today)
    return [
        PublicPolicyVersion(
            version=p.version,
            effective_on=p.effective_on,
            reduces_rights=p.reduces_rights,
            summary_of_changes=p.summary_of_changes,
            in_force=current is not None and current.id == p.id,
        )
        for p in items
    ], cursor


# --- which version governs a person, and consent ----------------------------------------------


def _in_order(session: Session) -> list[PrivacyPolicy]:
    return list(
        session.scalars(
            select(PrivacyPolicy).order_by(
                PrivacyPolicy.effective_on, PrivacyPolicy.created_at, PrivacyPolicy.id
            )
        )
    )


def _records_began(person: Person) -> date:
    return local_day(person.created_at)


def needs_consent(policy: PrivacyPolicy, person: Person) -> bool:
    """A version that reduces rights needs the consent of a person whose records began before
    it took effect (they had the earlier rights)."""
    return policy.reduces_rights and _records_began(person) < policy.effective_on


def _consents(session: Session, person_id: uuid.UUID) -> list[PolicyConsent]:
    return list(
        session.scalars(
            select(PolicyConsent)
            .where(PolicyConsent.person_id == person_id)
            .order_by(PolicyConsent.consented_on, PolicyConsent.recorded_at)
        )
    )


def governing(
    versions: list[PrivacyPolicy], consented: set[uuid.UUID], person: Person, today: date
) -> tuple[PrivacyPolicy | None, list[PrivacyPolicy]]:
    """The version governing `person` and the versions awaiting their consent. `versions` in
    order of taking effect; a consent to a version covers every version before it (its text
    contains their changes)."""
    covered = max((i for i, v in enumerate(versions) if v.id in consented), default=-1)
    current: PrivacyPolicy | None = None
    blocked = False
    awaiting = []
    for i, version in enumerate(versions):
        waits = i > covered and needs_consent(version, person)
        if waits:
            awaiting.append(version)
            blocked = blocked or current is not None
        if version.effective_on <= today and not blocked:
            current = version
    return current, awaiting


def _ref(policy: PrivacyPolicy | None) -> PolicyRef | None:
    if policy is None:
        return None
    return PolicyRef(id=policy.id, version=policy.version, effective_on=policy.effective_on)


def _consent_read(consent: PolicyConsent, policy: PrivacyPolicy) -> ConsentRead:
    return ConsentRead(
        id=consent.id,
        person_id=consent.person_id,
        policy=PolicyRef(id=policy.id, version=policy.version, effective_on=policy.effective_on),
        method=ConsentMethod(consent.method),
        consented_on=consent.consented_on,
        recorded_by_id=consent.recorded_by_id,
        recorded_at=consent.recorded_at,
    )


def person_policy(
    session: Session, principal: Principal, person_id: uuid.UUID, today: date
) -> PersonPolicy:
    person = get_scoped(session, Person, person_id, principal)
    touched_record(person)
    versions = _in_order(session)
    by_id = {v.id: v for v in versions}
    consents = _consents(session, person.id)
    current, awaiting = governing(versions, {c.policy_id for c in consents}, person, today)
    return PersonPolicy(
        person_id=person.id,
        governing=_ref(current),
        in_force=_ref(in_force(session, today)),
        awaiting_consent=[r for r in map(_ref, awaiting) if r is not None],
        consents=[_consent_read(c, by_id[c.policy_id]) for c in consents],
    )


def record_consent(
    session: Session,
    principal: Principal,
    person_id: uuid.UUID,
    data: ConsentCreate,
    today: date,
) -> ConsentRead:
    """Record a person's explicit consent to a version that reduces their rights."""
    person = get_scoped(session, Person, person_id, principal)
    if person.erased_at is not None:
        raise Unprocessable("The person's data was erased")
    policy = session.get(PrivacyPolicy, data.policy_id)
    if policy is None:
        raise field_rule("No such privacy policy version", "policy_id")
    if not policy.reduces_rights:
        raise field_rule("This version does not reduce rights: no consent needed", "policy_id")
    if not needs_consent(policy, person):
        raise field_rule("The person's records began after this version took effect", "policy_id")
    if data.consented_on > today:
        raise field_rule("in the future", "consented_on")
    if data.consented_on < _records_began(person):
        raise field_rule("before the person's records began", "consented_on")
    taken = select(PolicyConsent.id).where(
        PolicyConsent.person_id == person.id, PolicyConsent.policy_id == policy.id
    )
    if session.scalars(taken).first() is not None:
        raise Conflict(f"Consent to version {policy.version} is recorded already")
    consent = PolicyConsent(
        centre_id=person.centre_id,
        person_id=person.id,
        policy_id=policy.id,
        method=data.method.value,
        consented_on=data.consented_on,
        recorded_by_id=principal.id,
    )
    session.add(consent)
    session.flush()
    touched_record(consent)
    return _consent_read(consent, policy)


# --- who to tell of a change ----------------------------------------------------------------


def people_to_notify(
    session: Session, principal: Principal, policy_id: uuid.UUID, page: PageParams
) -> tuple[list[PersonToNotify], str | None]:
    """The people of the caller's centres with live records (not erased, named by a kept
    record), to be told of version `policy_id`; whether their consent is needed and given."""
    policy = get(session, policy_id)
    touched(policy.id, centre_id=None)
    stmt = scoped(select(Person), Person, principal).where(
        Person.erased_at.is_(None),
        referred_to_by_a_record(Person.id, besides=PolicyConsent.__table__),
    )
    people, cursor = paginate(session, stmt, page, [Person.created_at, Person.id])
    versions = _in_order(session)
    later_or_same = {v.id for v in versions[[v.id for v in versions].index(policy.id) :]}
    consented_ids: set[uuid.UUID] = set()
    if people:
        consented_ids = set(
            session.scalars(
                select(PolicyConsent.person_id).where(
                    PolicyConsent.person_id.in_([p.id for p in people]),
                    PolicyConsent.policy_id.in_(later_or_same),
                )
            )
        )
    return [
        PersonToNotify(
            person_id=p.id,
            centre_id=p.centre_id,
            full_name=p.full_name,
            email=p.email,
            phone=p.phone,
            consent_needed=needs_consent(policy, p),
            consented=p.id in consented_ids,
        )
        for p in people
    ], cursor
