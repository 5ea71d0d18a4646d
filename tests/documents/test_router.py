"""Uploads (through an HR file, the first owner) and reads of documents."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from app.documents.models import Document
from app.staff.models import HRFileEntry
from tests.factories import World
from tests.staff.factories import PDF_BYTES, PNG_BYTES, make_document, make_staff

MiB = 1024 * 1024


def _upload(
    client: TestClient,
    world: World,
    staff_id: object,
    data: bytes,
    content_type: str = "application/pdf",
    filename: str = "contract.pdf",
    title: str = "Contract",
    role: str = "centre_staff",
    **headers: str,
):
    return client.post(
        f"/api/v1/staff/{staff_id}/hr-files",
        data={"title": title},
        files={"file": (filename, data, content_type)},
        headers={**world.headers(role), **headers},
    )


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_an_uploaded_document_is_stored_encrypted_and_read_back(
    client: TestClient, world: World, db
) -> None:
    # This inspection's grant includes document contents (§2).
    world.grant_a.includes_documents = True
    world.session.commit()
    staff = make_staff(db, world.centre_a)
    db.commit()
    response = _upload(client, world, staff.id, PDF_BYTES)
    assert response.status_code == 201, response.text
    document = response.json()["document"]
    assert document["content_type"] == "application/pdf"
    assert document["kind"] == "hr"
    assert document["size"] == len(PDF_BYTES)
    assert document["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
    assert document["staff_member_id"] == str(staff.id)

    raw = db.execute(
        text("SELECT content FROM document WHERE sha256 = :sha"), {"sha": document["sha256"]}
    ).scalar()
    assert bytes(raw) != PDF_BYTES and PDF_BYTES not in bytes(raw)

    content = client.get(
        f"/api/v1/documents/{document['id']}/content", headers=world.headers("inspector")
    )
    assert content.status_code == 200
    assert content.content == PDF_BYTES
    assert content.headers["content-type"] == "application/pdf"
    # An inspector's copy is shown inline, never offered as a download (§2).
    assert content.headers["content-disposition"].startswith('inline; filename="contract.pdf"')
    assert content.headers["x-content-type-options"] == "nosniff"
    meta = client.get(f"/api/v1/documents/{document['id']}", headers=world.headers("inspector"))
    assert meta.status_code == 200 and meta.json()["filename"] == "contract.pdf"


def test_an_upload_over_the_limit_is_refused_and_nothing_is_stored(
    client: TestClient, world: World, db
) -> None:
    staff = make_staff(db, world.centre_a)
    db.commit()
    before = (_count(db, Document), _count(db, HRFileEntry))
    response = _upload(client, world, staff.id, b"%PDF-" + b"x" * (10 * MiB + 1 - 5))
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert (_count(db, Document), _count(db, HRFileEntry)) == before


def test_an_upload_at_the_limit_is_accepted(client: TestClient, world: World, db) -> None:
    staff = make_staff(db, world.centre_a)
    db.commit()
    response = _upload(client, world, staff.id, b"%PDF-" + b"x" * (10 * MiB - 5))
    assert response.status_code == 201, response.text
    assert response.json()["document"]["size"] == 10 * MiB


def test_a_png_declared_as_a_pdf_is_refused(client: TestClient, world: World, db) -> None:
    staff = make_staff(db, world.centre_a)
    db.commit()
    response = _upload(client, world, staff.id, PNG_BYTES, "application/pdf", "scan.pdf")
    assert response.status_code == 415, response.text
    assert response.json()["type"].endswith("/unsupported-media-type")
    assert _count(db, Document) == 0


def test_an_undeclared_type_is_taken_from_the_content(client: TestClient, world: World, db) -> None:
    staff = make_staff(db, world.centre_a)
    db.commit()
    response = _upload(client, world, staff.id, PNG_BYTES, "application/octet-stream", "scan")
    assert response.status_code == 201, response.text
    assert response.json()["document"]["content_type"] == "image/png"


def test_an_unsupported_or_empty_file_is_refused(client: TestClient, world: World, db) -> None:
    staff = make_staff(db, world.centre_a)
    db.commit()
    exe = _upload(
        client,
        world,
        staff.id,
        b"MZ\x90\x00\x03\x00\x00\x00",
        "application/x-msdownload",
        "setup.exe",
    )
    assert exe.status_code == 415
    empty = _upload(client, world, staff.id, b"", "text/plain", "empty.txt")
    assert empty.status_code == 422


def test_a_dbs_certificate_cannot_be_uploaded(client: TestClient, world: World, db) -> None:
    staff = make_staff(db, world.centre_a)
    db.commit()
    by_name = _upload(client, world, staff.id, PDF_BYTES, filename="DBS certificate.pdf")
    assert by_name.status_code == 422
    assert by_name.json()["type"].endswith("/dbs-certificate-refused")
    by_title = _upload(client, world, staff.id, PDF_BYTES, title="Enhanced DBS")
    assert by_title.status_code == 422
    wording = (
        b"Disclosure and Barring Service\nEnhanced Certificate\nCertificate Number 001234567890"
    )
    by_content = _upload(client, world, staff.id, wording, "text/plain", "scan.txt")
    assert by_content.status_code == 422
    assert _count(db, Document) == 0


def test_an_hr_document_needs_staff_read_as_well(client: TestClient, world: World, db) -> None:
    staff = make_staff(db, world.centre_a)
    document = make_document(db, staff)
    records_only = world.make_service_client(["records:read"])
    from app.security import tokens

    token = tokens.issue(world.settings, records_only.id, "service")[0]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/documents/{document.id}", headers=headers).status_code == 403
    assert (
        client.get(f"/api/v1/documents/{document.id}/content", headers=headers).status_code == 403
    )
    both = world.make_service_client(["records:read", "staff:read"])
    token = tokens.issue(world.settings, both.id, "service")[0]
    response = client.get(
        f"/api/v1/documents/{document.id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200


def test_another_centres_document_is_not_found(client: TestClient, world: World, db) -> None:
    # This inspection's grant includes document contents (§2).
    world.grant_a.includes_documents = True
    world.session.commit()
    document = make_document(db, make_staff(db, world.centre_b))
    db.commit()
    for role in ("centre_staff", "inspector"):
        for suffix in ("", "/content"):
            response = client.get(
                f"/api/v1/documents/{document.id}{suffix}", headers=world.headers(role)
            )
            assert response.status_code == 404


def test_a_retried_upload_with_the_same_key_is_stored_once(
    client: TestClient, world: World, db
) -> None:
    staff = make_staff(db, world.centre_a)
    db.commit()
    first = _upload(client, world, staff.id, PDF_BYTES, **{"Idempotency-Key": "upload-1"})
    again = _upload(client, world, staff.id, PDF_BYTES, **{"Idempotency-Key": "upload-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    other = _upload(
        client, world, staff.id, PNG_BYTES, "image/png", "x.png", **{"Idempotency-Key": "upload-1"}
    )
    assert other.status_code == 422
    assert _count(db, Document) == 1


def test_common_aliases_of_a_declared_type_are_accepted(
    client: TestClient, world: World, db
) -> None:
    staff = make_staff(db, world.centre_a)
    db.commit()
    jpeg = _upload(client, world, staff.id, b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpg", "p.jpg")
    assert jpeg.status_code == 201, jpeg.text
    csv = _upload(client, world, staff.id, b"date,hours\n2026-01-01,3\n", "text/csv", "hours.csv")
    assert csv.status_code == 201, csv.text
    assert csv.json()["document"]["content_type"] == "text/plain"
    content = client.get(
        f"/api/v1/documents/{csv.json()['document']['id']}/content",
        headers=world.headers("centre_staff"),
    )
    assert content.headers["content-type"] == "text/plain; charset=utf-8"
