"""Type detection from magic bytes, file names, and the DBS rule (no database)."""

from __future__ import annotations

import io
import zipfile

import pytest

from app.documents import service
from app.documents.router import content_disposition
from app.errors import PayloadTooLarge, Unprocessable
from tests.staff.factories import PDF_BYTES, PNG_BYTES


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<xml/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF_BYTES, service.PDF),
        (PNG_BYTES, service.PNG),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", service.JPEG),
        (_zip("[Content_Types].xml", "word/document.xml"), service.DOCX),
        ("Supervision notes: très bien\n".encode(), service.TEXT),
        (_zip("xl/workbook.xml"), None),  # a spreadsheet is not a Word document
        (b"PK\x03\x04 not really a zip", None),
        (b"GIF89a\x01\x00\x01\x00\x00\xff", None),
        (b"text with a NUL\x00", None),
        (b"\xc3\x28 invalid utf-8", None),
        (b"MZ\x90\x00\x03\x00", None),
    ],
)
def test_type_is_detected_from_the_content(data: bytes, expected: str | None) -> None:
    assert service.detect_content_type(data) == expected


def test_reading_stops_past_the_limit() -> None:
    assert service.read_bounded(io.BytesIO(b"x" * 100), 100) == b"x" * 100
    with pytest.raises(PayloadTooLarge):
        service.read_bounded(io.BytesIO(b"x" * 101), 100)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\contract.pdf", "contract.pdf"),
        ("a\x00b\r\n.pdf", "ab.pdf"),
        ("", "document"),
        (None, "document"),
        ("..", "document"),
        (".hidden", "hidden"),
        ("x" * 400 + ".pdf", "x" * 255),
    ],
)
def test_filenames_are_cleaned(name: str | None, expected: str) -> None:
    assert service.clean_filename(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "DBS.pdf",
        "dbs_certificate.png",
        "jo-smith-DBS-2026.pdf",
        "Disclosure Certificate.pdf",
        "disclosure_and_barring.pdf",
        "crb-disclosure.jpg",
        "enhanced dbs.docx",
    ],
)
def test_a_dbs_certificate_is_recognised_by_its_name(name: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        service.check_not_dbs("hr", name, None, b"x", service.PNG)
    assert refused.value.slug == "dbs-certificate-refused"


@pytest.mark.parametrize("name", ["feedback.pdf", "contract.pdf", "disclosure_log.txt", "dbsx.pdf"])
def test_other_names_pass(name: str) -> None:
    service.check_not_dbs("hr", name, "Contract", b"x", service.PNG)


def test_a_dbs_kind_and_certificate_wording_are_refused() -> None:
    with pytest.raises(Unprocessable):
        service.check_not_dbs("dbs_certificate", "scan.pdf", None, PDF_BYTES, service.PDF)
    wording = b"Disclosure and Barring Service\nEnhanced Certificate\nCertificate Number: 0012"
    with pytest.raises(Unprocessable):
        service.check_not_dbs("hr", "scan.txt", None, wording, service.TEXT)
    with pytest.raises(Unprocessable):
        service.check_not_dbs("hr", "scan.pdf", None, b"%PDF-1.4 " + wording, service.PDF)


def test_content_disposition_is_an_attachment_with_a_safe_name() -> None:
    header = content_disposition('évil"; filename=x.exe\\.pdf')
    assert header.startswith('attachment; filename="')
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert all(ch.isalnum() or ch in "._ ()-" for ch in fallback)
    assert "filename*=UTF-8''%C3%A9vil%22%3B%20filename%3Dx.exe%5C.pdf" in header


def test_no_owner_can_store_a_document_of_a_dbs_kind() -> None:
    import uuid

    from app.security.permissions import ROLE_PERMISSIONS, Role
    from app.security.principals import Principal, PrincipalKind

    principal = Principal(
        uuid.uuid4(), PrincipalKind.user, Role.naccc_staff, ROLE_PERMISSIONS[Role.naccc_staff], None
    )
    upload = service.Upload("scan.pdf", "application/pdf", io.BytesIO(PDF_BYTES))
    with pytest.raises(Unprocessable) as refused:
        service.create(
            None,  # type: ignore[arg-type]  (refused before the database is touched)
            principal,
            centre_id=uuid.uuid4(),
            owner={"staff_member_id": uuid.uuid4()},
            kind="dbs_certificate",
            upload=upload,
            max_bytes=1024,
        )
    assert refused.value.slug == "dbs-certificate-refused"
    assert upload.stream.tell() == 0  # not even read
