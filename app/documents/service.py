"""Uploads and reads of documents: size and type checks, the DBS refusal, owner permissions.

Rules:
- Size: read in bounded chunks; over `max_upload_bytes` is 413 and nothing is stored. An empty
  file is 422.
- Type: detected from the content's magic bytes (PDF `%PDF-`, PNG, JPEG, DOCX = a ZIP with a
  `word/` entry, plain text = valid UTF-8 without NUL). Anything else is 415. A declared type
  (the part's Content-Type) must agree with the detected one (a PNG declared as a PDF is 415);
  `application/octet-stream` or no type counts as undeclared, `image/jpg` is JPEG, and any
  `text/*` is plain text when the bytes are. The detected type is stored.
- DBS: the policy says a Disclosure and Barring Service certificate is not kept, only its date,
  number, decision and outcome (`staff/{id}/dbs-checks`). An upload is refused (422,
  `dbs-certificate-refused`) when its kind mentions DBS, when its filename or title names a DBS or
  CRB certificate (`DBS_NAME`: "dbs" or "crb" as a word, "disclosure certificate", "disclosure
  and barring"), or when its readable text (plain text, or an uncompressed PDF) carries the
  wording of a certificate ("Disclosure and Barring Service" together with "certificate").
- Owners: a staff member (HR file, kind `hr`), a referral, a complaint or an incident (any kind
  but `hr`). Case-record owners upload at `<owner>/{id}/documents` (multipart: `file`, `kind`).
- Reading: the route needs `records:read` (a document is a case record by default) and the
  service also requires the owner's own read permission (`OWNER_READ_PERMISSIONS`): an HR
  document needs `staff:read` as well.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from app.api.pagination import PageParams, paginate
from app.documents.models import CASE_OWNER_COLUMNS, OWNER_COLUMNS, Document, DocumentKind
from app.errors import Forbidden, NotFound, PayloadTooLarge, Unprocessable, UnsupportedMediaType
from app.kit.rules import field_error
from app.security.permissions import Perm
from app.security.principals import Principal
from app.security.scoping import scoped

CHUNK_BYTES = 64 * 1024
OCTET_STREAM = "application/octet-stream"
PDF, PNG, JPEG, TEXT = "application/pdf", "image/png", "image/jpeg", "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ALLOWED_TYPES = (PDF, PNG, JPEG, DOCX, TEXT)

OWNER_READ_PERMISSIONS: dict[str, Perm] = {
    "staff_member_id": Perm.staff_read,
    "referral_id": Perm.records_read,
    "complaint_id": Perm.records_read,
    "incident_id": Perm.records_read,
}
assert set(OWNER_READ_PERMISSIONS) == set(OWNER_COLUMNS)

DBS_NAME = re.compile(
    r"(?<![a-z])(dbs|crb)(?![a-z])|disclosure[\W_]*(and[\W_]*barring|certificate)", re.IGNORECASE
)
_DBS_WORDING = (b"disclosure and barring service", b"certificate")


class DBSCertificateRefused(Unprocessable):
    slug, title = "dbs-certificate-refused", "DBS certificates are not kept"


@dataclass(frozen=True)
class Upload:
    """A file as the client sent it: the name and type it declared, and a stream of its bytes."""

    filename: str | None
    declared_type: str | None
    stream: BinaryIO


def read_bounded(stream: BinaryIO, max_bytes: int) -> bytes:
    """The stream's bytes, read in chunks; 413 as soon as it passes `max_bytes`."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(CHUNK_BYTES)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > max_bytes:
            raise PayloadTooLarge(f"An upload may be at most {max_bytes} bytes")
        chunks.append(chunk)


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(name.startswith("word/") for name in archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return False


def detect_content_type(data: bytes) -> str | None:
    """The allowed type the bytes are, from their magic bytes; None for anything else."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        return DOCX if _is_docx(data) else None
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return TEXT


def clean_filename(name: str | None) -> str:
    """The last path component, without control characters; `document` when nothing is left."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    return name[:255] or "document"


def _refuse_dbs(detail: str, field: str) -> DBSCertificateRefused:
    return DBSCertificateRefused(
        detail + ". A DBS certificate is not kept: record its date, number, vetting decision and "
        "outcome with POST /staff/{id}/dbs-checks instead",
        errors=field_error(field, "DBS certificate refused", "dbs_refused"),
    )


def check_not_dbs(
    kind: str, filename: str, label: str | None, data: bytes, content_type: str
) -> None:
    if "dbs" in kind.lower():
        raise _refuse_dbs("No document kind holds DBS certificates", "kind")
    if DBS_NAME.search(filename):
        raise _refuse_dbs("The file is named as a DBS certificate", "file")
    if label and DBS_NAME.search(label):
        raise _refuse_dbs("The document is titled as a DBS certificate", "title")
    if content_type in (TEXT, PDF):
        text = data.lower()
        if all(word in text for word in _DBS_WORDING):
            raise _refuse_dbs("The file reads like a DBS certificate", "file")


# Names clients use for the same types.
_ALIASES = {"image/jpg": JPEG, "image/pjpeg": JPEG, "application/x-pdf": PDF}


def _declared(content_type: str | None, detected: str) -> str | None:
    """The declared type, normalised; None when the client did not really declare one."""
    if not content_type:
        return None
    base = content_type.split(";", 1)[0].strip().lower()
    if base in ("", OCTET_STREAM):
        return None
    if detected == TEXT and base.startswith("text/"):
        return TEXT  # CSV, Markdown...: kept and served as plain text
    return _ALIASES.get(base, base)


def create(
    session: Session,
    principal: Principal,
    *,
    centre_id: uuid.UUID,
    owner: dict[str, uuid.UUID],
    kind: str,
    upload: Upload,
    max_bytes: int,
    label: str | None = None,
) -> Document:
    """Check and store an upload for an owner the caller has already found in its centre.

    `label` is a title the caller gives the document (checked against the DBS rule too)."""
    if set(owner) - set(OWNER_COLUMNS) or len(owner) != 1:
        raise ValueError(f"a document has exactly one owner of {OWNER_COLUMNS}")
    if "dbs" in kind.lower():
        raise _refuse_dbs("No document kind holds DBS certificates", "kind")
    if kind not in DocumentKind.__members__ or (
        kind == DocumentKind.hr and next(iter(owner)) in CASE_OWNER_COLUMNS
    ):
        raise Unprocessable(
            "Unknown document kind (`hr` is for HR files only)",
            errors=field_error("kind", "unknown kind", "enum"),
        )
    data = read_bounded(upload.stream, max_bytes)
    if not data:
        raise Unprocessable(
            "The file is empty",
            errors=field_error("file", "empty file"),
        )
    detected = detect_content_type(data)
    if detected is None:
        raise UnsupportedMediaType(
            "Only PDF, PNG, JPEG, DOCX and plain-text (UTF-8) files are accepted"
        )
    declared = _declared(upload.declared_type, detected)
    if declared is not None and declared != detected:
        raise UnsupportedMediaType(
            f"The file was declared as {declared[:100]} but its content is {detected}"
        )
    filename = clean_filename(upload.filename)
    check_not_dbs(kind, filename, label, data, detected)
    document = Document(
        centre_id=centre_id,
        kind=kind,
        filename=filename,
        content_type=detected,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
        uploaded_by_id=principal.id,
        **owner,
    )
    session.add(document)
    session.flush()
    return document


def owner_column(owner: Any) -> str:
    """The document column naming `owner` (a referral is `referral_id`, ...)."""
    column = f"{owner.__tablename__}_id"
    if column not in OWNER_COLUMNS:
        raise ValueError(f"a {type(owner).__name__} does not own documents")
    return column


def list_for_owner(
    session: Session, owner: Any, page: PageParams, kind: str | None = None
) -> tuple[list[Any], str | None]:
    """The documents (metadata only) of an owner the caller has already loaded through scoping,
    so another centre's owner never reaches this query."""
    stmt = select(Document).where(getattr(Document, owner_column(owner)) == owner.id)
    if kind is not None:
        stmt = stmt.where(Document.kind == kind)
    return paginate(session, stmt, page, [Document.created_at, Document.id])


def _require_owner_permission(principal: Principal, document: Document) -> None:
    column, _ = document.owner
    needed = OWNER_READ_PERMISSIONS[column]
    if needed not in principal.permissions:
        raise Forbidden(f"This document needs the permission {needed.value}")


def get(
    session: Session, principal: Principal, document_id: uuid.UUID, *, with_content: bool = False
) -> Document:
    stmt = scoped(select(Document).where(Document.id == document_id), Document, principal)
    if with_content:
        stmt = stmt.options(undefer(Document.content))
    document = session.scalars(stmt).one_or_none()
    if document is None:
        raise NotFound("Document not found")
    _require_owner_permission(principal, document)
    return document
