"""Matrix rows of the incident routes (and their documents). There is no DELETE."""

from __future__ import annotations

from tests.cases.factories import PDF_BYTES, make_case_document, make_child, make_incident
from tests.factories import World
from tests.matrix import Call, Row, centre_read, centre_write

IF_MATCH_1 = {"If-Match": '"1"'}
BASE = "/api/v1/incidents/{incident_id}"


def _incident(centre: str, **extra: object):
    def call(w: World) -> Call:
        incident = make_incident(w.session, getattr(w, f"centre_{centre}"))
        w.session.commit()
        return Call({"incident_id": incident.id}, **extra)  # type: ignore[arg-type]

    return call


def _create(w: World) -> Call:
    child = make_child(w.session, w.centre_a)
    w.session.commit()
    return Call(
        json={
            "centre_id": str(w.centre_a.id),
            "kind": "safeguarding",
            "child_id": str(child.id),
            "occurred_at": "2026-01-17T11:00:00Z",
            "description": "Child said they were frightened of going home",
            "reported_by": "Centre Coordinator",
        }
    )


def _document_list(centre: str):
    def call(w: World) -> Call:
        incident = make_incident(w.session, getattr(w, f"centre_{centre}"))
        make_case_document(w.session, incident.centre_id, {"incident_id": incident.id})
        w.session.commit()
        return Call({"incident_id": incident.id})

    return call


UPLOAD = {
    "files": {"file": ("report.pdf", PDF_BYTES, "application/pdf")},
    "data": {"kind": "other"},
}
UPDATE = {"json": {"referred_to_authority": True}, "headers": IF_MATCH_1}

ROWS = [
    Row("GET", "/api/v1/incidents", centre_read()),
    Row("POST", "/api/v1/incidents", centre_write(201), _create),
    Row("GET", BASE, centre_read(), _incident("a"), other_centre=_incident("b")),
    Row(
        "PATCH",
        BASE,
        centre_write(200),
        _incident("a", **UPDATE),
        other_centre=_incident("b", **UPDATE),
    ),
    Row(
        "GET",
        BASE + "/documents",
        centre_read(),
        _document_list("a"),
        other_centre=_document_list("b"),
    ),
    Row(
        "POST",
        BASE + "/documents",
        centre_write(201),
        _incident("a", **UPLOAD),
        other_centre=_incident("b", **UPLOAD),
    ),
]
