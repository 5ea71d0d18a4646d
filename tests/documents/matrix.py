"""Matrix rows of the document routes (an HR document: staff:read is needed as well)."""

from __future__ import annotations

from tests.factories import World
from tests.matrix import Call, Row, centre_read
from tests.staff.factories import committed, make_document, make_staff


def _document(centre: str):  # type: ignore[no-untyped-def]
    def build(w: World) -> Call:
        staff = make_staff(w.session, getattr(w, f"centre_{centre}"))
        document = committed(w.session, make_document(w.session, staff))
        return Call({"document_id": document.id})

    return build


ROWS = [
    Row(
        "GET",
        "/api/v1/documents/{document_id}",
        centre_read(),
        _document("a"),
        other_centre=_document("b"),
    ),
    Row(
        "GET",
        "/api/v1/documents/{document_id}/content",
        # The world's grant does not include `documents` (§2).
        {"naccc_staff": 200, "centre_staff": 200, "inspector": 403},
        _document("a"),
        other_centre=_document("b"),
    ),
]
