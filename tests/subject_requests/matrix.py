"""Matrix rows of the subject-request routes."""

from __future__ import annotations

from datetime import date

from app.subject_requests import release
from app.subject_requests.models import SubjectRequest
from tests.cases.factories import make_complaint, make_person
from tests.factories import World
from tests.matrix import Call, Row

READ = {"naccc_staff": 200, "centre_staff": 200, "inspector": 403}
WRITE = {"naccc_staff": 200, "centre_staff": 200, "inspector": 403}
CREATE = {"naccc_staff": 201, "centre_staff": 201, "inspector": 403}


def _request(
    w: World, centre: str = "a", status: str = "in_progress", **fields: object
) -> SubjectRequest:
    target = w.centre_a if centre == "a" else w.centre_b
    person = make_person(w.session, target)
    request = SubjectRequest(
        centre_id=target.id,
        subject_id=person.id,
        kind=fields.pop("kind", "access"),
        status=status,
        requester=fields.pop("requester", "subject"),
        channel="email",
        received_on=date(2026, 11, 2),
        identity_verified_on=date(2026, 11, 2) if status == "in_progress" else None,
        due_on=date(2026, 12, 2),
        **fields,
    )
    w.session.add(request)
    w.session.commit()
    return request


def _action(action: str, body: dict | None = None, status: str = "in_progress", **fields: object):
    def call(w: World, centre: str = "a") -> Call:
        request = _request(w, centre, status, **fields)
        return Call({"request_id": request.id}, json=body, headers={"If-Match": '"1"'})

    return call


def _row(
    action: str, body: dict | None = None, status: str = "in_progress", **fields: object
) -> Row:
    make = _action(action, body, status, **fields)
    return Row(
        "POST",
        f"/api/v1/subject-requests/{{request_id}}/{action}",
        WRITE,
        lambda w: make(w),
        other_centre=lambda w: make(w, "b"),
    )


def _decision(w: World, centre: str = "a") -> Call:
    request = _request(w, centre)
    other = make_person(w.session, w.centre_a if centre == "a" else w.centre_b)
    w.session.commit()
    body = {"person_id": str(other.id), "basis": "consent", "note": "agreed in writing"}
    return Call({"request_id": request.id}, json=body)


def _new(w: World) -> Call:
    person = make_person(w.session, w.centre_a)
    w.session.commit()
    return Call(
        json={
            "subject_id": str(person.id),
            "kind": "access",
            "channel": "email",
            "received_on": "2026-11-02",
        }
    )


def _get(path: str, **fields: object) -> Row:
    """A read of one request (or of something of it): 404 from another centre."""
    return Row(
        "GET",
        f"/api/v1/subject-requests/{{request_id}}{path}",
        READ,
        lambda w: Call({"request_id": _request(w, **fields).id}),
        other_centre=lambda w: Call({"request_id": _request(w, "b", **fields).id}),
    )


def _released(w: World, centre: str = "a") -> Call:
    request = _request(w, centre)
    files = {"package.json": b"{}", "package.csv": b"", "package.html": b""}
    release.store(w.session, request, files, w.staff_a.id)
    w.session.commit()
    return Call({"request_id": request.id})


def _review(w: World, centre: str = "a") -> Call:
    request = _request(w, centre)
    target = w.centre_a if centre == "a" else w.centre_b
    complaint = make_complaint(w.session, target, complainant_id=request.subject_id)
    w.session.commit()
    body = {
        "record_type": "complaint",
        "record_id": str(complaint.id),
        "field": "summary",
        "outcome": "withhold",
        "code": "sch2_para16",
        "note": "names a third party",
    }
    return Call({"request_id": request.id}, json=body)


def _for_child(w: World, centre: str = "a") -> Call:
    target = w.centre_a if centre == "a" else w.centre_b
    parent = make_person(w.session, target)
    request = _request(
        w,
        centre,
        requester="parent",
        requester_basis="mother",
        requester_person_id=parent.id,
        requester_relationship="mother",
        parental_responsibility=True,
    )
    body = {"decision": "disclose", "note": "the child asked for it"}
    return Call({"request_id": request.id}, json=body, headers={"If-Match": '"1"'})


ROWS = [
    Row("GET", "/api/v1/subject-requests", READ),
    Row("POST", "/api/v1/subject-requests", CREATE, _new),
    _get(""),
    _get("/erasure-plan", kind="erasure"),
    _row("verify-identity", {"verified_on": "2026-11-03"}, status="received"),
    _row("pause", {"reason": "which records?"}),
    _row("resume", {}, status="awaiting_clarification", paused_on=date(2026, 11, 5)),
    _row("extend", {"reason": "complex"}),
    _row("complete", kind="objection"),
    _row("refuse", {"reason": "unfounded"}),
    _row("lift-restriction", status="completed", kind="restriction"),
    _row("withdraw"),
    _get("/package"),
    _get("/third-party-decisions"),
    Row(
        "POST",
        "/api/v1/subject-requests/{request_id}/third-party-decisions",
        CREATE,
        _decision,
        other_centre=lambda w: _decision(w, "b"),
    ),
    Row(
        "POST",
        "/api/v1/subject-requests/{request_id}/release",
        CREATE,
        lambda w: Call({"request_id": _request(w).id}),
        other_centre=lambda w: Call({"request_id": _request(w, "b").id}),
    ),
    Row(
        "GET",
        "/api/v1/subject-requests/{request_id}/release",
        READ,
        _released,
        other_centre=lambda w: _released(w, "b"),
    ),
    _get("/review-decisions"),
    Row(
        "POST",
        "/api/v1/subject-requests/{request_id}/review-decisions",
        CREATE,
        _review,
        other_centre=lambda w: _review(w, "b"),
    ),
    Row(
        "POST",
        "/api/v1/subject-requests/{request_id}/best-interests",
        WRITE,
        _for_child,
        other_centre=lambda w: _for_child(w, "b"),
    ),
]
