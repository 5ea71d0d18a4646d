from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import File, Form, Query, Request, Response, UploadFile

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.api.routing import make_router
from app.api.schemas import NO_NUL
from app.api.versioning import IfMatch, set_etag
from app.documents.service import Upload
from app.kit.audit import touched, touched_record
from app.retention.blocks import read_many, read_one
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal
from app.staff import service
from app.staff.models import Engagement
from app.staff.schemas import (
    DBSCheckCreate,
    DBSCheckRead,
    DBSCheckUpdate,
    HRFileEntryRead,
    ParentalLeaveCreate,
    ParentalLeaveRead,
    ParentalLeaveUpdate,
    StaffCreate,
    StaffRead,
    StaffUpdate,
)

router = make_router("staff", prefix="/staff")
Reader = Annotated[Principal, allow(Perm.staff_read)]
Writer = Annotated[Principal, allow(Perm.staff_write)]


# Staff members


@router.get("", response_model=Page[StaffRead], responses=problems(401, 403))
def staff_list(
    session: DbSession,
    principal: Reader,
    page: Paging,
    centre_id: Annotated[uuid.UUID | None, Query()] = None,
    engagement: Annotated[Engagement | None, Query()] = None,
    current: Annotated[
        bool | None, Query(description="true: no `ended_on`; false: employment ended")
    ] = None,
) -> Page[StaffRead]:
    touched(None, centre_id=centre_id)
    items, cursor = service.list_staff(
        session, principal, page, centre_id=centre_id, engagement=engagement, current=current
    )
    return Page(items=read_many(session, StaffRead, items), next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=StaffRead,
    responses=problems(401, 403),
    dependencies=[Idempotent],
)
def staff_create(
    session: DbSession, principal: Writer, body: StaffCreate, response: Response
) -> StaffRead:
    staff = service.create_staff(session, principal, body)
    touched_record(staff)
    set_etag(response, staff)
    return read_one(session, StaffRead, staff)


@router.get("/{staff_id}", response_model=StaffRead, responses=problems(401, 403, 404))
def staff_get(
    session: DbSession, principal: Reader, staff_id: uuid.UUID, response: Response
) -> StaffRead:
    staff = service.get_staff(session, principal, staff_id)
    touched_record(staff)
    set_etag(response, staff)
    return read_one(session, StaffRead, staff)


@router.patch("/{staff_id}", response_model=StaffRead, responses=problems(401, 403, 404, 412, 428))
def staff_update(
    session: DbSession,
    principal: Writer,
    staff_id: uuid.UUID,
    body: StaffUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> StaffRead:
    staff = service.update_staff(session, principal, staff_id, body, if_match)
    touched_record(staff)
    set_etag(response, staff)
    return read_one(session, StaffRead, staff)


# HR file


@router.get(
    "/{staff_id}/hr-files", response_model=Page[HRFileEntryRead], responses=problems(401, 403, 404)
)
def staff_hr_files_list(
    session: DbSession, principal: Reader, staff_id: uuid.UUID, page: Paging
) -> Page[HRFileEntryRead]:
    items, cursor = service.list_hr_entries(session, principal, staff_id, page)
    return Page(items=read_many(session, HRFileEntryRead, items), next_cursor=cursor)


@router.post(
    "/{staff_id}/hr-files",
    status_code=201,
    response_model=HRFileEntryRead,
    responses=problems(401, 403, 404, 413, 415),
    dependencies=[Idempotent],
)
def staff_hr_files_create(
    request: Request,
    session: DbSession,
    principal: Writer,
    staff_id: uuid.UUID,
    response: Response,
    title: Annotated[str, Form(min_length=1, max_length=200, pattern=NO_NUL)],
    # Optional but not nullable: a multipart form has no null, only an absent part.
    note: Annotated[
        str,
        Form(max_length=20_000, pattern=NO_NUL, description="The note (encrypted at rest)"),
    ] = None,  # type: ignore[assignment]
    file: Annotated[
        UploadFile,
        File(description="A document (PDF, PNG, JPEG, DOCX or UTF-8 text; at most 10 MiB)"),
    ] = None,  # type: ignore[assignment]
) -> HRFileEntryRead:
    """An HR-file entry: multipart with a `title` and either a `note` or a `file`, not both.
    A DBS certificate is refused (record its facts at `dbs-checks`)."""
    upload = None
    # A form's empty file input (no name, no bytes) is no file, and an empty text input no note.
    if file is not None and (file.filename or file.size):
        upload = Upload(file.filename, file.content_type, file.file)
    entry = service.create_hr_entry(
        session,
        principal,
        staff_id,
        title=title,
        note=note or None,
        upload=upload,
        max_upload_bytes=request.app.state.settings.max_upload_bytes,
    )
    touched_record(entry)
    set_etag(response, entry)
    return read_one(session, HRFileEntryRead, entry)


# DBS checks


@router.get(
    "/{staff_id}/dbs-checks", response_model=Page[DBSCheckRead], responses=problems(401, 403, 404)
)
def staff_dbs_checks_list(
    session: DbSession, principal: Reader, staff_id: uuid.UUID, page: Paging
) -> Page[DBSCheckRead]:
    items, cursor = service.list_dbs_checks(session, principal, staff_id, page)
    return Page(items=read_many(session, DBSCheckRead, items), next_cursor=cursor)


@router.post(
    "/{staff_id}/dbs-checks",
    status_code=201,
    response_model=DBSCheckRead,
    responses=problems(401, 403, 404, 409),
    dependencies=[Idempotent],
)
def staff_dbs_checks_create(
    session: DbSession,
    principal: Writer,
    staff_id: uuid.UUID,
    body: DBSCheckCreate,
    response: Response,
) -> DBSCheckRead:
    """Only the certificate's date and number, the vetting decision and the outcome are kept;
    a body carrying anything else (e.g. the certificate) is refused with 422."""
    check = service.create_dbs_check(session, principal, staff_id, body)
    touched_record(check)
    set_etag(response, check)
    return read_one(session, DBSCheckRead, check)


@router.get(
    "/{staff_id}/dbs-checks/{check_id}",
    response_model=DBSCheckRead,
    responses=problems(401, 403, 404),
)
def staff_dbs_checks_get(
    session: DbSession,
    principal: Reader,
    staff_id: uuid.UUID,
    check_id: uuid.UUID,
    response: Response,
) -> DBSCheckRead:
    check = service.get_dbs_check(session, principal, staff_id, check_id)
    touched_record(check)
    set_etag(response, check)
    return read_one(session, DBSCheckRead, check)


@router.patch(
    "/{staff_id}/dbs-checks/{check_id}",
    response_model=DBSCheckRead,
    responses=problems(401, 403, 404, 409, 412, 428),
)
def staff_dbs_checks_update(
    session: DbSession,
    principal: Writer,
    staff_id: uuid.UUID,
    check_id: uuid.UUID,
    body: DBSCheckUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> DBSCheckRead:
    check = service.update_dbs_check(session, principal, staff_id, check_id, body, if_match)
    touched_record(check)
    set_etag(response, check)
    return read_one(session, DBSCheckRead, check)


# Parental leave


@router.get(
    "/{staff_id}/parental-leave",
    response_model=Page[ParentalLeaveRead],
    responses=problems(401, 403, 404),
)
def staff_parental_leave_list(
    session: DbSession, principal: Reader, staff_id: uuid.UUID, page: Paging
) -> Page[ParentalLeaveRead]:
    items, cursor = service.list_parental_leave(session, principal, staff_id, page)
    return Page(items=read_many(session, ParentalLeaveRead, items), next_cursor=cursor)


@router.post(
    "/{staff_id}/parental-leave",
    status_code=201,
    response_model=ParentalLeaveRead,
    responses=problems(401, 403, 404),
    dependencies=[Idempotent],
)
def staff_parental_leave_create(
    session: DbSession,
    principal: Writer,
    staff_id: uuid.UUID,
    body: ParentalLeaveCreate,
    response: Response,
) -> ParentalLeaveRead:
    leave = service.create_parental_leave(session, principal, staff_id, body)
    touched_record(leave)
    set_etag(response, leave)
    return read_one(session, ParentalLeaveRead, leave)


@router.get(
    "/{staff_id}/parental-leave/{leave_id}",
    response_model=ParentalLeaveRead,
    responses=problems(401, 403, 404),
)
def staff_parental_leave_get(
    session: DbSession,
    principal: Reader,
    staff_id: uuid.UUID,
    leave_id: uuid.UUID,
    response: Response,
) -> ParentalLeaveRead:
    leave = service.get_parental_leave(session, principal, staff_id, leave_id)
    touched_record(leave)
    set_etag(response, leave)
    return read_one(session, ParentalLeaveRead, leave)


@router.patch(
    "/{staff_id}/parental-leave/{leave_id}",
    response_model=ParentalLeaveRead,
    responses=problems(401, 403, 404, 412, 428),
)
def staff_parental_leave_update(
    session: DbSession,
    principal: Writer,
    staff_id: uuid.UUID,
    leave_id: uuid.UUID,
    body: ParentalLeaveUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> ParentalLeaveRead:
    leave = service.update_parental_leave(session, principal, staff_id, leave_id, body, if_match)
    touched_record(leave)
    set_etag(response, leave)
    return read_one(session, ParentalLeaveRead, leave)
