"""Matrix rows of the disclosure register. There is no DELETE."""

from __future__ import annotations

from tests.cases.factories import make_disclosure, make_person
from tests.factories import World
from tests.matrix import Call, Row, centre_read, centre_write

IF_MATCH_1 = {"If-Match": '"1"'}
BASE = "/api/v1/disclosures/{disclosure_id}"


def _disclosure(centre: str, **extra: object):
    def call(w: World) -> Call:
        disclosure = make_disclosure(w.session, getattr(w, f"centre_{centre}"))
        w.session.commit()
        return Call({"disclosure_id": disclosure.id}, **extra)  # type: ignore[arg-type]

    return call


def _create(w: World) -> Call:
    person = make_person(w.session, w.centre_a)
    w.session.commit()
    return Call(
        json={
            "centre_id": str(w.centre_a.id),
            "recipient_type": "local_authority",
            "recipient_name": "Cambridgeshire Children's Services",
            "lawful_basis": "safeguarding",
            "person_ids": [str(person.id)],
            "shared": "Incident report and contact details",
            "disclosed_at": "2026-01-18T09:30:00Z",
            "disclosed_by": "Centre Coordinator",
        }
    )


UPDATE = {"json": {"subject_informed": True}, "headers": IF_MATCH_1}

ROWS = [
    Row("GET", "/api/v1/disclosures", centre_read()),
    Row("POST", "/api/v1/disclosures", centre_write(201), _create),
    Row("GET", BASE, centre_read(), _disclosure("a"), other_centre=_disclosure("b")),
    Row(
        "PATCH",
        BASE,
        centre_write(200),
        _disclosure("a", **UPDATE),
        other_centre=_disclosure("b", **UPDATE),
    ),
]
