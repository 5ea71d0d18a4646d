"""Documents on referrals, complaints and incidents: upload, limits, types, encryption, reads."""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from app.documents.models import Document
from tests.cases.factories import (
    PDF_BYTES,
    PNG_BYTES,
    assert_problem,
    make_complaint,
    make_incident,
    make_referral,
)
from tests.factories import World

MiB = 1024 * 1024
OWNERS = ("referral", "complaint", "incident")


def _owner(world: World, owner: str, centre: str = "a") -> tuple[str, Any]:
    centre_obj = getattr(world, f"centre_{centre}")
    record = {"referral": make_referral, "complaint": make_complaint, "incident": make_incident}[
        owner
    ](world.session, centre_obj)
    world.session.commit()
    return f"/api/v1/{owner}s/{record.id}/documents", record


def _upload(
    client: TestClient,
    world: World,
    url: str,
    data: bytes,
    content_type: str = "application/pdf",
    filename: str = "order.pdf",
    kind: str | None = "court_order",
    role: str = "centre_staff",
):
    return client.post(
        url,
        files={"file": (filename, data, content_type)},
        data={"kind": kind} if kind else {},
        headers=world.headers(role),
    )


def _count(world: World) -> int:
    return world.session.scalar(select(func.count()).select_from(Document)) or 0


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize("owner", OWNERS)
def test_upload_list_and_read_back(client: TestClient, world: World, owner: str) -> None:
    # This inspection's grant includes document contents (§2).
    world.grant_a.includes_documents = True
    world.session.commit()
    url, record = _owner(world, owner)
    response = _upload(client, world, url, PDF_BYTES, kind="correspondence")
    assert response.status_code == 201, response.text
    document = response.json()
    assert document[f"{owner}_id"] == str(record.id)
    assert document["staff_member_id"] is None
    assert document["content_type"] == "application/pdf"
    assert document["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
    assert document["size"] == len(PDF_BYTES)
    assert document["kind"] == "correspondence"

    listed = client.get(url, headers=world.headers("inspector")).json()
    assert [d["id"] for d in listed["items"]] == [document["id"]]
    assert (
        client.get(
            url, params={"kind": "court_order"}, headers=world.headers("centre_staff")
        ).json()["items"]
        == []
    )

    content = client.get(
        f"/api/v1/documents/{document['id']}/content", headers=world.headers("inspector")
    )
    assert content.status_code == 200
    assert content.content == PDF_BYTES
    assert content.headers["content-type"] == "application/pdf"
    # An inspector's copy is shown inline, never offered as a download (§2).
    assert content.headers["content-disposition"].startswith('inline; filename="order.pdf"')


def test_stored_bytes_are_not_the_plain_bytes(client: TestClient, world: World) -> None:
    url, _ = _owner(world, "incident")
    document = _upload(client, world, url, PDF_BYTES).json()
    raw = world.session.execute(
        text("SELECT content FROM document WHERE sha256 = :sha"), {"sha": document["sha256"]}
    ).scalar()
    assert bytes(raw) != PDF_BYTES and b"/Catalog" not in bytes(raw)


@pytest.mark.parametrize("owner", OWNERS)
def test_ten_mib_and_one_byte_is_refused_and_not_stored(
    client: TestClient, world: World, owner: str
) -> None:
    url, _ = _owner(world, owner)
    before = _count(world)
    too_big = PDF_BYTES + b"\n" * (10 * MiB + 1 - len(PDF_BYTES))
    assert len(too_big) == 10 * MiB + 1
    assert_problem(_upload(client, world, url, too_big), 413, "payload-too-large")
    assert _count(world) == before
    exactly = too_big[:-1]
    assert _upload(client, world, url, exactly).status_code == 201


def test_a_png_declared_as_a_pdf_is_refused(client: TestClient, world: World) -> None:
    url, _ = _owner(world, "referral")
    before = _count(world)
    response = _upload(client, world, url, PNG_BYTES, "application/pdf", "order.pdf")
    assert_problem(response, 415, "unsupported-media-type")
    assert _count(world) == before


@pytest.mark.parametrize(
    ("data", "declared", "detected"),
    [
        (PNG_BYTES, "image/png", "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg", "image/jpeg"),
        (b"Dear centre,\nplease change the date.\n", "text/plain", "text/plain"),
        (
            _docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (PDF_BYTES, "application/octet-stream", "application/pdf"),
    ],
)
def test_every_allowed_type_by_its_magic_bytes(
    client: TestClient, world: World, data: bytes, declared: str, detected: str
) -> None:
    url, _ = _owner(world, "complaint")
    response = _upload(client, world, url, data, declared, "file.bin", "other")
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == detected


@pytest.mark.parametrize(
    "data",
    [b"GIF89a" + b"\x00" * 20, b"PK\x03\x04not really a zip", b"\x00\x01\x02binary"],
)
def test_unsupported_content_is_415(client: TestClient, world: World, data: bytes) -> None:
    url, _ = _owner(world, "referral")
    assert_problem(
        _upload(client, world, url, data, "application/octet-stream", "x.bin"),
        415,
        "unsupported-media-type",
    )


def test_kind_rules(client: TestClient, world: World) -> None:
    url, _ = _owner(world, "referral")
    # The HR kind belongs to HR files; an unknown kind is refused by the schema.
    assert_problem(_upload(client, world, url, PDF_BYTES, kind="hr"), 422, "unprocessable")
    assert_problem(_upload(client, world, url, PDF_BYTES, kind="photo"), 422)
    # No kind: `other` for referrals and incidents, `correspondence` for complaints.
    assert _upload(client, world, url, PDF_BYTES, kind=None).json()["kind"] == "other"
    complaint_url, _ = _owner(world, "complaint")
    assert (
        _upload(client, world, complaint_url, PDF_BYTES, kind=None).json()["kind"]
        == "correspondence"
    )


def test_an_empty_file_and_a_missing_file(client: TestClient, world: World) -> None:
    url, _ = _owner(world, "incident")
    assert_problem(_upload(client, world, url, b""), 422)
    missing = client.post(url, data={"kind": "other"}, headers=world.headers("centre_staff"))
    assert_problem(missing, 422)


def test_a_dbs_certificate_is_refused_on_a_case_record(client: TestClient, world: World) -> None:
    url, _ = _owner(world, "referral")
    response = _upload(client, world, url, PDF_BYTES, filename="DBS certificate.pdf")
    assert_problem(response, 422, "dbs-certificate-refused")


def test_inspectors_do_not_upload(client: TestClient, world: World) -> None:
    url, _ = _owner(world, "complaint")
    assert_problem(_upload(client, world, url, PDF_BYTES, role="inspector"), 403)


def test_another_centres_owner_is_not_found(client: TestClient, world: World) -> None:
    url, _ = _owner(world, "incident", "b")
    before = _count(world)
    assert_problem(_upload(client, world, url, PDF_BYTES), 404)
    assert_problem(client.get(url, headers=world.headers("centre_staff")), 404)
    assert _count(world) == before


@pytest.mark.parametrize("owner", OWNERS)
def test_another_centres_case_document_is_not_found(
    client: TestClient, world: World, owner: str
) -> None:
    # This inspection's grant includes document contents (§2).
    world.grant_a.includes_documents = True
    world.session.commit()
    url, _ = _owner(world, owner, "b")
    document = _upload(client, world, url, PDF_BYTES, role="naccc_staff").json()
    for role in ("centre_staff", "inspector"):
        for path in ("", "/content"):
            response = client.get(
                f"/api/v1/documents/{document['id']}{path}", headers=world.headers(role)
            )
            assert_problem(response, 404, "not-found")
