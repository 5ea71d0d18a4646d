"""The document routes of a case-record owner (a referral, complaint or incident), written once.

An owner's router calls `add_owner_document_routes` with the dependency that loads the owner
through scoping (another centre's owner is 404), so each pair of routes keeps its own path,
operationIds and default kind, and the owner is loaded in one place.
"""

# No `from __future__ import annotations`: FastAPI reads these signatures' annotations, which
# name the factory's arguments.
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.documents.models import DocumentKind
from app.documents.router import (
    UPLOAD_PROBLEMS,
    DocumentFile,
    DocumentKindForm,
    KindFilter,
    SafeguardingForm,
    owner_page,
    upload_to_owner,
)
from app.documents.schemas import DocumentRead
from app.kit.audit import touched_record
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal


def add_owner_document_routes(
    router: APIRouter,
    *,
    owner_name: str,
    load_owner: Callable[..., Any],
    default_kind: DocumentKind,
    upload_description: str,
) -> None:
    """`GET` and `POST /{<owner_name>_id}/documents`, named `<owner_name>_documents_list` and
    `<owner_name>_documents_upload`; `load_owner` takes the `<owner_name>_id` path parameter."""
    owner_column = f"{owner_name}_id"
    Owner = Annotated[Any, Depends(load_owner)]  # noqa: N806 - a type alias

    def documents_list(
        session: DbSession,
        principal: Annotated[Principal, allow(Perm.records_read)],
        owner: Owner,
        page: Paging,
        kind: KindFilter = None,
    ) -> Page[DocumentRead]:
        touched_record(owner)
        return owner_page(session, owner, page, kind)

    def documents_upload(
        request: Request,
        session: DbSession,
        principal: Annotated[Principal, allow(Perm.records_write)],
        owner: Owner,
        response: Response,
        file: DocumentFile,
        kind: DocumentKindForm = default_kind,
        safeguarding: SafeguardingForm = False,
    ) -> DocumentRead:
        owner_id: uuid.UUID = owner.id
        return upload_to_owner(
            request,
            session,
            principal,
            response,
            centre_id=owner.centre_id,
            owner={owner_column: owner_id},
            kind=kind,
            file=file,
            safeguarding=safeguarding,
        )

    path = f"/{{{owner_column}}}/documents"
    router.add_api_route(
        path,
        documents_list,
        methods=["GET"],
        name=f"{owner_name}_documents_list",
        response_model=Page[DocumentRead],
        responses=problems(401, 403, 404),
    )
    router.add_api_route(
        path,
        documents_upload,
        methods=["POST"],
        name=f"{owner_name}_documents_upload",
        status_code=201,
        response_model=DocumentRead,
        responses=UPLOAD_PROBLEMS,
        dependencies=[Idempotent],
        description=upload_description,
    )
