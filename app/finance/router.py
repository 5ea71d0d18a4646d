from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.api.routing import make_router
from app.api.versioning import IfMatch, set_etag
from app.finance import service
from app.finance.schemas import FinanceRecordCreate, FinanceRecordRead, FinanceRecordUpdate
from app.kit.audit import touched, touched_record
from app.retention.blocks import read_many, read_one
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal

router = make_router("finance-records", prefix="/finance-records")
Reader = Annotated[Principal, allow(Perm.finance_read)]
Writer = Annotated[Principal, allow(Perm.finance_write)]


@router.get("", response_model=Page[FinanceRecordRead], responses=problems(401, 403))
def finance_records_list(
    session: DbSession,
    principal: Reader,
    page: Paging,
    centre_id: Annotated[uuid.UUID | None, Query()] = None,
    hmrc_enquiry_open: Annotated[bool | None, Query()] = None,
) -> Page[FinanceRecordRead]:
    touched(None, centre_id=centre_id)
    items, cursor = service.list_records(
        session, principal, page, centre_id=centre_id, hmrc_enquiry_open=hmrc_enquiry_open
    )
    return Page(items=read_many(session, FinanceRecordRead, items), next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=FinanceRecordRead,
    responses=problems(401, 403),
    dependencies=[Idempotent],
)
def finance_records_create(
    session: DbSession, principal: Writer, body: FinanceRecordCreate, response: Response
) -> FinanceRecordRead:
    record = service.create(session, principal, body)
    touched_record(record)
    set_etag(response, record)
    return read_one(session, FinanceRecordRead, record)


@router.get("/{record_id}", response_model=FinanceRecordRead, responses=problems(401, 403, 404))
def finance_records_get(
    session: DbSession, principal: Reader, record_id: uuid.UUID, response: Response
) -> FinanceRecordRead:
    record = service.get(session, principal, record_id)
    touched_record(record)
    set_etag(response, record)
    return read_one(session, FinanceRecordRead, record)


@router.patch(
    "/{record_id}", response_model=FinanceRecordRead, responses=problems(401, 403, 404, 412, 428)
)
def finance_records_update(
    session: DbSession,
    principal: Writer,
    record_id: uuid.UUID,
    body: FinanceRecordUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> FinanceRecordRead:
    record = service.update(session, principal, record_id, body, if_match)
    touched_record(record)
    set_etag(response, record)
    return read_one(session, FinanceRecordRead, record)
