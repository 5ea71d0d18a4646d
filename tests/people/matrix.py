"""Matrix rows of the people routes."""

from __future__ import annotations

from tests.cases.factories import make_person
from tests.factories import World
from tests.matrix import Call, Row, centre_read, centre_write

IF_MATCH_1 = {"If-Match": '"1"'}


def _person(w: World, centre: str = "a") -> str:
    person = make_person(w.session, w.centre_a if centre == "a" else w.centre_b)
    w.session.commit()
    return str(person.id)


def _id(w: World, centre: str = "a", **extra: object) -> Call:
    return Call({"person_id": _person(w, centre)}, **extra)  # type: ignore[arg-type]


ROWS = [
    Row("GET", "/api/v1/people", centre_read()),
    Row(
        "POST",
        "/api/v1/people",
        centre_write(201),
        lambda w: Call(json={"centre_id": str(w.centre_a.id), "full_name": "New Person"}),
    ),
    Row(
        "GET",
        "/api/v1/people/{person_id}",
        centre_read(),
        _id,
        other_centre=lambda w: _id(w, "b"),
    ),
    Row(
        "PATCH",
        "/api/v1/people/{person_id}",
        centre_write(200),
        lambda w: _id(w, json={"phone": "01353 111111"}, headers=IF_MATCH_1),
        other_centre=lambda w: _id(w, "b", json={"phone": "01353 111111"}, headers=IF_MATCH_1),
    ),
    Row(
        "DELETE",
        "/api/v1/people/{person_id}",
        centre_write(204),
        lambda w: _id(w, headers=IF_MATCH_1),
        other_centre=lambda w: _id(w, "b", headers=IF_MATCH_1),
    ),
    Row(
        "GET",
        "/api/v1/people/{person_id}/attendance-summary",
        centre_read(),
        _id,
        other_centre=lambda w: _id(w, "b"),
    ),
]
