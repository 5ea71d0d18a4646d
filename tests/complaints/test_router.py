"""Complaints: lifecycle, follow-up due dates in working days, the overdue filter, every rule."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.complaints.service import add_working_days, follow_up_due_on
from app.db import utcnow
from app.people.service import today
from tests.cases.factories import assert_problem, make_complaint, make_person
from tests.factories import World

URL = "/api/v1/complaints"


def _headers(world: World, version: int | None = None, role: str = "centre_staff") -> dict:
    return {**world.headers(role), **({"If-Match": f'"{version}"'} if version else {})}


def _body(world: World, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "centre_id": str(world.centre_a.id),
        "about": "centre",
        "kind": "formal",
        "channel": "written",
        "summary": "Mr Example says the handover was unsupervised",
        "received_on": "2026-02-02",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def _create(client: TestClient, world: World, **fields: Any):
    return client.post(URL, json=_body(world, **fields), headers=_headers(world))


def _step(client: TestClient, world: World, complaint_id: object, step: str, version: int, **kw):
    return client.post(f"{URL}/{complaint_id}/{step}", headers=_headers(world, version), **kw)


def _field(body: dict[str, Any]) -> str:
    return body["errors"][0]["loc"][-1]


# --- working days and the follow-up rule ------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 2, 2), 20, date(2026, 3, 2)),  # Monday: four plain weeks
        (date(2026, 3, 27), 5, date(2026, 4, 7)),  # Good Friday 3 Apr, Easter Monday 6 Apr
        (date(2026, 12, 18), 5, date(2026, 12, 29)),  # Christmas 25, Boxing Day moved to 28
        (date(2026, 2, 7), 1, date(2026, 2, 9)),  # received on a Saturday
    ],
)
def test_working_days_skip_weekends_and_bank_holidays(
    start: date, days: int, expected: date
) -> None:
    assert add_working_days(start, days) == expected


def test_only_formal_written_complaints_have_a_follow_up() -> None:
    day = date(2026, 2, 2)
    assert follow_up_due_on("formal", "written", day, 20) == date(2026, 3, 2)
    assert follow_up_due_on("formal", "email", day, 20) == date(2026, 3, 2)
    for kind, channel in (("formal", "phone"), ("formal", "in_person"), ("intent", "written")):
        assert follow_up_due_on(kind, channel, day, 20) is None


def test_create_sets_the_follow_up_and_encrypts(client: TestClient, world: World) -> None:
    response = _create(client, world)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "received"
    assert created["follow_up_due_on"] == "2026-03-02"
    assert created["resolved_on"] is None and created["closed_on"] is None
    summaries = world.session.execute(text("SELECT summary FROM complaint")).scalars().all()
    assert summaries and all(b"handover" not in bytes(raw) for raw in summaries)
    phone = _create(client, world, channel="phone").json()
    assert phone["follow_up_due_on"] is None


def test_the_follow_up_period_is_a_setting(app, client: TestClient, world: World) -> None:
    settings = app.state.settings
    before = settings.complaint_follow_up_working_days
    settings.complaint_follow_up_working_days = 10
    try:
        created = _create(client, world).json()
    finally:
        settings.complaint_follow_up_working_days = before
    assert created["follow_up_due_on"] == "2026-02-16"


def test_the_follow_up_moves_with_kind_channel_and_receipt(
    client: TestClient, world: World
) -> None:
    complaint = make_complaint(world.session, world.centre_a, kind="intent", channel="phone")
    world.session.commit()
    url = f"{URL}/{complaint.id}"
    formal = client.patch(url, json={"kind": "formal"}, headers=_headers(world, 1)).json()
    assert formal["follow_up_due_on"] is None  # still by phone
    written = client.patch(url, json={"channel": "email"}, headers=_headers(world, 2)).json()
    assert written["follow_up_due_on"] == "2026-03-02"
    moved = client.patch(url, json={"received_on": "2026-02-03"}, headers=_headers(world, 3))
    assert moved.json()["follow_up_due_on"] == "2026-03-03"
    # The due date is not typed in.
    assert_problem(
        client.patch(url, json={"follow_up_due_on": "2026-05-01"}, headers=_headers(world, 4)),
        422,
    )


def test_follow_up_done_only_when_there_is_one(client: TestClient, world: World) -> None:
    phone = make_complaint(world.session, world.centre_a, channel="phone")
    written = make_complaint(world.session, world.centre_a, follow_up_due_on=date(2026, 3, 2))
    world.session.commit()
    body = assert_problem(
        client.patch(
            f"{URL}/{phone.id}",
            json={"follow_up_done_on": "2026-02-10"},
            headers=_headers(world, 1),
        ),
        422,
        "unprocessable",
    )
    assert _field(body) == "follow_up_done_on"
    for bad in ("2026-02-01", (today() + timedelta(days=1)).isoformat()):
        assert_problem(
            client.patch(
                f"{URL}/{written.id}", json={"follow_up_done_on": bad}, headers=_headers(world, 1)
            ),
            422,
            "unprocessable",
        )
    done = client.patch(
        f"{URL}/{written.id}", json={"follow_up_done_on": "2026-02-10"}, headers=_headers(world, 1)
    )
    assert done.status_code == 200 and done.json()["follow_up_done_on"] == "2026-02-10"
    # It cannot stop needing a follow-up while one is recorded.
    assert_problem(
        client.patch(f"{URL}/{written.id}", json={"channel": "phone"}, headers=_headers(world, 2)),
        422,
        "unprocessable",
    )
    cleared = client.patch(
        f"{URL}/{written.id}",
        json={"channel": "phone", "follow_up_done_on": None},
        headers=_headers(world, 2),
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["follow_up_due_on"] is None


def test_the_overdue_filter(client: TestClient, world: World) -> None:
    past = today() - timedelta(days=1)
    overdue = make_complaint(world.session, world.centre_a, follow_up_due_on=past)
    make_complaint(world.session, world.centre_a, follow_up_due_on=past, follow_up_done_on=past)
    make_complaint(
        world.session, world.centre_a, follow_up_due_on=past, status="withdrawn", closed_on=past
    )
    make_complaint(world.session, world.centre_a, follow_up_due_on=today())  # due today
    make_complaint(world.session, world.centre_a, channel="phone")
    world.session.commit()
    listed = client.get(URL, params={"follow_up_overdue": "true"}, headers=_headers(world))
    assert [c["id"] for c in listed.json()["items"]] == [str(overdue.id)]
    others = client.get(URL, params={"follow_up_overdue": "false"}, headers=_headers(world))
    assert len(others.json()["items"]) == 4


def test_list_filters(client: TestClient, world: World) -> None:
    person = make_person(world.session, world.centre_a)
    make_complaint(
        world.session, world.centre_a, complainant_id=person.id, about="naccc", kind="intent"
    )
    make_complaint(world.session, world.centre_a, channel="email", received_on=date(2026, 3, 1))
    make_complaint(world.session, world.centre_b)
    world.session.commit()
    for params, count in (
        ({}, 2),
        ({"complainant_id": str(person.id)}, 1),
        ({"about": "naccc"}, 1),
        ({"kind": "formal"}, 1),
        ({"channel": "email"}, 1),
        ({"status": "received"}, 2),
        ({"received_from": "2026-02-15"}, 1),
        ({"received_to": "2026-02-15"}, 1),
        ({"referred_to_ico": "true"}, 0),
    ):
        items = client.get(URL, params=params, headers=_headers(world)).json()["items"]
        assert len(items) == count, params
    assert client.get(URL, headers=_headers(world, None, "naccc_staff")).json()["items"]


# --- lifecycle ------------------------------------------------------------


def test_the_whole_lifecycle(client: TestClient, world: World) -> None:
    complaint = make_complaint(world.session, world.centre_a)
    world.session.commit()
    acked = _step(client, world, complaint.id, "acknowledge", 1, json={"on": "2026-02-03"})
    assert acked.status_code == 200, acked.text
    assert acked.json()["status"] == "acknowledged"
    assert acked.json()["acknowledged_on"] == "2026-02-03"
    investigating = _step(client, world, complaint.id, "investigate", 2)
    assert investigating.json()["status"] == "investigating"
    resolved = _step(
        client,
        world,
        complaint.id,
        "resolve",
        3,
        json={"outcome": "Apology; new handover rota", "referred_to_ico": False},
    )
    assert resolved.status_code == 200, resolved.text
    data = resolved.json()
    assert data["status"] == "resolved"
    assert data["resolved_on"] == today().isoformat() == data["closed_on"]
    assert data["outcome"] == "Apology; new handover rota"
    # After resolution: outcome, follow-up done date and ICO referral only.
    url = f"{URL}/{complaint.id}"
    ok = client.patch(url, json={"referred_to_ico": True}, headers=_headers(world, 4))
    assert ok.status_code == 200 and ok.json()["referred_to_ico"] is True
    assert_problem(
        client.patch(url, json={"summary": "changed"}, headers=_headers(world, 5)), 409, "conflict"
    )
    assert_problem(
        client.patch(url, json={"outcome": None}, headers=_headers(world, 5)),
        422,
        "validation-error",
    )
    assert_problem(
        client.patch(url, json={"resolved_on": "2026-02-10"}, headers=_headers(world, 5)), 422
    )


@pytest.mark.parametrize(
    ("status", "step"),
    [
        ("received", "investigate"),
        ("received", "resolve"),
        ("acknowledged", "acknowledge"),
        ("acknowledged", "resolve"),
        ("investigating", "acknowledge"),
        ("resolved", "withdraw"),
        ("resolved", "resolve"),
        ("withdrawn", "acknowledge"),
        ("withdrawn", "withdraw"),
    ],
)
def test_any_other_move_is_409(client: TestClient, world: World, status: str, step: str) -> None:
    complaint = make_complaint(world.session, world.centre_a, status=status)
    world.session.commit()
    kwargs = {"json": {"outcome": "Done"}} if step == "resolve" else {}
    assert_problem(_step(client, world, complaint.id, step, 1, **kwargs), 409, "conflict")


@pytest.mark.parametrize("status", ["received", "acknowledged", "investigating"])
def test_withdrawal_sets_the_closed_date(client: TestClient, world: World, status: str) -> None:
    complaint = make_complaint(world.session, world.centre_a, status=status)
    world.session.commit()
    response = _step(client, world, complaint.id, "withdraw", 1)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "withdrawn"
    assert response.json()["closed_on"] == today().isoformat()
    assert response.json()["resolved_on"] is None


def test_step_dates_lie_between_the_previous_step_and_today(
    client: TestClient, world: World
) -> None:
    complaint = make_complaint(world.session, world.centre_a)
    ackd = make_complaint(
        world.session, world.centre_a, status="investigating", acknowledged_on=date(2026, 2, 5)
    )
    world.session.commit()
    tomorrow = (today() + timedelta(days=1)).isoformat()
    for on in ("2026-02-01", tomorrow):
        body = assert_problem(
            _step(client, world, complaint.id, "acknowledge", 1, json={"on": on}),
            422,
            "unprocessable",
        )
        assert _field(body) == "on"
    assert_problem(
        _step(client, world, ackd.id, "resolve", 1, json={"outcome": "x", "on": "2026-02-04"}),
        422,
        "unprocessable",
    )
    assert_problem(
        _step(client, world, ackd.id, "withdraw", 1, json={"on": "2026-02-04"}),
        422,
        "unprocessable",
    )


def test_resolve_needs_an_outcome(client: TestClient, world: World) -> None:
    complaint = make_complaint(world.session, world.centre_a, status="investigating")
    world.session.commit()
    assert_problem(_step(client, world, complaint.id, "resolve", 1, json={}), 422)
    assert_problem(_step(client, world, complaint.id, "resolve", 1, json={"outcome": ""}), 422)


def test_steps_and_patch_need_if_match(client: TestClient, world: World) -> None:
    complaint = make_complaint(world.session, world.centre_a)
    world.session.commit()
    no_version = client.post(f"{URL}/{complaint.id}/acknowledge", headers=_headers(world))
    assert_problem(no_version, 428)
    assert_problem(_step(client, world, complaint.id, "acknowledge", 3), 412)
    assert_problem(
        client.patch(f"{URL}/{complaint.id}", json={"summary": "x"}, headers=_headers(world)),
        428,
    )


def test_an_outcome_only_after_resolution(client: TestClient, world: World) -> None:
    complaint = make_complaint(world.session, world.centre_a, status="investigating")
    world.session.commit()
    response = client.patch(
        f"{URL}/{complaint.id}", json={"outcome": "Early"}, headers=_headers(world, 1)
    )
    assert_problem(response, 409, "conflict")


# --- complainant and other rules ------------------------------------------------------


def test_the_complainant_is_a_person_of_the_centre(client: TestClient, world: World) -> None:
    stranger = make_person(world.session, world.centre_b)
    person = make_person(world.session, world.centre_a)
    world.session.commit()
    for role in ("centre_staff", "naccc_staff"):
        body = assert_problem(
            client.post(
                URL,
                json=_body(world, complainant_id=str(stranger.id)),
                headers=_headers(world, None, role),
            ),
            422,
            "unprocessable",
        )
        assert _field(body) == "complainant_id"
    created = _create(client, world, complainant_id=str(person.id))
    assert created.status_code == 201
    assert created.json()["complainant_id"] == str(person.id)
    patched = client.patch(
        f"{URL}/{created.json()['id']}",
        json={"complainant_id": str(stranger.id)},
        headers=_headers(world, 1),
    )
    assert_problem(patched, 422, "unprocessable")


def test_a_restricted_complainant_is_not_written_to(client: TestClient, world: World) -> None:
    restricted = make_person(
        world.session,
        world.centre_a,
        processing_restricted=True,
        processing_restricted_since=utcnow(),
    )
    complaint = make_complaint(world.session, world.centre_a, complainant_id=restricted.id)
    world.session.commit()
    assert_problem(_create(client, world, complainant_id=str(restricted.id)), 409, "conflict")
    assert_problem(_step(client, world, complaint.id, "acknowledge", 1), 409, "conflict")


def test_received_on_rules(client: TestClient, world: World) -> None:
    tomorrow = (today() + timedelta(days=1)).isoformat()
    body = assert_problem(_create(client, world, received_on=tomorrow), 422, "unprocessable")
    assert _field(body) == "received_on"
    complaint = make_complaint(
        world.session, world.centre_a, status="acknowledged", acknowledged_on=date(2026, 2, 5)
    )
    world.session.commit()
    response = client.patch(
        f"{URL}/{complaint.id}", json={"received_on": "2026-02-06"}, headers=_headers(world, 1)
    )
    assert _field(assert_problem(response, 422, "unprocessable")) == "received_on"


def test_another_centre_in_the_body_is_unknown(client: TestClient, world: World) -> None:
    response = _create(client, world, centre_id=str(world.centre_b.id))
    assert_problem(response, 422, "unprocessable")


def test_complaints_cannot_be_deleted(client: TestClient, world: World) -> None:
    complaint = make_complaint(world.session, world.centre_a)
    world.session.commit()
    response = client.delete(f"{URL}/{complaint.id}", headers=_headers(world, 1, "naccc_staff"))
    assert_problem(response, 405)
