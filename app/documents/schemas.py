from __future__ import annotations

import uuid

from pydantic import Field

from app.api.schemas import RecordRead
from app.documents.models import DocumentKind


class DocumentRead(RecordRead):
    """A document's metadata; its bytes are at `GET /documents/{id}/content`."""

    centre_id: uuid.UUID
    staff_member_id: uuid.UUID | None
    referral_id: uuid.UUID | None
    complaint_id: uuid.UUID | None
    incident_id: uuid.UUID | None
    kind: DocumentKind
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by_id: uuid.UUID
    safeguarding: bool = Field(
        description="Safeguarding paperwork: kept indefinitely; when its owner is disposed of it "
        "stays with no owner"
    )
