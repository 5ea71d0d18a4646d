from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.api.routing import make_router
from app.db import utcnow
from app.errors import NotFound
from app.kit.audit import touched
from app.policy import service
from app.policy.schemas import (
    ConsentCreate,
    ConsentRead,
    PersonPolicy,
    PersonToNotify,
    PolicyCreate,
    PolicyRead,
    PolicySummary,
    PublicPolicy,
    PublicPolicyVersion,
)
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal
from app.time import today_in_london

router = make_router("privacy-policies", prefix="/privacy-policies")
public_router = make_router("public", prefix="/public")
consent_router = make_router("privacy-policies", prefix="/people")
Reader = Annotated[Principal, allow(Perm.policy_read)]
Writer = Annotated[Principal, allow(Perm.policy_write)]
RecordsReader = Annotated[Principal, allow(Perm.records_read)]
RecordsWriter = Annotated[Principal, allow(Perm.records_write)]


def _today() -> date:
    return utcnow().date()


@router.get("", response_model=Page[PolicySummary], responses=problems(401, 403))
def privacy_policies_list(
    session: DbSession, principal: Reader, page: Paging
) -> Page[PolicySummary]:
    items, cursor = service.list_policies(session, page)
    today = _today()
    current = service.in_force(session, today)
    return Page(items=[service.summary(p, today, current) for p in items], next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=PolicyRead,
    responses=problems(401, 403, 409),
    dependencies=[Idempotent],
)
def privacy_policies_create(
    session: DbSession, principal: Writer, body: PolicyCreate
) -> PolicyRead:
    policy = service.create(session, body, principal.id)
    touched(policy.id, centre_id=None)
    today = _today()
    return service.read(policy, today, service.in_force(session, today))


@router.get("/{policy_id}", response_model=PolicyRead, responses=problems(401, 403, 404))
def privacy_policies_get(session: DbSession, principal: Reader, policy_id: uuid.UUID) -> PolicyRead:
    policy = service.get(session, policy_id)
    touched(policy.id, centre_id=None)
    today = _today()
    return service.read(policy, today, service.in_force(session, today))


@router.get(
    "/{policy_id}/people-to-notify",
    response_model=Page[PersonToNotify],
    responses=problems(401, 403, 404, 422),
)
def privacy_policies_people_to_notify(
    session: DbSession, principal: RecordsReader, policy_id: uuid.UUID, page: Paging
) -> Page[PersonToNotify]:
    """The people of the caller's centres with live records (named by a kept record, not
    erased) to tell of this version, with whether their consent is needed and recorded."""
    items, cursor = service.people_to_notify(session, principal, policy_id, page)
    return Page(items=items, next_cursor=cursor)


@consent_router.get(
    "/{person_id}/privacy-policy",
    response_model=PersonPolicy,
    responses=problems(401, 403, 404),
)
def people_privacy_policy(
    session: DbSession, principal: RecordsReader, person_id: uuid.UUID
) -> PersonPolicy:
    """The version of the privacy policy that governs this person, the versions awaiting their
    consent, and their consents."""
    return service.person_policy(session, principal, person_id, today_in_london())


@consent_router.post(
    "/{person_id}/policy-consents",
    status_code=201,
    response_model=ConsentRead,
    responses=problems(401, 403, 404, 409, 422),
    dependencies=[Idempotent],
)
def people_policy_consents_create(
    session: DbSession, principal: RecordsWriter, person_id: uuid.UUID, body: ConsentCreate
) -> ConsentRead:
    """Record a person's explicit consent to a version that reduces their rights: from then on
    that version governs them."""
    return service.record_consent(session, principal, person_id, body, today_in_london())


@public_router.get(
    "/privacy-policies", response_model=Page[PublicPolicyVersion], responses=problems(422)
)
def public_privacy_policies(session: DbSession, page: Paging) -> Page[PublicPolicyVersion]:
    """Every version of the privacy policy with its summary of changes and whether it reduces
    rights (no token)."""
    items, cursor = service.public_versions(session, page, _today())
    return Page(items=items, next_cursor=cursor)


@public_router.get("/privacy-policy", response_model=PublicPolicy, responses=problems(404))
def public_privacy_policy(session: DbSession) -> PublicPolicy:
    """The privacy policy in force, with the controller's contact details (no token)."""
    policy = service.in_force(session, _today())
    if policy is None:
        raise NotFound("No privacy policy is in force")
    return service.public(policy)
