"""Matrix rows of the staff routes: centre staff read and write their centre's, inspectors
read (inspections view HR files), naccc_staff everything; another centre's staff is 404."""

from __future__ import annotations

from tests.factories import World
from tests.matrix import Call, Row, centre_read, centre_write
from tests.staff.factories import (
    committed,
    make_dbs_check,
    make_hr_note,
    make_parental_leave,
    make_staff,
)

IF_MATCH = {"If-Match": '"1"'}
BASE = "/api/v1/staff"


def _staff(w: World, centre: str = "a") -> Call:
    staff = committed(w.session, make_staff(w.session, getattr(w, f"centre_{centre}")))
    return Call({"staff_id": staff.id})


def _with(make, centre: str = "a", **call: object):  # type: ignore[no-untyped-def]
    """A call naming a sub-record (made by `make`) of a new staff member of the centre."""

    def build(w: World) -> Call:
        staff = make_staff(w.session, getattr(w, f"centre_{centre}"))
        record = committed(w.session, make(w.session, staff))
        key = "check_id" if "dbs" in make.__name__ else "leave_id"
        return Call({"staff_id": staff.id, key: record.id}, **call)  # type: ignore[arg-type]

    return build


def _staff_call(centre: str = "a", **call: object):  # type: ignore[no-untyped-def]
    def build(w: World) -> Call:
        staff = committed(w.session, make_staff(w.session, getattr(w, f"centre_{centre}")))
        return Call({"staff_id": staff.id}, **call)  # type: ignore[arg-type]

    return build


def _with_note(centre: str):  # type: ignore[no-untyped-def]
    def build(w: World) -> Call:
        staff = make_staff(w.session, getattr(w, f"centre_{centre}"))
        committed(w.session, make_hr_note(w.session, staff))
        return Call({"staff_id": staff.id})

    return build


STAFF_BODY = {"full_name": "Sam Paid", "engagement": "paid", "started_on": "2026-01-05"}
DBS_BODY = {
    "certificate_issued_on": "2026-01-02",
    "certificate_number": "001234567890",
    "vetting_decision": "suitable",
    "outcome": "appointed",
}
LEAVE_BODY = {
    "child_birth_or_adoption_on": "2026-06-01",
    "disability_allowance": False,
    "starts_on": "2026-06-01",
    "ends_on": "2026-12-01",
}

ROWS = [
    Row("GET", BASE, centre_read()),
    Row(
        "POST",
        BASE,
        centre_write(201),
        lambda w: Call(json={**STAFF_BODY, "centre_id": str(w.centre_a.id)}),
    ),
    Row(
        "GET", BASE + "/{staff_id}", centre_read(), _staff_call("a"), other_centre=_staff_call("b")
    ),
    Row(
        "PATCH",
        BASE + "/{staff_id}",
        centre_write(200),
        _staff_call("a", json={"ended_on": "2026-10-31"}, headers=IF_MATCH),
        other_centre=_staff_call("b", json={"ended_on": "2026-10-31"}, headers=IF_MATCH),
    ),
    # HR file
    Row(
        "GET",
        BASE + "/{staff_id}/hr-files",
        centre_read(),
        _with_note("a"),
        other_centre=_with_note("b"),
    ),
    Row(
        "POST",
        BASE + "/{staff_id}/hr-files",
        centre_write(201),
        _staff_call(
            "a",
            data={"title": "Supervision", "note": "Fine"},
            files={"file": ("", b"", "application/octet-stream")},
        ),
        other_centre=_staff_call(
            "b",
            data={"title": "Supervision", "note": "Fine"},
            files={"file": ("", b"", "application/octet-stream")},
        ),
    ),
    # DBS checks
    Row(
        "GET",
        BASE + "/{staff_id}/dbs-checks",
        centre_read(),
        _staff_call("a"),
        other_centre=_staff_call("b"),
    ),
    Row(
        "POST",
        BASE + "/{staff_id}/dbs-checks",
        centre_write(201),
        _staff_call("a", json=DBS_BODY),
        other_centre=_staff_call("b", json=DBS_BODY),
    ),
    Row(
        "GET",
        BASE + "/{staff_id}/dbs-checks/{check_id}",
        centre_read(),
        _with(make_dbs_check, "a"),
        other_centre=_with(make_dbs_check, "b"),
    ),
    Row(
        "PATCH",
        BASE + "/{staff_id}/dbs-checks/{check_id}",
        centre_write(200),
        _with(make_dbs_check, "a", json={"outcome": "withdrawn"}, headers=IF_MATCH),
        other_centre=_with(make_dbs_check, "b", json={"outcome": "withdrawn"}, headers=IF_MATCH),
    ),
    # Parental leave
    Row(
        "GET",
        BASE + "/{staff_id}/parental-leave",
        centre_read(),
        _staff_call("a"),
        other_centre=_staff_call("b"),
    ),
    Row(
        "POST",
        BASE + "/{staff_id}/parental-leave",
        centre_write(201),
        _staff_call("a", json=LEAVE_BODY),
        other_centre=_staff_call("b", json=LEAVE_BODY),
    ),
    Row(
        "GET",
        BASE + "/{staff_id}/parental-leave/{leave_id}",
        centre_read(),
        _with(make_parental_leave, "a"),
        other_centre=_with(make_parental_leave, "b"),
    ),
    Row(
        "PATCH",
        BASE + "/{staff_id}/parental-leave/{leave_id}",
        centre_write(200),
        _with(make_parental_leave, "a", json={"ends_on": "2026-01-01"}, headers=IF_MATCH),
        other_centre=_with(
            make_parental_leave, "b", json={"ends_on": "2026-01-01"}, headers=IF_MATCH
        ),
    ),
]
