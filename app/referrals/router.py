from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response
from sqlalchemy.orm import Session

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.api.routing import make_router
from app.api.schemas import Day
from app.api.versioning import IfMatch, set_etag
from app.documents.models import DocumentKind
from app.documents.owners import add_owner_document_routes
from app.kit.audit import touched, touched_record
from app.referrals import service
from app.referrals.models import ContactType, PartyRole, Referral, Source, Status
from app.referrals.schemas import (
    CloseRequest,
    DecisionCreate,
    PartyCreate,
    PartyRead,
    PreVisitCreate,
    PreVisitRead,
    PreVisitUpdate,
    ReferralCreate,
    ReferralRead,
    ReferralUpdate,
)
from app.retention.blocks import page_blocks, read_one
from app.security.dependencies import CurrentPrincipal, DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal

router = make_router("referrals", prefix="/referrals")
Reader = Annotated[Principal, allow(Perm.records_read)]
Writer = Annotated[Principal, allow(Perm.records_write)]


def _read(session: Session, referral: object, response: Response) -> ReferralRead:
    touched_record(referral)
    set_etag(response, referral)
    return read_one(session, ReferralRead, referral)


@router.get("", response_model=Page[ReferralRead], responses=problems(401, 403))
def referrals_list(
    session: DbSession,
    principal: Reader,
    page: Paging,
    centre_id: Annotated[uuid.UUID | None, Query()] = None,
    status: Annotated[Status | None, Query()] = None,
    source: Annotated[Source | None, Query()] = None,
    contact_type: Annotated[ContactType | None, Query()] = None,
    received_from: Annotated[Day | None, Query(description="Received on or after")] = None,
    received_to: Annotated[Day | None, Query(description="Received on or before")] = None,
    person_id: Annotated[
        uuid.UUID | None, Query(description="Referrals this person is a party to")
    ] = None,
    reference: Annotated[str | None, Query(max_length=30, pattern=r"^[A-Z0-9-]+$")] = None,
) -> Page[ReferralRead]:
    touched(None, centre_id=centre_id)
    filters = service.ReferralFilters(
        centre_id,
        status.value if status else None,
        source.value if source else None,
        contact_type.value if contact_type else None,
        received_from,
        received_to,
        person_id,
        reference,
    )
    blocks = page_blocks(Referral, ReferralRead)
    rows, cursor = service.list_referrals(session, principal, page, filters, blocks.columns)
    return Page(items=blocks.read_many(session, ReferralRead, rows), next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=ReferralRead,
    responses=problems(401, 403, 409),
    dependencies=[Idempotent],
)
def referrals_create(
    session: DbSession, principal: Writer, body: ReferralCreate, response: Response
) -> ReferralRead:
    return _read(session, service.create(session, principal, body), response)


@router.get("/{referral_id}", response_model=ReferralRead, responses=problems(401, 403, 404))
def referrals_get(
    session: DbSession, principal: Reader, referral_id: uuid.UUID, response: Response
) -> ReferralRead:
    return _read(session, service.get(session, principal, referral_id), response)


@router.patch(
    "/{referral_id}",
    response_model=ReferralRead,
    responses=problems(401, 403, 404, 409, 412, 428),
)
def referrals_update(
    session: DbSession,
    principal: Writer,
    referral_id: uuid.UUID,
    body: ReferralUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> ReferralRead:
    return _read(session, service.update(session, principal, referral_id, body, if_match), response)


@router.post(
    "/{referral_id}/decision",
    response_model=ReferralRead,
    responses=problems(401, 403, 404, 409, 412, 428),
    description="The human decision: accept (needs both parents as parties with a phone "
    "number or email address) or decline, with a reason. Only a received referral is decided; "
    "service clients may not decide.",
)
def referrals_decide(
    session: DbSession,
    principal: Writer,
    referral_id: uuid.UUID,
    body: DecisionCreate,
    response: Response,
    if_match: IfMatch = None,
) -> ReferralRead:
    return _read(session, service.decide(session, principal, referral_id, body, if_match), response)


@router.post(
    "/{referral_id}/close",
    response_model=ReferralRead,
    responses=problems(401, 403, 404, 409, 412, 428),
    description="Close an active referral (sets `closed_on`, from which retention counts). "
    "No session may still be scheduled.",
)
def referrals_close(
    session: DbSession,
    principal: Writer,
    referral_id: uuid.UUID,
    body: CloseRequest,
    response: Response,
    if_match: IfMatch = None,
) -> ReferralRead:
    return _read(session, service.close(session, principal, referral_id, body, if_match), response)


@router.get(
    "/{referral_id}/parties", response_model=Page[PartyRead], responses=problems(401, 403, 404)
)
def referral_parties_list(
    session: DbSession,
    principal: Reader,
    referral_id: uuid.UUID,
    page: Paging,
    role: Annotated[PartyRole | None, Query()] = None,
) -> Page[PartyRead]:
    items, cursor = service.list_parties(
        session, principal, referral_id, page, role.value if role else None
    )
    return Page(items=[PartyRead.model_validate(p) for p in items], next_cursor=cursor)


@router.post(
    "/{referral_id}/parties",
    status_code=201,
    response_model=PartyRead,
    responses=problems(401, 403, 404, 409),
    dependencies=[Idempotent],
)
def referral_parties_add(
    session: DbSession, principal: Writer, referral_id: uuid.UUID, body: PartyCreate
) -> PartyRead:
    party = service.add_party(session, principal, referral_id, body)
    touched_record(party)
    return PartyRead.model_validate(party)


@router.delete(
    "/{referral_id}/parties/{party_id}",
    status_code=204,
    responses=problems(401, 403, 404, 409),
)
def referral_parties_remove(
    session: DbSession, principal: Writer, referral_id: uuid.UUID, party_id: uuid.UUID
) -> Response:
    service.remove_party(session, principal, referral_id, party_id)
    return Response(status_code=204)


@router.get(
    "/{referral_id}/pre-visits",
    response_model=Page[PreVisitRead],
    responses=problems(401, 403, 404),
)
def pre_visits_list(
    session: DbSession,
    principal: Reader,
    referral_id: uuid.UUID,
    page: Paging,
    person_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[PreVisitRead]:
    items, cursor = service.list_pre_visits(session, principal, referral_id, page, person_id)
    return Page(items=[PreVisitRead.model_validate(v) for v in items], next_cursor=cursor)


@router.post(
    "/{referral_id}/pre-visits",
    status_code=201,
    response_model=PreVisitRead,
    responses=problems(401, 403, 404, 409),
    dependencies=[Idempotent],
)
def pre_visits_create(
    session: DbSession,
    principal: Writer,
    referral_id: uuid.UUID,
    body: PreVisitCreate,
    response: Response,
) -> PreVisitRead:
    visit = service.create_pre_visit(session, principal, referral_id, body)
    touched_record(visit)
    set_etag(response, visit)
    return PreVisitRead.model_validate(visit)


@router.get(
    "/{referral_id}/pre-visits/{pre_visit_id}",
    response_model=PreVisitRead,
    responses=problems(401, 403, 404),
)
def pre_visits_get(
    session: DbSession,
    principal: Reader,
    referral_id: uuid.UUID,
    pre_visit_id: uuid.UUID,
    response: Response,
) -> PreVisitRead:
    visit = service.get_pre_visit(session, principal, referral_id, pre_visit_id)
    touched_record(visit)
    set_etag(response, visit)
    return PreVisitRead.model_validate(visit)


@router.patch(
    "/{referral_id}/pre-visits/{pre_visit_id}",
    response_model=PreVisitRead,
    responses=problems(401, 403, 404, 409, 412, 428),
)
def pre_visits_update(
    session: DbSession,
    principal: Writer,
    referral_id: uuid.UUID,
    pre_visit_id: uuid.UUID,
    body: PreVisitUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> PreVisitRead:
    visit = service.update_pre_visit(session, principal, referral_id, pre_visit_id, body, if_match)
    touched_record(visit)
    set_etag(response, visit)
    return PreVisitRead.model_validate(visit)


def _referral(session: DbSession, principal: CurrentPrincipal, referral_id: uuid.UUID) -> Referral:
    """The referral named in the path, through scoping (another centre's is 404)."""
    return service.get(session, principal, referral_id)


add_owner_document_routes(
    router,
    owner_name="referral",
    load_owner=_referral,
    default_kind=DocumentKind.other,
    upload_description="Attach a document — court order, referral form, correspondence... "
    "(multipart: `file`,\n`kind`, `safeguarding`). Its type is detected from its content; "
    "encrypted at rest.",
)
