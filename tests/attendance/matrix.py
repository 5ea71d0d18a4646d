"""Matrix rows of sessions, attendance and the attendance summaries."""

from __future__ import annotations

from tests.cases.factories import family, make_attendance, make_session
from tests.factories import World
from tests.matrix import Call, Row, centre_read, centre_write

IF_MATCH_1 = {"If-Match": '"1"'}
SESSION = "/api/v1/sessions/{session_id}"


def _centre(w: World, centre: str):
    return w.centre_a if centre == "a" else w.centre_b


def _session(centre: str, **extra: object):
    def call(w: World) -> Call:
        f = family(w.session, _centre(w, centre))
        contact = make_session(w.session, f.referral)
        w.session.commit()
        return Call({"session_id": contact.id}, **extra)  # type: ignore[arg-type]

    return call


def _new_attendance(centre: str):
    def call(w: World) -> Call:
        f = family(w.session, _centre(w, centre))
        contact = make_session(w.session, f.referral, status="held")
        w.session.commit()
        return Call(
            {"session_id": contact.id}, json={"person_id": str(f.child.id), "status": "attended"}
        )

    return call


def _attendance(centre: str, **extra: object):
    def call(w: World) -> Call:
        f = family(w.session, _centre(w, centre))
        contact = make_session(w.session, f.referral, status="held")
        record = make_attendance(w.session, contact, f.child)
        w.session.commit()
        return Call({"session_id": contact.id, "attendance_id": record.id}, **extra)  # type: ignore[arg-type]

    return call


def _new_session(w: World) -> Call:
    f = family(w.session, w.centre_a)
    return Call(
        json={
            "referral_id": str(f.referral.id),
            "starts_at": "2026-02-01T10:00:00Z",
            "ends_at": "2026-02-01T12:00:00Z",
        }
    )


def _referral_summary(centre: str):
    def call(w: World) -> Call:
        return Call({"referral_id": family(w.session, _centre(w, centre)).referral.id})

    return call


SESSION_UPDATE = {"json": {"status": "held"}, "headers": IF_MATCH_1}
ATTENDANCE_UPDATE = {"json": {"status": "late"}, "headers": IF_MATCH_1}

ROWS = [
    Row("GET", "/api/v1/sessions", centre_read()),
    Row("POST", "/api/v1/sessions", centre_write(201), _new_session),
    Row("GET", SESSION, centre_read(), _session("a"), other_centre=_session("b")),
    Row(
        "PATCH",
        SESSION,
        centre_write(200),
        _session("a", **SESSION_UPDATE),
        other_centre=_session("b", **SESSION_UPDATE),
    ),
    Row(
        "DELETE",
        SESSION,
        centre_write(204),
        _session("a", headers=IF_MATCH_1),
        other_centre=_session("b", headers=IF_MATCH_1),
    ),
    Row("GET", SESSION + "/attendance", centre_read(), _session("a"), other_centre=_session("b")),
    Row(
        "POST",
        SESSION + "/attendance",
        centre_write(201),
        _new_attendance("a"),
        other_centre=_new_attendance("b"),
    ),
    Row(
        "GET",
        SESSION + "/attendance/{attendance_id}",
        centre_read(),
        _attendance("a"),
        other_centre=_attendance("b"),
    ),
    Row(
        "PATCH",
        SESSION + "/attendance/{attendance_id}",
        centre_write(200),
        _attendance("a", **ATTENDANCE_UPDATE),
        other_centre=_attendance("b", **ATTENDANCE_UPDATE),
    ),
    Row(
        "GET",
        "/api/v1/referrals/{referral_id}/attendance-summary",
        centre_read(),
        _referral_summary("a"),
        other_centre=_referral_summary("b"),
    ),
]
