"""Documents of every owner: metadata and content.

Each route declares `records:read`; the service also requires the owner's own read permission
(an HR document needs `staff:read`), so one pair of routes serves every kind of owner.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import File, Form, Query, Request, Response, UploadFile
from sqlalchemy.orm import Session

from app.api.pagination import Page, PageParams
from app.api.responses import problems
from app.api.routing import make_router
from app.api.versioning import set_etag
from app.documents import service
from app.documents.models import DocumentKind
from app.documents.schemas import DocumentRead
from app.kit.audit import touched_record
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal, PrincipalKind

router = make_router("documents", prefix="/documents")
Reader = Annotated[Principal, allow(Perm.records_read)]
ContentReader = Annotated[Principal, allow(Perm.documents_read)]

_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._ ()-]")
_BINARY = {"schema": {"type": "string", "format": "binary"}}


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """`attachment` (or `inline`) with an ASCII fallback name and the exact name as RFC 5987
    `filename*`."""
    fallback = _UNSAFE_ASCII.sub("_", filename).strip() or "document"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/{document_id}", response_model=DocumentRead, responses=problems(401, 403, 404))
def documents_get(
    session: DbSession, principal: Reader, document_id: uuid.UUID, response: Response
) -> DocumentRead:
    document = service.get(session, principal, document_id)
    touched_record(document)
    set_etag(response, document)
    return DocumentRead.model_validate(document)


@router.get(
    "/{document_id}/content",
    response_class=Response,
    responses={
        200: {
            "description": "The file's bytes: an attachment, or inline (`no-store`) for an "
            "inspector whose grant includes `documents`; needs `documents:read`",
            "content": dict.fromkeys(service.ALLOWED_TYPES, _BINARY),
        },
        **problems(401, 403, 404),
    },
)
def documents_get_content(
    session: DbSession, principal: ContentReader, document_id: uuid.UUID
) -> Response:
    document = service.get(session, principal, document_id, with_content=True)
    touched_record(document)
    media_type = document.content_type
    if media_type == service.TEXT:
        media_type += "; charset=utf-8"
    return Response(
        document.content,
        media_type=media_type,
        headers={
            # An inspection is not taken offsite (§2): shown inline, never offered as a download.
            "Content-Disposition": content_disposition(
                document.filename,
                "inline" if principal.kind == PrincipalKind.inspector else "attachment",
            ),
            "ETag": f'"{document.version}"',
        },
    )


# --- uploads to case-record owners (`referrals|complaints|incidents/{id}/documents`) ---------

DocumentFile = Annotated[
    UploadFile,
    File(
        description="A PDF, PNG, JPEG, DOCX or UTF-8 text file of at most 10 MiB; its type is "
        "detected from its content, and a declared type must agree"
    ),
]
# A case record's document is any kind but `hr` (HR files have their own routes), as the service
# checks.
CASE_DOCUMENT_KINDS = [kind.value for kind in DocumentKind if kind != DocumentKind.hr]
DocumentKindForm = Annotated[
    DocumentKind,
    Form(description="What the document is", json_schema_extra={"enum": CASE_DOCUMENT_KINDS}),
]
SafeguardingForm = Annotated[
    bool,
    Form(
        description="Safeguarding or child-protection paperwork: kept indefinitely (retention "
        "rule `safeguarding_paperwork`), outliving the record it is attached to"
    ),
]
KindFilter = Annotated[DocumentKind | None, Query()]
UPLOAD_PROBLEMS = problems(401, 403, 404, 409, 413, 415)


def upload_to_owner(
    request: Request,
    session: Session,
    principal: Principal,
    response: Response,
    *,
    centre_id: uuid.UUID,
    owner: dict[str, uuid.UUID],
    kind: DocumentKind,
    file: UploadFile,
    safeguarding: bool = False,
) -> DocumentRead:
    """Store an upload for an owner the caller has already found in its centre."""
    document = service.create(
        session,
        principal,
        centre_id=centre_id,
        owner=owner,
        kind=kind.value,
        upload=service.Upload(file.filename, file.content_type, file.file),
        max_bytes=request.app.state.settings.max_upload_bytes,
        safeguarding=safeguarding,
    )
    touched_record(document)
    set_etag(response, document)
    return DocumentRead.model_validate(document)


def owner_page(
    session: Session, owner: Any, page: PageParams, kind: DocumentKind | None
) -> Page[DocumentRead]:
    """A page of the documents of an owner already loaded through scoping."""
    items, cursor = service.list_for_owner(session, owner, page, kind.value if kind else None)
    return Page(items=[DocumentRead.model_validate(d) for d in items], next_cursor=cursor)
