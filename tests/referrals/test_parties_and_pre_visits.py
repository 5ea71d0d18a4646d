"""Parties (people and their role in a referral) and pre-visits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.db import utcnow
from app.people.service import today
from tests.cases.factories import (
    add_party,
    assert_problem,
    family,
    make_attendance,
    make_child,
    make_person,
    make_referral,
    make_session,
)
from tests.factories import World

URL = "/api/v1/referrals/{}"


def _headers(world: World, version: int | None = None) -> dict[str, str]:
    return {**world.headers("centre_staff"), **({"If-Match": f'"{version}"'} if version else {})}


def _add(client: TestClient, world: World, referral_id: object, person_id: object, role: str):
    return client.post(
        URL.format(referral_id) + "/parties",
        json={"person_id": str(person_id), "role": role},
        headers=_headers(world),
    )


# --- parties ------------------------------------------------------------


def test_add_and_list_parties(client: TestClient, world: World) -> None:
    referral = make_referral(world.session, world.centre_a)
    parent = make_person(world.session, world.centre_a)
    child = make_child(world.session, world.centre_a)
    world.session.commit()
    added = _add(client, world, referral.id, parent.id, "resident_parent")
    assert added.status_code == 201, added.text
    assert added.json()["role"] == "resident_parent"
    assert added.json()["centre_id"] == str(world.centre_a.id)
    assert _add(client, world, referral.id, child.id, "child").status_code == 201
    # A parent who referred themselves is also the referrer.
    assert _add(client, world, referral.id, parent.id, "referrer").status_code == 201
    listed = client.get(URL.format(referral.id) + "/parties", headers=_headers(world)).json()
    assert len(listed["items"]) == 3
    children = client.get(
        URL.format(referral.id) + "/parties", params={"role": "child"}, headers=_headers(world)
    ).json()
    assert [p["person_id"] for p in children["items"]] == [str(child.id)]


def test_a_person_of_another_centre_is_unknown(client: TestClient, world: World) -> None:
    referral = make_referral(world.session, world.centre_a)
    stranger = make_person(world.session, world.centre_b)
    world.session.commit()
    body = assert_problem(
        _add(client, world, referral.id, stranger.id, "other_adult"), 422, "unprocessable"
    )
    assert body["errors"][0]["loc"] == ["body", "person_id"]
    # Even NACCC staff, who see both centres, cannot mix centres in one referral.
    response = client.post(
        URL.format(referral.id) + "/parties",
        json={"person_id": str(stranger.id), "role": "other_adult"},
        headers=world.headers("naccc_staff"),
    )
    assert_problem(response, 422, "unprocessable")


def test_a_child_party_needs_a_date_of_birth(client: TestClient, world: World) -> None:
    referral = make_referral(world.session, world.centre_a)
    child = make_child(world.session, world.centre_a, date_of_birth=None)
    world.session.commit()
    body = assert_problem(_add(client, world, referral.id, child.id, "child"), 422, "unprocessable")
    assert "date of birth" in body["detail"]


def test_same_person_and_role_twice_is_409(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="received", pre_visits=False)
    response = _add(client, world, f.referral.id, f.resident.id, "resident_parent")
    assert_problem(response, 409, "conflict")


def test_child_and_adult_at_once_is_refused(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="received", pre_visits=False)
    assert_problem(
        _add(client, world, f.referral.id, f.child.id, "other_adult"), 422, "unprocessable"
    )
    assert_problem(_add(client, world, f.referral.id, f.resident.id, "child"), 422, "unprocessable")


def test_bad_role_is_a_validation_problem(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="received", pre_visits=False)
    assert_problem(
        _add(client, world, f.referral.id, f.child.id, "grandparent"), 422, "validation-error"
    )


@pytest.mark.parametrize("status", ["closed", "declined", "withdrawn"])
def test_a_finished_referral_takes_no_parties(
    client: TestClient, world: World, status: str
) -> None:
    f = family(world.session, world.centre_a, status=status)
    extra = make_person(world.session, world.centre_a)
    world.session.commit()
    assert_problem(_add(client, world, f.referral.id, extra.id, "other_adult"), 409, "conflict")
    party = f.parties["child"].id
    response = client.delete(
        URL.format(f.referral.id) + f"/parties/{party}", headers=_headers(world)
    )
    assert_problem(response, 409, "conflict")


def test_a_restricted_person_is_not_added(client: TestClient, world: World) -> None:
    referral = make_referral(world.session, world.centre_a)
    person = make_person(
        world.session,
        world.centre_a,
        processing_restricted=True,
        processing_restricted_since=utcnow(),
    )
    world.session.commit()
    assert_problem(_add(client, world, referral.id, person.id, "other_adult"), 409, "conflict")


def test_remove_a_party(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="received", pre_visits=False)
    url = URL.format(f.referral.id) + "/parties/{}"
    assert (
        client.delete(url.format(f.parties["child"].id), headers=_headers(world)).status_code == 204
    )
    assert_problem(client.delete(url.format(f.parties["child"].id), headers=_headers(world)), 404)
    # A party id of another referral is not found on this one.
    other = family(world.session, world.centre_a, status="received", pre_visits=False)
    assert_problem(
        client.delete(url.format(other.parties["child"].id), headers=_headers(world)), 404
    )


def test_an_accepted_referral_keeps_both_parents(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="pre_visit", pre_visits=False)
    url = URL.format(f.referral.id) + "/parties/{}"
    response = client.delete(
        url.format(f.parties["non_resident_parent"].id), headers=_headers(world)
    )
    assert_problem(response, 409, "conflict")


def test_a_party_with_a_pre_visit_or_attendance_stays(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="active")
    other_adult = make_person(world.session, world.centre_a)
    extra = add_party(world.session, f.referral, other_adult, "other_adult")
    contact = make_session(world.session, f.referral, status="held")
    make_attendance(world.session, contact, f.child)
    world.session.commit()
    url = URL.format(f.referral.id) + "/parties/{}"
    assert_problem(client.delete(url.format(f.parties["child"].id), headers=_headers(world)), 409)
    assert client.delete(url.format(extra.id), headers=_headers(world)).status_code == 204


# --- pre-visits ------------------------------------------------------------


def _visit(world: World, person_id: object, **fields: object) -> dict[str, object]:
    return {
        "person_id": str(person_id),
        "visited_on": "2026-01-12",
        "ground_rules_explained": True,
        "ground_rules_signed": True,
        "risk_assessment_done": True,
        "child_prepared": False,
        "completed_by": "Centre Coordinator",
        **fields,
    }


def _post_visit(client: TestClient, world: World, referral_id: object, body: dict[str, object]):
    return client.post(URL.format(referral_id) + "/pre-visits", json=body, headers=_headers(world))


def test_record_a_pre_visit(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="pre_visit", pre_visits=False)
    concerns = "Mother worried about handover; staff to escort"
    response = _post_visit(
        client, world, f.referral.id, _visit(world, f.resident.id, concerns=concerns)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["concerns"] == concerns and body["risk_assessment_done"] is True
    assert body["referral_id"] == str(f.referral.id) and body["centre_id"] == str(world.centre_a.id)
    raw = world.session.execute(text("SELECT concerns FROM pre_visit")).scalar_one()
    assert concerns.encode() not in bytes(raw)
    got = client.get(
        URL.format(f.referral.id) + f"/pre-visits/{body['id']}", headers=_headers(world)
    )
    assert got.json() == body and got.headers["etag"] == '"1"'
    listed = client.get(
        URL.format(f.referral.id) + "/pre-visits",
        params={"person_id": str(f.resident.id)},
        headers=_headers(world),
    ).json()
    assert [v["id"] for v in listed["items"]] == [body["id"]]


def test_one_pre_visit_per_adult(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="pre_visit")
    assert_problem(
        _post_visit(client, world, f.referral.id, _visit(world, f.resident.id)), 409, "conflict"
    )


@pytest.mark.parametrize("who", ["child", "stranger", "referrer"])
def test_pre_visit_only_for_an_adult_party(client: TestClient, world: World, who: str) -> None:
    f = family(world.session, world.centre_a, status="pre_visit", pre_visits=False)
    person = {"child": f.child}.get(who) or make_person(world.session, world.centre_a)
    if who == "referrer":
        add_party(world.session, f.referral, person, "referrer")
    world.session.commit()
    body = assert_problem(
        _post_visit(client, world, f.referral.id, _visit(world, person.id)), 422, "unprocessable"
    )
    assert body["errors"][0]["loc"] == ["body", "person_id"]


@pytest.mark.parametrize("status", ["received", "closed", "declined", "withdrawn"])
def test_pre_visits_follow_acceptance(client: TestClient, world: World, status: str) -> None:
    f = family(world.session, world.centre_a, status=status, pre_visits=False)
    assert_problem(
        _post_visit(client, world, f.referral.id, _visit(world, f.resident.id)), 409, "conflict"
    )


def test_pre_visit_day_between_receipt_and_today(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="pre_visit", pre_visits=False)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    for day in ("2026-01-04", tomorrow):
        response = _post_visit(
            client, world, f.referral.id, _visit(world, f.resident.id, visited_on=day)
        )
        assert assert_problem(response, 422, "unprocessable")["errors"][0]["loc"] == [
            "body",
            "visited_on",
        ]


def test_pre_visit_needs_who_completed_it(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="pre_visit", pre_visits=False)
    body = _visit(world, f.resident.id)
    del body["completed_by"]
    assert_problem(_post_visit(client, world, f.referral.id, body), 422, "validation-error")


def test_update_a_pre_visit(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="pre_visit")
    url = URL.format(f.referral.id) + f"/pre-visits/{f.pre_visits[0].id}"
    assert_problem(client.patch(url, json={"child_prepared": True}, headers=_headers(world)), 428)
    assert_problem(
        client.patch(url, json={"child_prepared": True}, headers=_headers(world, 5)), 412
    )
    ok = client.patch(
        url, json={"child_prepared": True, "concerns": "None"}, headers=_headers(world, 1)
    )
    assert (
        ok.status_code == 200
        and ok.json()["child_prepared"] is True
        and ok.headers["etag"] == '"2"'
    )
    null = client.patch(url, json={"completed_by": None}, headers=_headers(world, 2))
    assert assert_problem(null, 422, "validation-error")["errors"][0]["loc"][-1] == "completed_by"
    other = family(world.session, world.centre_a, status="pre_visit")
    wrong = URL.format(other.referral.id) + f"/pre-visits/{f.pre_visits[0].id}"
    assert_problem(client.get(wrong, headers=_headers(world)), 404, "not-found")
