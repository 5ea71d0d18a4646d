"""Documents of every owner: metadata and content.

Each route declares `records:read`; the service also requires the owner's own read permission
(an HR document needs `staff:read`), so one pair of routes serves every kind of owner.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import Response

from app.api.responses import problems
from app.api.routing import make_router
from app.api.versioning import set_etag
from app.documents import service
from app.documents.schemas import DocumentRead
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal

router = make_router("documents", prefix="/documents")
Reader = Annotated[Principal, allow(Perm.records_read)]

_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._ ()-]")
_BINARY = {"schema": {"type": "string", "format": "binary"}}


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the exact name as RFC 5987 `filename*`."""
    fallback = _UNSAFE_ASCII.sub("_", filename).strip() or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/{document_id}", response_model=DocumentRead, responses=problems(401, 403, 404))
def documents_get(
    session: DbSession, principal: Reader, document_id: uuid.UUID, response: Response
) -> DocumentRead:
    document = service.get(session, principal, document_id)
    set_etag(response, document)
    return DocumentRead.model_validate(document)


@router.get(
    "/{document_id}/content",
    response_class=Response,
    responses={
        200: {
            "description": "The file's bytes, as an attachment",
            "content": dict.fromkeys(service.ALLOWED_TYPES, _BINARY),
        },
        **problems(401, 403, 404),
    },
)
def documents_get_content(
    session: DbSession, principal: Reader, document_id: uuid.UUID
) -> Response:
    document = service.get(session, principal, document_id, with_content=True)
    media_type = document.content_type
    if media_type == service.TEXT:
        media_type += "; charset=utf-8"
    return Response(
        document.content,
        media_type=media_type,
        headers={
            "Content-Disposition": content_disposition(document.filename),
            "ETag": f'"{document.version}"',
        },
    )
