"""Matrix rows of the referral routes (referrals, parties, decision, close, pre-visits,
documents)."""

from __future__ import annotations

from tests.cases.factories import PDF_BYTES, Family, family, make_case_document, make_person
from tests.factories import World
from tests.matrix import Call, Row, centre_read, centre_write

IF_MATCH_1 = {"If-Match": '"1"'}
BASE = "/api/v1/referrals/{referral_id}"


def _family(w: World, centre: str = "a", **fields: object) -> Family:
    return family(w.session, w.centre_a if centre == "a" else w.centre_b, **fields)  # type: ignore[arg-type]


def _ref(f: Family, **extra: object) -> Call:
    return Call({"referral_id": f.referral.id}, **extra)  # type: ignore[arg-type]


def _on(centre: str, **fields: object):
    """A call on a family's referral in centre A (the row) or B (the cross-centre case)."""
    return lambda w: _ref(_family(w, centre, **fields))


def _decision(centre: str):
    return lambda w: _ref(
        _family(w, centre, status="received", pre_visits=False),
        json={"outcome": "accepted", "reason": "Both parents agree; suitable for the centre"},
        headers=IF_MATCH_1,
    )


def _add_party(centre: str):
    def call(w: World) -> Call:
        f = _family(w, centre, status="received", pre_visits=False)
        person = make_person(w.session, w.centre_a if centre == "a" else w.centre_b)
        w.session.commit()
        return _ref(f, json={"person_id": str(person.id), "role": "other_adult"})

    return call


def _remove_party(centre: str):
    def call(w: World) -> Call:
        f = _family(w, centre, status="received", pre_visits=False)
        return Call({"referral_id": f.referral.id, "party_id": f.parties["child"].id})

    return call


def _new_pre_visit(centre: str):
    def call(w: World) -> Call:
        f = _family(w, centre, status="pre_visit", pre_visits=False)
        return _ref(
            f,
            json={
                "person_id": str(f.resident.id),
                "visited_on": "2026-01-12",
                "ground_rules_explained": True,
                "ground_rules_signed": True,
                "completed_by": "Centre Coordinator",
            },
        )

    return call


def _pre_visit(centre: str, **extra: object):
    def call(w: World) -> Call:
        f = _family(w, centre, status="pre_visit")
        return Call({"referral_id": f.referral.id, "pre_visit_id": f.pre_visits[0].id}, **extra)  # type: ignore[arg-type]

    return call


def _with_document(centre: str):
    def call(w: World) -> Call:
        f = _family(w, centre)
        make_case_document(w.session, f.referral.centre_id, {"referral_id": f.referral.id})
        w.session.commit()
        return _ref(f)

    return call


UPLOAD = {
    "files": {"file": ("order.pdf", PDF_BYTES, "application/pdf")},
    "data": {"kind": "court_order"},
}
UPDATE = {"json": {"has_court_order": True}, "headers": IF_MATCH_1}
CLOSE = {"json": {"reason": "Contact arrangements now made directly"}, "headers": IF_MATCH_1}
PRE_VISIT_UPDATE = {"json": {"child_prepared": True}, "headers": IF_MATCH_1}

ROWS = [
    Row("GET", "/api/v1/referrals", centre_read()),
    Row(
        "POST",
        "/api/v1/referrals",
        centre_write(201),
        lambda w: Call(
            json={
                "centre_id": str(w.centre_a.id),
                "source": "self",
                "contact_type": "supported",
                "received_on": "2026-03-01",
            }
        ),
    ),
    Row("GET", BASE, centre_read(), _on("a"), other_centre=_on("b")),
    Row(
        "PATCH",
        BASE,
        centre_write(200),
        lambda w: _ref(_family(w), **UPDATE),
        other_centre=lambda w: _ref(_family(w, "b"), **UPDATE),
    ),
    Row("POST", BASE + "/decision", centre_write(200), _decision("a"), other_centre=_decision("b")),
    Row(
        "POST",
        BASE + "/close",
        centre_write(200),
        lambda w: _ref(_family(w), **CLOSE),
        other_centre=lambda w: _ref(_family(w, "b"), **CLOSE),
    ),
    Row("GET", BASE + "/parties", centre_read(), _on("a"), other_centre=_on("b")),
    Row(
        "POST", BASE + "/parties", centre_write(201), _add_party("a"), other_centre=_add_party("b")
    ),
    Row(
        "DELETE",
        BASE + "/parties/{party_id}",
        centre_write(204),
        _remove_party("a"),
        other_centre=_remove_party("b"),
    ),
    Row("GET", BASE + "/pre-visits", centre_read(), _on("a"), other_centre=_on("b")),
    Row(
        "POST",
        BASE + "/pre-visits",
        centre_write(201),
        _new_pre_visit("a"),
        other_centre=_new_pre_visit("b"),
    ),
    Row(
        "GET",
        BASE + "/pre-visits/{pre_visit_id}",
        centre_read(),
        _pre_visit("a"),
        other_centre=_pre_visit("b"),
    ),
    Row(
        "PATCH",
        BASE + "/pre-visits/{pre_visit_id}",
        centre_write(200),
        _pre_visit("a", **PRE_VISIT_UPDATE),
        other_centre=_pre_visit("b", **PRE_VISIT_UPDATE),
    ),
    Row(
        "GET",
        BASE + "/documents",
        centre_read(),
        _with_document("a"),
        other_centre=_with_document("b"),
    ),
    Row(
        "POST",
        BASE + "/documents",
        centre_write(201),
        lambda w: _ref(_family(w), **UPLOAD),
        other_centre=lambda w: _ref(_family(w, "b"), **UPLOAD),
    ),
]
