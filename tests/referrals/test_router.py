"""Referrals: references, SRS rules, the status machine, the human decision, closing, versions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.db import utcnow
from app.people.service import today
from app.referrals.models import PreVisit
from app.security import tokens
from tests.cases.factories import (
    assert_problem,
    family,
    make_person,
    make_pre_visit,
    make_referral,
    make_session,
)
from tests.factories import World, bearer

URL = "/api/v1/referrals"


def _body(world: World, **fields: object) -> dict[str, object]:
    return {
        "centre_id": str(world.centre_a.id),
        "source": "self",
        "contact_type": "supported",
        "received_on": "2026-03-01",
        **fields,
    }


def _create(client: TestClient, world: World, role: str = "centre_staff", **fields: object):
    return client.post(URL, json=_body(world, **fields), headers=world.headers(role))


def _headers(world: World, version: int | None = 1, role: str = "centre_staff") -> dict[str, str]:
    extra = {"If-Match": f'"{version}"'} if version is not None else {}
    return {**world.headers(role), **extra}


# --- references ------------------------------------------------------------


def test_reference_is_generated_per_centre_and_year(client: TestClient, world: World) -> None:
    year = utcnow().year
    first = _create(client, world)
    second = _create(client, world)
    other = _create(client, world, role="naccc_staff", centre_id=str(world.centre_b.id))
    assert first.status_code == 201, first.text
    assert first.json()["reference"] == f"AA-{year}-0001"
    assert second.json()["reference"] == f"AA-{year}-0002"
    assert other.json()["reference"] == f"BB-{year}-0001"
    found = client.get(
        URL, params={"reference": f"AA-{year}-0002"}, headers=world.headers("centre_staff")
    )
    assert [r["id"] for r in found.json()["items"]] == [second.json()["id"]]


def test_a_new_referral_is_received_and_undecided(client: TestClient, world: World) -> None:
    body = _create(client, world, has_court_order=True).json()
    assert body["status"] == "received"
    assert body["decision"] is None and body["decided_by_id"] is None and body["decided_at"] is None
    assert body["closed_on"] is None and body["has_court_order"] is True


# --- SRS ------------------------------------------------------------------------------------


def test_srs_referral_with_reference_received_by_the_cutoff(
    client: TestClient, world: World
) -> None:
    response = _create(
        client, world, source="srs", srs_reference="CR1234-ABCD-5678", received_on="2024-02-23"
    )
    assert response.status_code == 201, response.text
    assert response.json()["srs_reference"] == "CR1234-ABCD-5678"


def test_srs_referral_after_the_cutoff_is_refused(client: TestClient, world: World) -> None:
    response = _create(
        client, world, source="srs", srs_reference="CR1234-ABCD-5678", received_on="2024-02-24"
    )
    body = assert_problem(response, 422, "unprocessable")
    assert body["errors"][0]["loc"] == ["body", "received_on"]
    assert "2024-02-23" in body["detail"]


def test_srs_referral_needs_its_reference(client: TestClient, world: World) -> None:
    body = assert_problem(
        _create(client, world, source="srs", received_on="2023-06-01"), 422, "unprocessable"
    )
    assert body["errors"][0]["loc"] == ["body", "srs_reference"]


def test_srs_reference_only_for_srs(client: TestClient, world: World) -> None:
    body = assert_problem(
        _create(client, world, srs_reference="CR1234-ABCD-5678"), 422, "unprocessable"
    )
    assert body["errors"][0]["loc"] == ["body", "srs_reference"]


@pytest.mark.parametrize(
    "reference",
    [
        "CR1234ABCD5678",
        "CR123-ABCD-5678",
        "cr1234-abcd-5678",
        "XX1234-ABCD-5678",
        "CR1234-ABCD-5678-",
        "CR1234-AB D-5678",
    ],
)
def test_srs_reference_format(client: TestClient, world: World, reference: str) -> None:
    response = _create(
        client, world, source="srs", srs_reference=reference, received_on="2023-06-01"
    )
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["loc"] == ["body", "srs_reference"]


def test_changing_to_srs_is_checked_too(client: TestClient, world: World) -> None:
    referral_id = _create(client, world).json()["id"]
    response = client.patch(
        f"{URL}/{referral_id}",
        json={"source": "srs", "srs_reference": "CR1234-ABCD-5678"},
        headers=_headers(world),
    )
    assert_problem(response, 422, "unprocessable")


def test_received_on_in_the_future_is_refused(client: TestClient, world: World) -> None:
    tomorrow = (today() + timedelta(days=1)).isoformat()
    body = assert_problem(_create(client, world, received_on=tomorrow), 422, "unprocessable")
    assert body["errors"][0]["loc"] == ["body", "received_on"]


def test_bad_enums_and_types_are_validation_problems(client: TestClient, world: World) -> None:
    assert_problem(_create(client, world, source="email"), 422, "validation-error")
    assert_problem(_create(client, world, contact_type="remote"), 422, "validation-error")
    assert_problem(_create(client, world, has_court_order="maybe"), 422, "validation-error")
    assert_problem(_create(client, world, received_on="yesterday"), 422, "validation-error")
    assert_problem(_create(client, world, status="active"), 422, "validation-error")
    assert_problem(_create(client, world, reference="AA-2026-9999"), 422, "validation-error")


# --- status machine ------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("received", "pre_visit"),
        ("received", "declined"),
        ("received", "active"),
        ("received", "closed"),
        ("pre_visit", "received"),
        ("pre_visit", "closed"),
        ("active", "pre_visit"),
        ("active", "received"),
        ("active", "closed"),
        ("closed", "active"),
        ("closed", "withdrawn"),
        ("declined", "received"),
        ("withdrawn", "active"),
    ],
)
def test_status_moves_outside_the_lifecycle_are_409(
    client: TestClient, world: World, start: str, target: str
) -> None:
    f = family(world.session, world.centre_a, status=start)
    response = client.patch(
        f"{URL}/{f.referral.id}", json={"status": target}, headers=_headers(world)
    )
    assert_problem(response, 409, "conflict")
    assert client.get(f"{URL}/{f.referral.id}", headers=_headers(world)).json()["status"] == start


@pytest.mark.parametrize("start", ["received", "pre_visit", "active"])
def test_an_open_referral_can_be_withdrawn(client: TestClient, world: World, start: str) -> None:
    f = family(world.session, world.centre_a, status=start)
    response = client.patch(
        f"{URL}/{f.referral.id}", json={"status": "withdrawn"}, headers=_headers(world)
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "withdrawn"
    assert response.json()["closed_on"] == today().isoformat()


def test_activation_needs_every_visiting_adults_pre_visit(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="pre_visit", pre_visits=False)
    url = f"{URL}/{f.referral.id}"
    body = assert_problem(
        client.patch(url, json={"status": "active"}, headers=_headers(world)), 422, "unprocessable"
    )
    assert len(body["errors"]) == 2
    make_pre_visit(world.session, f.referral, f.resident)
    make_pre_visit(world.session, f.referral, f.non_resident, ground_rules_signed=False)
    world.session.commit()
    body = assert_problem(
        client.patch(url, json={"status": "active"}, headers=_headers(world)), 422, "unprocessable"
    )
    assert [e["msg"] for e in body["errors"]] == [f"no pre-visit for person {f.non_resident.id}"]
    world.session.execute(update(PreVisit).values(ground_rules_signed=True))
    world.session.commit()
    ok = client.patch(url, json={"status": "active"}, headers=_headers(world))
    assert ok.status_code == 200 and ok.json()["status"] == "active"


def test_same_status_is_no_change(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="active")
    response = client.patch(
        f"{URL}/{f.referral.id}", json={"status": "active"}, headers=_headers(world)
    )
    assert response.status_code == 200 and response.json()["status"] == "active"


def test_null_for_a_required_field_is_refused(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="received")
    for field in ("source", "contact_type", "received_on", "status", "has_court_order"):
        response = client.patch(
            f"{URL}/{f.referral.id}", json={field: None}, headers=_headers(world)
        )
        problem = assert_problem(response, 422, "validation-error")
        assert problem["errors"][0]["loc"] == ["body", field]


# --- decision ------------------------------------------------------------


ACCEPT = {
    "outcome": "accepted",
    "reason": "Court order in place; centre can offer supervised contact",
}


def _decide(client: TestClient, world: World, referral_id: object, body=ACCEPT, **kw):
    return client.post(f"{URL}/{referral_id}/decision", json=body, headers=_headers(world, **kw))


def test_acceptance_is_recorded_with_who_and_when(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="received", pre_visits=False)
    response = _decide(client, world, f.referral.id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "pre_visit" and body["decision"] == "accepted"
    assert body["decision_reason"] == ACCEPT["reason"]
    assert body["decided_by_id"] == str(world.staff_a.id)
    assert body["decided_at"].endswith("Z") and response.headers["etag"] == '"2"'
    again = _decide(client, world, f.referral.id, version=2)
    assert_problem(again, 409, "conflict")


def test_decline_closes_the_referral(client: TestClient, world: World) -> None:
    referral = make_referral(world.session, world.centre_a)
    world.session.commit()
    body = _decide(
        client, world, referral.id, {"outcome": "declined", "reason": "Outside our area"}
    ).json()
    assert body["status"] == "declined" and body["decision"] == "declined"
    assert body["closed_on"] == today().isoformat()


def test_acceptance_needs_both_parents(client: TestClient, world: World) -> None:
    referral = make_referral(world.session, world.centre_a)
    world.session.commit()
    body = assert_problem(_decide(client, world, referral.id), 422, "unprocessable")
    assert "resident_parent" in body["detail"] and "non_resident_parent" in body["detail"]
    assert (
        client.get(f"{URL}/{referral.id}", headers=_headers(world)).json()["status"] == "received"
    )


def test_acceptance_needs_the_parents_contact_details(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="received", pre_visits=False)
    f.non_resident.phone = None
    f.non_resident.email = None
    f.non_resident.address = "1 Lane, Ely"  # an address alone does not reach them in time
    world.session.commit()
    body = assert_problem(_decide(client, world, f.referral.id), 422, "unprocessable")
    assert "non_resident_parent" in body["detail"] and "resident_parent," not in body["detail"]


def test_decision_needs_a_reason_and_an_outcome(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="received", pre_visits=False)
    assert_problem(
        _decide(client, world, f.referral.id, {"outcome": "accepted"}), 422, "validation-error"
    )
    assert_problem(
        _decide(client, world, f.referral.id, {"outcome": "accepted", "reason": "  "}),
        422,
        "validation-error",
    )
    assert_problem(
        _decide(client, world, f.referral.id, {"outcome": "auto", "reason": "x"}),
        422,
        "validation-error",
    )


def test_decision_needs_the_current_version(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="received", pre_visits=False)
    assert_problem(
        _decide(client, world, f.referral.id, version=None), 428, "precondition-required"
    )
    assert_problem(_decide(client, world, f.referral.id, version=3), 412, "precondition-failed")


def test_a_service_client_may_not_decide(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a, status="received", pre_visits=False)
    machine = world.make_service_client(["records:read", "records:write"])
    token = tokens.issue(world.settings, machine.id, "service")[0]
    response = client.post(
        f"{URL}/{f.referral.id}/decision",
        json=ACCEPT,
        headers={"Authorization": f"Bearer {token}", "If-Match": '"1"'},
    )
    assert_problem(response, 403, "forbidden")
    assert client.get(f"{URL}/{f.referral.id}", headers=_headers(world)).json()["decision"] is None


# --- close ------------------------------------------------------------


def _close(client: TestClient, world: World, referral_id: object, body=None, **kw):
    return client.post(f"{URL}/{referral_id}/close", json=body or {}, headers=_headers(world, **kw))


def test_close_sets_closed_on(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a)
    response = _close(
        client, world, f.referral.id, {"closed_on": "2026-06-30", "reason": "Contact now direct"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed" and response.json()["closed_on"] == "2026-06-30"
    assert response.json()["closure_reason"] == "Contact now direct"


def test_close_defaults_to_today(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a)
    assert _close(client, world, f.referral.id).json()["closed_on"] == today().isoformat()


@pytest.mark.parametrize("status", ["received", "pre_visit", "closed", "declined", "withdrawn"])
def test_only_an_active_referral_is_closed(client: TestClient, world: World, status: str) -> None:
    f = family(world.session, world.centre_a, status=status)
    assert_problem(_close(client, world, f.referral.id), 409, "conflict")


def test_close_date_between_receipt_and_today(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    for closed_on in ("2025-12-31", tomorrow):
        body = assert_problem(
            _close(client, world, f.referral.id, {"closed_on": closed_on}), 422, "unprocessable"
        )
        assert body["errors"][0]["loc"] == ["body", "closed_on"]


def test_close_with_sessions_still_scheduled_is_refused(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a)
    make_session(world.session, f.referral)
    world.session.commit()
    assert_problem(_close(client, world, f.referral.id), 409, "conflict")


def test_contact_type_cannot_drop_to_supported_while_notes_exist(
    client: TestClient, world: World
) -> None:
    f = family(world.session, world.centre_a, contact_type="supervised")
    make_session(world.session, f.referral, status="held", notes="Observed play; warm")
    world.session.commit()
    response = client.patch(
        f"{URL}/{f.referral.id}", json={"contact_type": "supported"}, headers=_headers(world)
    )
    assert_problem(response, 409, "conflict")


# --- lost update ------------------------------------------------------------


def test_two_clients_updating_from_the_same_version(client: TestClient, world: World) -> None:
    """Both read version 1; the first write wins, the second gets 412 and writes nothing."""
    referral = make_referral(world.session, world.centre_a)
    world.session.commit()
    url = f"{URL}/{referral.id}"
    alice = world.headers("centre_staff")
    bob = world.headers("naccc_staff")
    etag_alice = client.get(url, headers=alice).headers["etag"]
    etag_bob = client.get(url, headers=bob).headers["etag"]
    assert etag_alice == etag_bob == '"1"'
    won = client.patch(
        url, json={"has_court_order": True}, headers={**alice, "If-Match": etag_alice}
    )
    lost = client.patch(
        url,
        json={"cafcass_involved": True, "contact_type": "supported"},
        headers={**bob, "If-Match": etag_bob},
    )
    assert won.status_code == 200 and won.headers["etag"] == '"2"'
    assert_problem(lost, 412, "precondition-failed")
    now = client.get(url, headers=alice).json()
    assert now["version"] == 2 and now["has_court_order"] is True
    assert now["cafcass_involved"] is False and now["contact_type"] == "supervised"


# --- lists ------------------------------------------------------------


def test_list_filters(client: TestClient, world: World) -> None:
    f = family(
        world.session,
        world.centre_a,
        status="active",
        received_on=date(2026, 2, 1),
    )
    make_referral(world.session, world.centre_a, status="received", source="cafcass")
    make_referral(world.session, world.centre_b)
    world.session.commit()
    headers = world.headers("centre_staff")

    def ids(**params: object) -> list[str]:
        response = client.get(URL, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["items"]]

    assert len(ids()) == 2
    assert ids(status="active") == [str(f.referral.id)]
    assert len(ids(source="cafcass")) == 1
    assert ids(person_id=str(f.child.id)) == [str(f.referral.id)]
    assert ids(received_from="2026-01-15", received_to="2026-02-01") == [str(f.referral.id)]
    assert ids(centre_id=str(world.centre_b.id)) == []
    assert_problem(
        client.get(URL, params={"status": "open"}, headers=headers), 422, "validation-error"
    )
    assert_problem(
        client.get(URL, params={"stauts": "active"}, headers=headers), 422, "validation-error"
    )


def test_list_statements_reused_across_callers_keep_each_to_its_centres(
    client: TestClient, world: World
) -> None:
    """The page statement is built once per shape and reused (PageTemplates): callers of the
    same shape, filters and cursor included, still see only their own centres' referrals."""
    in_a = {str(make_referral(world.session, world.centre_a).id) for _ in range(3)}
    in_b = {str(make_referral(world.session, world.centre_b).id) for _ in range(3)}
    world.session.commit()
    staff_b = bearer(world.token_for(world.staff_b))

    def listed(headers: dict[str, str], **params: object) -> set[str]:
        seen, cursor = set(), None
        while True:
            query = {"limit": 1, **params} | ({"cursor": cursor} if cursor else {})
            page = client.get(URL, params=query, headers=headers)
            assert page.status_code == 200, page.text
            seen |= {r["id"] for r in page.json()["items"]}
            cursor = page.json()["next_cursor"]
            if cursor is None:
                return seen

    for _ in range(2):  # each caller again, after the other's statement was built
        assert listed(world.headers("centre_staff")) == in_a
        assert listed(staff_b) == in_b
        assert listed(world.headers("centre_staff"), status="received") == in_a
        assert listed(staff_b, status="received") == in_b
        assert listed(staff_b, centre_id=str(world.centre_a.id)) == set()
    assert listed(world.headers("naccc_staff")) >= in_a | in_b


def test_list_pages_carry_each_referrals_own_retention_block(
    client: TestClient, world: World
) -> None:
    """The list reads the blocks in its page query: every page, cursor included, gives each
    referral the block GET one gives it."""
    for closed_on in (date(2020, 3, 1), date(2021, 6, 30), None, date(2019, 1, 31), None):
        status = "closed" if closed_on else "received"
        make_referral(world.session, world.centre_a, status=status, closed_on=closed_on)
    world.session.commit()
    headers = world.headers("centre_staff")
    listed, cursor = {}, None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(URL, params=params, headers=headers).json()
        assert len(page["items"]) <= 2
        listed |= {r["id"]: r["retention"] for r in page["items"]}
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(listed) == 5
    for referral_id, block in listed.items():
        assert client.get(f"{URL}/{referral_id}", headers=headers).json()["retention"] == block
    assert {b["trigger_on"] for b in listed.values()} == {
        None,
        "2020-03-01",
        "2021-06-30",
        "2019-01-31",
    }


def test_parties_person_of_another_centre(client: TestClient, world: World) -> None:
    """Kept here too: the 422 for another centre's person is the same as for an unknown one."""
    f = family(world.session, world.centre_a, status="received", pre_visits=False)
    stranger = make_person(world.session, world.centre_b)
    world.session.commit()
    url = f"{URL}/{f.referral.id}/parties"
    other = client.post(
        url,
        json={"person_id": str(stranger.id), "role": "other_adult"},
        headers=_headers(world, None),
    )
    unknown = client.post(
        url,
        json={"person_id": "00000000-0000-4000-8000-000000000000", "role": "other_adult"},
        headers=_headers(world, None),
    )
    assert assert_problem(other, 422, "unprocessable") == {
        **assert_problem(unknown, 422, "unprocessable"),
        "instance": other.json()["instance"],
    }


def test_a_retried_create_gets_the_first_referral_again(client: TestClient, world: World) -> None:
    headers = {**world.headers("centre_staff"), "Idempotency-Key": "referral-form-17"}
    first = client.post(URL, json=_body(world), headers=headers)
    retry = client.post(URL, json=_body(world), headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry.headers["idempotent-replayed"] == "true"
    listed = client.get(URL, headers=world.headers("centre_staff")).json()["items"]
    assert len(listed) == 1
    other_body = client.post(URL, json=_body(world, source="court"), headers=headers)
    assert_problem(other_body, 422, "idempotency-key-reused")
    assert _create(client, world).json()["reference"].endswith("-0002")


def test_received_on_stays_before_pre_visits_and_closure(client: TestClient, world: World) -> None:
    f = family(world.session, world.centre_a)  # pre-visits on 2026-01-12
    closed = family(
        world.session, world.centre_a, status="closed", pre_visits=False, closed_on=date(2026, 2, 1)
    )
    for referral, day in ((f.referral, "2026-01-13"), (closed.referral, "2026-02-02")):
        response = client.patch(
            f"{URL}/{referral.id}", json={"received_on": day}, headers=_headers(world)
        )
        assert assert_problem(response, 422, "unprocessable")["errors"][0]["loc"] == [
            "body",
            "received_on",
        ]
    ok = client.patch(
        f"{URL}/{f.referral.id}", json={"received_on": "2026-01-12"}, headers=_headers(world)
    )
    assert ok.status_code == 200 and ok.json()["received_on"] == "2026-01-12"
