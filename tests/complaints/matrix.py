"""Matrix rows of the complaint routes: CRUD, the four steps, documents. There is no DELETE."""

from __future__ import annotations

from tests.cases.factories import PDF_BYTES, make_case_document, make_complaint
from tests.factories import World
from tests.matrix import Call, Row, centre_read, centre_write

IF_MATCH_1 = {"If-Match": '"1"'}
BASE = "/api/v1/complaints/{complaint_id}"


def _complaint(centre: str, status: str = "received", **extra: object):
    def call(w: World) -> Call:
        complaint = make_complaint(w.session, getattr(w, f"centre_{centre}"), status=status)
        w.session.commit()
        return Call({"complaint_id": complaint.id}, **extra)  # type: ignore[arg-type]

    return call


def _with_document(centre: str):
    def call(w: World) -> Call:
        complaint = make_complaint(w.session, getattr(w, f"centre_{centre}"))
        make_case_document(w.session, complaint.centre_id, {"complaint_id": complaint.id})
        w.session.commit()
        return Call({"complaint_id": complaint.id})

    return call


CREATE = {
    "about": "centre",
    "kind": "formal",
    "channel": "written",
    "summary": "Handover was not supervised",
    "received_on": "2026-02-02",
}
UPLOAD = {
    "files": {"file": ("letter.pdf", PDF_BYTES, "application/pdf")},
    "data": {"kind": "correspondence"},
}
UPDATE = {"json": {"referred_to_ico": True}, "headers": IF_MATCH_1}
STEP = {"headers": IF_MATCH_1}
RESOLVE = {"json": {"outcome": "Apology given; rota changed"}, "headers": IF_MATCH_1}


def _row(method: str, path: str, expect: dict[str, int], status: str = "received", **extra):  # type: ignore[no-untyped-def]
    return Row(
        method,
        path,
        expect,
        _complaint("a", status, **extra),
        other_centre=_complaint("b", status, **extra),
    )


ROWS = [
    Row("GET", "/api/v1/complaints", centre_read()),
    Row(
        "POST",
        "/api/v1/complaints",
        centre_write(201),
        lambda w: Call(json={**CREATE, "centre_id": str(w.centre_a.id)}),
    ),
    _row("GET", BASE, centre_read()),
    _row("PATCH", BASE, centre_write(200), **UPDATE),
    _row("POST", BASE + "/acknowledge", centre_write(200), **STEP),
    _row("POST", BASE + "/investigate", centre_write(200), "acknowledged", **STEP),
    _row("POST", BASE + "/resolve", centre_write(200), "investigating", **RESOLVE),
    _row("POST", BASE + "/withdraw", centre_write(200), **STEP),
    Row(
        "GET",
        BASE + "/documents",
        centre_read(),
        _with_document("a"),
        other_centre=_with_document("b"),
    ),
    _row("POST", BASE + "/documents", centre_write(201), **UPLOAD),
]
