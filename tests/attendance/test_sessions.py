"""Contact sessions: who may have one, when, and what may be written about it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.cases.factories import (
    add_party,
    assert_problem,
    family,
    make_attendance,
    make_person,
    make_pre_visit,
    make_session,
)
from tests.factories import World

URL = "/api/v1/sessions"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def _headers(world: World, version: int | None = None) -> dict[str, str]:
    return {**world.headers("centre_staff"), **({"If-Match": f'"{version}"'} if version else {})}


def _body(referral_id: object, starts: str = "2026-02-01T10:00:00Z", **fields: object):
    starts_at = datetime.fromisoformat(starts)
    ends = (starts_at + timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    return {"referral_id": str(referral_id), "starts_at": starts, "ends_at": ends, **fields}


def _create(client: TestClient, world: World, body: dict[str, object]):
    return client.post(URL, json=body, headers=_headers(world))


def test_book_a_supervised_session_with_notes(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, contact_type="supervised")
    notes = "Father arrived early; warm greeting; child relaxed"
    response = _create(client, world, _body(f.referral.id, notes=notes))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "scheduled" and body["notes"] == notes
    assert body["starts_at"] == "2026-02-01T10:00:00Z" and body["centre_id"] == str(
        world.centre_a.id
    )
    raw = world.session.execute(text("SELECT notes FROM contact_session")).scalar_one()
    assert notes.encode() not in bytes(raw)
    got = client.get(f"{URL}/{body['id']}", headers=world.headers("inspector"))
    assert got.json() == body and got.headers["etag"] == '"1"'


def test_no_notes_for_supported_contact(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, contact_type="supported")
    response = _create(client, world, _body(f.referral.id, notes="Child happy"))
    assert assert_problem(response, 422, "unprocessable")["errors"][0]["loc"] == ["body", "notes"]
    assert _create(client, world, _body(f.referral.id)).status_code == 201
    contact = make_session(world.session, f.referral)
    world.session.commit()
    update = client.patch(f"{URL}/{contact.id}", json={"notes": "x"}, headers=_headers(world, 1))
    assert_problem(update, 422, "unprocessable")


def test_a_closed_referral_takes_no_new_sessions(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="closed", closed_on=date(2026, 6, 1))
    body = assert_problem(_create(client, world, _body(f.referral.id)), 409, "conflict")
    assert "closed" in body["detail"]


@pytest.mark.parametrize("status", ["received", "pre_visit", "declined", "withdrawn"])
def test_sessions_only_for_an_active_referral(
    client: TestClient, world: World, status: str
) -> None:
    f = family(world.session, world.centre_a, status=status)
    assert_problem(_create(client, world, _body(f.referral.id)), 409, "conflict")


def test_another_centres_referral_is_unknown(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_b)
    other = assert_problem(_create(client, world, _body(f.referral.id)), 422, "unprocessable")
    unknown = assert_problem(_create(client, world, _body(UNKNOWN)), 422, "unprocessable")
    assert other["detail"] == unknown["detail"] and other["errors"] == unknown["errors"]


def test_times_must_make_sense(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a)
    backwards = _body(f.referral.id, ends_at="2026-02-01T09:00:00Z")
    assert assert_problem(_create(client, world, backwards), 422, "unprocessable")["errors"][0][
        "loc"
    ] == ["body", "ends_at"]
    ancient = _body(f.referral.id, starts="1900-02-01T10:00:00+00:00")
    body = assert_problem(_create(client, world, ancient), 422, "validation-error")
    assert [e["loc"] for e in body["errors"]] == [["body", "starts_at"], ["body", "ends_at"]]
    naive = _body(f.referral.id, starts_at="2026-02-01T10:00:00")
    assert_problem(_create(client, world, naive), 422, "validation-error")
    number = _body(f.referral.id, starts_at=1769940000)
    assert_problem(_create(client, world, number), 422, "validation-error")


def test_the_session_day_follows_every_pre_visit(client: TestClient, world: World) -> None:
    """Pre-visits were on 2026-01-12 (factory): a session that day is refused, the next day
    (in Europe/London) is fine."""
    f = family(world.session, world.centre_a)
    same_day = _create(client, world, _body(f.referral.id, starts="2026-01-12T15:00:00+00:00"))
    body = assert_problem(same_day, 422, "unprocessable")
    assert len(body["errors"]) == 2 and body["errors"][0]["loc"] == ["body", "starts_at"]
    next_day = _create(client, world, _body(f.referral.id, starts="2026-01-13T09:00:00+00:00"))
    assert next_day.status_code == 201, next_day.text


def test_the_day_is_the_london_day(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, received_on=date(2026, 6, 1), pre_visits=False)
    for person in (f.resident, f.non_resident):
        make_pre_visit(world.session, f.referral, person, visited_on=date(2026, 6, 10))
    world.session.commit()
    # 22:59 UTC on 10 June is 23:59 BST the same day; 23:30 UTC is 00:30 BST on the 11th.
    late_same_day = _body(f.referral.id, starts="2026-06-10T22:59:00+00:00")
    assert_problem(_create(client, world, late_same_day), 422, "unprocessable")
    after_midnight = _body(f.referral.id, starts="2026-06-10T23:30:00+00:00")
    assert _create(client, world, after_midnight).status_code == 201


def test_every_visiting_adult_needs_a_pre_visit(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a)
    partner = make_person(world.session, world.centre_a, full_name="New Partner")
    add_party(world.session, f.referral, partner, "other_adult")
    world.session.commit()
    body = assert_problem(_create(client, world, _body(f.referral.id)), 422, "unprocessable")
    assert body["errors"] == [
        {
            "loc": ["body", "starts_at"],
            "msg": f"no earlier pre-visit for person {partner.id}",
            "type": "value_error",
        }
    ]
    make_pre_visit(world.session, f.referral, partner, visited_on=date(2026, 1, 20))
    world.session.commit()
    assert _create(client, world, _body(f.referral.id)).status_code == 201


def test_a_pre_visit_without_signed_ground_rules_does_not_count(
    client: TestClient, world: World
) -> None:
    f = family(world.session, world.centre_a, pre_visits=False)
    make_pre_visit(world.session, f.referral, f.resident)
    make_pre_visit(world.session, f.referral, f.non_resident, ground_rules_signed=False)
    world.session.commit()
    assert_problem(_create(client, world, _body(f.referral.id)), 422, "unprocessable")


def test_status_moves(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a)
    held = make_session(world.session, f.referral)
    cancelled = make_session(world.session, f.referral)
    world.session.commit()
    ok = client.patch(f"{URL}/{held.id}", json={"status": "held"}, headers=_headers(world, 1))
    assert ok.status_code == 200 and ok.json()["status"] == "held"
    back = client.patch(
        f"{URL}/{held.id}", json={"status": "scheduled"}, headers=_headers(world, 2)
    )
    assert_problem(back, 409, "conflict")
    client.patch(f"{URL}/{cancelled.id}", json={"status": "cancelled"}, headers=_headers(world, 1))
    revive = client.patch(
        f"{URL}/{cancelled.id}", json={"status": "held"}, headers=_headers(world, 2)
    )
    assert_problem(revive, 409, "conflict")
    assert_problem(
        client.patch(f"{URL}/{held.id}", json={"status": "held"}, headers=_headers(world)), 428
    )
    assert_problem(
        client.patch(f"{URL}/{held.id}", json={"status": "held"}, headers=_headers(world, 1)), 412
    )


def test_moving_a_session_is_checked_again(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a)
    contact = make_session(world.session, f.referral)
    world.session.commit()
    onto_visit_day = {"starts_at": "2026-01-12T10:00:00Z", "ends_at": "2026-01-12T12:00:00Z"}
    assert_problem(
        client.patch(f"{URL}/{contact.id}", json=onto_visit_day, headers=_headers(world, 1)), 422
    )
    backwards = {"ends_at": "2026-01-17T09:00:00Z"}
    assert_problem(
        client.patch(f"{URL}/{contact.id}", json=backwards, headers=_headers(world, 1)), 422
    )
    moved = {"starts_at": "2026-01-18T10:00:00Z", "ends_at": "2026-01-18T12:00:00Z"}
    response = client.patch(f"{URL}/{contact.id}", json=moved, headers=_headers(world, 1))
    assert response.status_code == 200 and response.json()["starts_at"] == "2026-01-18T10:00:00Z"
    assert_problem(
        client.patch(f"{URL}/{contact.id}", json={"status": None}, headers=_headers(world, 2)), 422
    )


def test_delete_only_a_scheduled_session_without_attendance(
    client: TestClient, world: World
) -> None:
    f = family(world.session, world.centre_a)
    booked = make_session(world.session, f.referral)
    held = make_session(world.session, f.referral, status="held")
    with_attendance = make_session(world.session, f.referral)
    make_attendance(world.session, with_attendance, f.child)
    world.session.commit()
    assert_problem(client.delete(f"{URL}/{booked.id}", headers=_headers(world)), 428)
    assert client.delete(f"{URL}/{booked.id}", headers=_headers(world, 1)).status_code == 204
    assert_problem(client.get(f"{URL}/{booked.id}", headers=_headers(world)), 404)
    assert_problem(client.delete(f"{URL}/{held.id}", headers=_headers(world, 1)), 409)
    assert_problem(client.delete(f"{URL}/{with_attendance.id}", headers=_headers(world, 1)), 409)


def test_list_is_ordered_by_start_and_filtered(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a)
    start = datetime(2026, 2, 1, 10, tzinfo=UTC)
    later = make_session(world.session, f.referral, starts_at=start + timedelta(days=7))
    sooner = make_session(world.session, f.referral, starts_at=start, status="held")
    other = family(world.session, world.centre_b)
    make_session(world.session, other.referral)
    world.session.commit()
    headers = _headers(world)

    def ids(**params: object) -> list[str]:
        response = client.get(URL, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [s["id"] for s in response.json()["items"]]

    assert ids() == [str(sooner.id), str(later.id)]
    assert ids(status="held") == [str(sooner.id)]
    assert ids(referral_id=str(f.referral.id), starts_from="2026-02-02T00:00:00Z") == [
        str(later.id)
    ]
    assert ids(starts_to="2026-02-02T00:00:00Z") == [str(sooner.id)]
    page = client.get(URL, params={"limit": 1}, headers=headers).json()
    assert [s["id"] for s in page["items"]] == [str(sooner.id)]
    rest = client.get(
        URL, params={"limit": 1, "cursor": page["next_cursor"]}, headers=headers
    ).json()
    assert [s["id"] for s in rest["items"]] == [str(later.id)] and rest["next_cursor"] is None
    assert_problem(client.get(URL, params={"starts_from": "soon"}, headers=headers), 422)
    # Valid ISO 8601, but outside the session years the contract's pattern states (the first
    # one is before year 1 in UTC): a validation problem naming the parameter, never a 500.
    for bound in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"):
        response = client.get(URL, params={"starts_from": bound}, headers=headers)
        body = assert_problem(response, 422, "validation-error")
        assert [e["loc"] for e in body["errors"]] == [["query", "starts_from"]]
