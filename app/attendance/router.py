from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.api.routing import make_router
from app.api.versioning import IfMatch, set_etag
from app.attendance import service
from app.attendance.models import SessionStatus
from app.attendance.schemas import (
    AttendanceCreate,
    AttendanceRead,
    AttendanceUpdate,
    PersonAttendanceSummary,
    ReferralAttendanceSummary,
    SessionCreate,
    SessionRead,
    SessionTime,
    SessionUpdate,
)
from app.kit.audit import touched, touched_record
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal

router = make_router("sessions", prefix="/sessions")
summaries_router = make_router("attendance")
Reader = Annotated[Principal, allow(Perm.records_read)]
Writer = Annotated[Principal, allow(Perm.records_write)]


@router.get("", response_model=Page[SessionRead], responses=problems(401, 403))
def sessions_list(
    session: DbSession,
    principal: Reader,
    page: Paging,
    centre_id: Annotated[uuid.UUID | None, Query()] = None,
    referral_id: Annotated[uuid.UUID | None, Query()] = None,
    status: Annotated[SessionStatus | None, Query()] = None,
    starts_from: Annotated[SessionTime | None, Query(description="Starting at or after")] = None,
    starts_to: Annotated[SessionTime | None, Query(description="Starting before")] = None,
) -> Page[SessionRead]:
    touched(None, centre_id=centre_id)
    filters = service.SessionFilters(
        centre_id, referral_id, status.value if status else None, starts_from, starts_to
    )
    items, cursor = service.list_sessions(session, principal, page, filters)
    return Page(items=[SessionRead.model_validate(s) for s in items], next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=SessionRead,
    responses=problems(401, 403, 409),
    dependencies=[Idempotent],
)
def sessions_create(
    session: DbSession, principal: Writer, body: SessionCreate, response: Response
) -> SessionRead:
    contact = service.create_session(session, principal, body)
    touched_record(contact)
    set_etag(response, contact)
    return SessionRead.model_validate(contact)


@router.get("/{session_id}", response_model=SessionRead, responses=problems(401, 403, 404))
def sessions_get(
    session: DbSession, principal: Reader, session_id: uuid.UUID, response: Response
) -> SessionRead:
    contact = service.get_session(session, principal, session_id)
    touched_record(contact)
    set_etag(response, contact)
    return SessionRead.model_validate(contact)


@router.patch(
    "/{session_id}", response_model=SessionRead, responses=problems(401, 403, 404, 409, 412, 428)
)
def sessions_update(
    session: DbSession,
    principal: Writer,
    session_id: uuid.UUID,
    body: SessionUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> SessionRead:
    contact = service.update_session(session, principal, session_id, body, if_match)
    touched_record(contact)
    set_etag(response, contact)
    return SessionRead.model_validate(contact)


@router.delete("/{session_id}", status_code=204, responses=problems(401, 403, 404, 409, 412, 428))
def sessions_delete(
    session: DbSession, principal: Writer, session_id: uuid.UUID, if_match: IfMatch = None
) -> Response:
    service.delete_session(session, principal, session_id, if_match)
    return Response(status_code=204)


@router.get(
    "/{session_id}/attendance",
    response_model=Page[AttendanceRead],
    responses=problems(401, 403, 404),
)
def attendance_list(
    session: DbSession, principal: Reader, session_id: uuid.UUID, page: Paging
) -> Page[AttendanceRead]:
    items, cursor = service.list_attendance(session, principal, session_id, page)
    return Page(items=[AttendanceRead.model_validate(a) for a in items], next_cursor=cursor)


@router.post(
    "/{session_id}/attendance",
    status_code=201,
    response_model=AttendanceRead,
    responses=problems(401, 403, 404, 409),
    dependencies=[Idempotent],
)
def attendance_create(
    session: DbSession,
    principal: Writer,
    session_id: uuid.UUID,
    body: AttendanceCreate,
    response: Response,
) -> AttendanceRead:
    record = service.create_attendance(session, principal, session_id, body)
    touched_record(record)
    set_etag(response, record)
    return AttendanceRead.model_validate(record)


@router.get(
    "/{session_id}/attendance/{attendance_id}",
    response_model=AttendanceRead,
    responses=problems(401, 403, 404),
)
def attendance_get(
    session: DbSession,
    principal: Reader,
    session_id: uuid.UUID,
    attendance_id: uuid.UUID,
    response: Response,
) -> AttendanceRead:
    record = service.get_attendance(session, principal, session_id, attendance_id)
    touched_record(record)
    set_etag(response, record)
    return AttendanceRead.model_validate(record)


@router.patch(
    "/{session_id}/attendance/{attendance_id}",
    response_model=AttendanceRead,
    responses=problems(401, 403, 404, 409, 412, 428),
)
def attendance_update(
    session: DbSession,
    principal: Writer,
    session_id: uuid.UUID,
    attendance_id: uuid.UUID,
    body: AttendanceUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> AttendanceRead:
    record = service.update_attendance(
        session, principal, session_id, attendance_id, body, if_match
    )
    touched_record(record)
    set_etag(response, record)
    return AttendanceRead.model_validate(record)


@summaries_router.get(
    "/people/{person_id}/attendance-summary",
    response_model=PersonAttendanceSummary,
    responses=problems(401, 403, 404),
)
def people_attendance_summary(
    session: DbSession,
    principal: Reader,
    person_id: uuid.UUID,
    referral_id: Annotated[
        uuid.UUID | None, Query(description="Only this referral's sessions")
    ] = None,
) -> PersonAttendanceSummary:
    return service.person_summary(session, principal, person_id, referral_id)


@summaries_router.get(
    "/referrals/{referral_id}/attendance-summary",
    response_model=ReferralAttendanceSummary,
    responses=problems(401, 403, 404),
)
def referrals_attendance_summary(
    session: DbSession, principal: Reader, referral_id: uuid.UUID
) -> ReferralAttendanceSummary:
    return service.referral_summary(session, principal, referral_id)
