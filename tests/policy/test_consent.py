"""Policy changes never reduce a person's rights without their explicit consent: which version
governs each person, recording consent, who to notify, the public page of versions, and the
retention of consents."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.people.models import Person
from app.policy import service
from app.policy.models import PolicyConsent, PrivacyPolicy
from app.retention import sweep as retention_sweep
from app.retention.models import Disposal
from app.time import today_in_london
from tests.cases.factories import family, make_person
from tests.factories import World
from tests.helpers import assert_problem
from tests.policy.matrix import SEEDED_POLICY_ID, new_version

LONG_AGO = datetime(2025, 1, 1, 12, tzinfo=UTC)


def version(name: str, effective_on: date, reduces: bool = False) -> PrivacyPolicy:
    return PrivacyPolicy(
        id=uuid.uuid4(), version=name, effective_on=effective_on, reduces_rights=reduces
    )


def person_since(day: date) -> Person:
    return Person(created_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC))


# --- the rule, as a pure function ---------------------------------------------------------------

V1 = version("v1", date(2025, 1, 1))
V2 = version("v2", date(2026, 1, 1), reduces=True)
V3 = version("v3", date(2026, 6, 1))
V4 = version("v4", date(2026, 9, 1), reduces=True)
TODAY = date(2026, 10, 1)


def test_a_version_that_reduces_rights_waits_for_consent_and_the_earlier_one_governs() -> None:
    earlier = person_since(date(2025, 6, 1))
    governing, awaiting = service.governing([V1, V2], set(), earlier, TODAY)
    assert governing is V1 and awaiting == [V2]
    governing, awaiting = service.governing([V1, V2], {V2.id}, earlier, TODAY)
    assert governing is V2 and awaiting == []


def test_a_later_version_that_keeps_rights_still_carries_the_unconsented_reduction() -> None:
    earlier = person_since(date(2025, 6, 1))
    governing, awaiting = service.governing([V1, V2, V3], set(), earlier, TODAY)
    assert governing is V1, "v3 is built on v2: it cannot govern without consent to v2"
    assert awaiting == [V2]
    governing, _ = service.governing([V1, V2, V3], {V2.id}, earlier, TODAY)
    assert governing is V3


def test_consent_to_a_later_reducing_version_covers_the_earlier_ones() -> None:
    earlier = person_since(date(2025, 6, 1))
    governing, awaiting = service.governing([V1, V2, V3, V4], {V4.id}, earlier, TODAY)
    assert governing is V4 and awaiting == []
    governing, awaiting = service.governing([V1, V2, V3, V4], {V2.id}, earlier, TODAY)
    assert governing is V3 and awaiting == [V4]


def test_someone_whose_records_began_after_a_reduction_took_effect_needs_no_consent() -> None:
    later = person_since(date(2026, 2, 1))
    governing, awaiting = service.governing([V1, V2, V3, V4], set(), later, TODAY)
    assert governing is V3 and awaiting == [V4]
    same_day = person_since(V2.effective_on)
    assert not service.needs_consent(V2, same_day)


def test_a_version_not_yet_in_force_governs_no_one_but_can_await_consent() -> None:
    earlier = person_since(date(2025, 6, 1))
    governing, awaiting = service.governing([V1, V2], {V2.id}, earlier, date(2025, 12, 31))
    assert governing is V1 and awaiting == []
    governing, awaiting = service.governing([V1, V2], set(), earlier, date(2025, 12, 31))
    assert governing is V1 and awaiting == [V2]


# --- over HTTP ----------------------------------------------------------------------------------


def create_version(client: TestClient, world: World, **fields: Any) -> dict[str, Any]:
    today = today_in_london().isoformat()
    body = {
        **new_version(f"v-{uuid.uuid4().hex[:6]}"),
        "effective_on": today,
        "reviewed_on": today,
        **fields,
    }
    response = client.post(
        "/api/v1/privacy-policies", json=body, headers=world.headers("naccc_staff")
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def an_earlier_person(db: Session, world: World, centre: str = "a") -> Person:
    fam = family(db, world.centre_a if centre == "a" else world.centre_b)
    fam.resident.created_at = LONG_AGO
    db.commit()
    return fam.resident


def consent(
    client: TestClient, world: World, person: Person, policy_id: str, role: str = "centre_staff"
) -> Any:
    body = {
        "policy_id": policy_id,
        "method": "written",
        "consented_on": today_in_london().isoformat(),
    }
    return client.post(
        f"/api/v1/people/{person.id}/policy-consents", json=body, headers=world.headers(role)
    )


def governing_of(client: TestClient, world: World, person: Person) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/people/{person.id}/privacy-policy", headers=world.headers("centre_staff")
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize(
    "change",
    [
        {"reduces_rights": None},
        {"summary_of_changes": None},
        {"summary_of_changes": ""},
        {"reduces_rights": "true"},
        {"reduces_rights": 1},
    ],
)
def test_a_new_version_must_say_whether_it_reduces_rights_and_what_changed(
    client: TestClient, world: World, change: dict[str, Any]
) -> None:
    body = new_version("x1")
    for key, value in change.items():
        if value is None:
            del body[key]
        else:
            body[key] = value
    response = client.post(
        "/api/v1/privacy-policies", json=body, headers=world.headers("naccc_staff")
    )
    assert_problem(response, 422)


def test_a_reduction_governs_a_person_only_from_their_recorded_consent(
    client: TestClient, db: Session, world: World
) -> None:
    person = an_earlier_person(db, world)
    newcomer = make_person(db, world.centre_a)
    db.commit()
    reducing = create_version(client, world, reduces_rights=True)
    assert reducing["in_force"] is True and reducing["reduces_rights"] is True

    before = governing_of(client, world, person)
    assert before["governing"]["id"] == SEEDED_POLICY_ID, "the earlier version still governs"
    assert before["in_force"]["id"] == reducing["id"]
    assert [v["id"] for v in before["awaiting_consent"]] == [reducing["id"]]
    assert governing_of(client, world, newcomer)["governing"]["id"] == reducing["id"], (
        "records begun today, under the new version: no earlier rights to keep"
    )

    response = consent(client, world, person, reducing["id"])
    assert response.status_code == 201, response.text
    recorded = response.json()
    assert recorded["person_id"] == str(person.id)
    assert recorded["policy"]["version"] == reducing["version"]
    assert recorded["method"] == "written"
    assert recorded["consented_on"] == today_in_london().isoformat()
    assert recorded["recorded_by_id"] == str(world.staff_a.id)

    after = governing_of(client, world, person)
    assert after["governing"]["id"] == reducing["id"] and after["awaiting_consent"] == []
    assert [c["id"] for c in after["consents"]] == [recorded["id"]]


def test_consent_is_refused_where_it_is_not_needed_or_not_believable(
    client: TestClient, db: Session, world: World
) -> None:
    person = an_earlier_person(db, world)
    keeping = create_version(client, world, reduces_rights=False)
    assert_problem(consent(client, world, person, keeping["id"]), 422)
    assert_problem(consent(client, world, person, str(uuid.uuid4())), 422)

    reducing = create_version(client, world, reduces_rights=True)
    newcomer = make_person(db, world.centre_a)
    db.commit()
    assert_problem(consent(client, world, newcomer, reducing["id"]), 422)
    tomorrow = (today_in_london() + timedelta(days=1)).isoformat()
    response = client.post(
        f"/api/v1/people/{person.id}/policy-consents",
        json={"policy_id": reducing["id"], "method": "email", "consented_on": tomorrow},
        headers=world.headers("centre_staff"),
    )
    assert_problem(response, 422)
    bad_method = client.post(
        f"/api/v1/people/{person.id}/policy-consents",
        json={"policy_id": reducing["id"], "method": "telepathy", "consented_on": "2026-01-01"},
        headers=world.headers("centre_staff"),
    )
    assert_problem(bad_method, 422)

    assert consent(client, world, person, reducing["id"]).status_code == 201
    assert_problem(consent(client, world, person, reducing["id"]), 409)
    assert db.scalar(select(PolicyConsent.id).where(PolicyConsent.person_id == person.id))


def test_another_centres_person_is_not_found(client: TestClient, db: Session, world: World) -> None:
    theirs = an_earlier_person(db, world, "b")
    reducing = create_version(client, world, reduces_rights=True)
    assert_problem(consent(client, world, theirs, reducing["id"]), 404, "not-found")
    response = client.get(
        f"/api/v1/people/{theirs.id}/privacy-policy", headers=world.headers("centre_staff")
    )
    assert_problem(response, 404, "not-found")
    assert db.scalar(select(PolicyConsent.id)) is None


def test_people_to_notify_are_those_with_live_records_of_the_callers_centres(
    client: TestClient, db: Session, world: World
) -> None:
    mine = an_earlier_person(db, world)
    theirs = an_earlier_person(db, world, "b")
    no_record = make_person(db, world.centre_a)
    erased = an_earlier_person(db, world)
    erased.erased_at = LONG_AGO
    db.commit()
    reducing = create_version(client, world, reduces_rights=True)
    assert consent(client, world, mine, reducing["id"]).status_code == 201

    def listed(role: str) -> dict[str, dict[str, Any]]:
        url = f"/api/v1/privacy-policies/{reducing['id']}/people-to-notify"
        found: dict[str, dict[str, Any]] = {}
        cursor = None
        while True:
            params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            body = client.get(url, params=params, headers=world.headers(role)).json()
            found |= {item["person_id"]: item for item in body["items"]}
            cursor = body["next_cursor"]
            if cursor is None:
                return found

    staff = listed("centre_staff")
    assert str(mine.id) in staff and str(theirs.id) not in staff
    assert str(no_record.id) not in staff and str(erased.id) not in staff
    assert staff[str(mine.id)]["consent_needed"] and staff[str(mine.id)]["consented"]
    assert staff[str(mine.id)]["email"] == mine.email
    everyone = listed("naccc_staff")
    assert str(theirs.id) in everyone and not everyone[str(theirs.id)]["consented"]
    assert_problem(
        client.get(
            f"/api/v1/privacy-policies/{uuid.uuid4()}/people-to-notify",
            headers=world.headers("centre_staff"),
        ),
        404,
    )


def test_the_public_page_lists_every_version_with_its_summary(
    client: TestClient, world: World
) -> None:
    reducing = create_version(
        client, world, reduces_rights=True, summary_of_changes="Session notes kept longer."
    )
    response = client.get("/api/v1/public/privacy-policies")
    assert response.status_code == 200
    items = response.json()["items"]
    assert {tuple(sorted(i)) for i in items} == {
        ("effective_on", "in_force", "reduces_rights", "summary_of_changes", "version")
    }
    by_version = {i["version"]: i for i in items}
    assert by_version["2026-03-11"]["summary_of_changes"].startswith("The centre's privacy")
    assert by_version["2026-03-11"]["reduces_rights"] is False
    assert by_version[reducing["version"]] == {
        "version": reducing["version"],
        "effective_on": reducing["effective_on"],
        "reduces_rights": True,
        "summary_of_changes": "Session notes kept longer.",
        "in_force": True,
    }


# --- retention: a consent is kept while the person is --------------------------------------


def test_a_consent_is_kept_while_its_person_is_and_then_goes_with_them(
    app: FastAPI, client: TestClient, db: Session, world: World
) -> None:
    reducing = create_version(client, world, reduces_rights=True)
    closed = family(db, world.centre_a, status="closed", closed_on=date(2025, 1, 10))
    open_case = family(db, world.centre_a)
    for fam in (closed, open_case):
        fam.resident.created_at = LONG_AGO
    db.commit()
    for fam in (closed, open_case):
        assert consent(client, world, fam.resident, reducing["id"]).status_code == 201

    gone, kept = closed.resident.id, open_case.resident.id
    options = retention_sweep.SweepOptions(today=today_in_london() + timedelta(days=400))
    assert retention_sweep.run(app.state.engine, app.state.sessionmaker, options) is not None
    db.expire_all()
    assert db.get(Person, gone) is None, "the consent did not keep them"
    left = db.scalars(select(PolicyConsent.person_id)).all()
    assert left == [kept], "an open case keeps its people and their consents"
    logged = db.scalars(select(Disposal).where(Disposal.record_type == "policy_consent")).one()
    assert logged.rule_key == "policy_consent" and logged.facts == {}
