"""The work queue: every kind appears when a record needs a person and disappears when done;
centre scoping, permissions per kind, the horizon, keyset pages, bad input."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.db import utcnow
from app.policy.models import PrivacyPolicy
from app.security import tokens
from app.security.permissions import Perm
from app.time import today_in_london
from tests.breaches.factories import make_breach
from tests.cases.factories import make_complaint, make_person
from tests.factories import World
from tests.helpers import assert_problem

URL = "/api/v1/tasks"


def _tasks(client: TestClient, world: World, role: str = "centre_staff", **params: Any) -> list:
    response = client.get(URL, params=params, headers=world.headers(role))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _ids(tasks: list[dict], kind: str) -> list[str]:
    return [t["record"]["id"] for t in tasks if t["kind"] == kind]


def _if_match(world: World, version: int) -> dict[str, str]:
    return {**world.headers("centre_staff"), "If-Match": f'"{version}"'}


def test_a_subject_request_due_soon_appears_and_goes_when_withdrawn(
    client: TestClient, world: World, db: Session
) -> None:
    person = make_person(db, world.centre_a)
    db.commit()
    received = today_in_london() - timedelta(days=28)
    created = client.post(
        "/api/v1/subject-requests",
        json={
            "subject_id": str(person.id),
            "kind": "access",
            "channel": "email",
            "received_on": received.isoformat(),
            "identity_verified_on": received.isoformat(),
        },
        headers=world.headers("centre_staff"),
    ).json()
    tasks = _tasks(client, world)
    assert _ids(tasks, "subject_request_due") == [created["id"]]
    task = next(t for t in tasks if t["kind"] == "subject_request_due")
    assert task["record"] == {
        "type": "subject_request",
        "id": created["id"],
        "href": f"/api/v1/subject-requests/{created['id']}",
    }
    assert task["due_on"] == created["due_on"] and "access request" in task["reason"]
    # Outside a shorter horizon it is not shown (unless overdue).
    days_left = (date.fromisoformat(created["due_on"]) - today_in_london()).days
    assert days_left > 0
    assert _ids(_tasks(client, world, within_days=days_left - 1), "subject_request_due") == []
    withdrawn = client.post(
        f"/api/v1/subject-requests/{created['id']}/withdraw",
        headers=_if_match(world, created["version"]),
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert _ids(_tasks(client, world), "subject_request_due") == []


def test_an_overdue_complaint_follow_up_appears_and_goes_when_done(
    client: TestClient, world: World, db: Session
) -> None:
    due = today_in_london() - timedelta(days=3)
    complaint = make_complaint(
        db, world.centre_a, received_on=due - timedelta(days=28), follow_up_due_on=due
    )
    db.commit()
    [task] = [t for t in _tasks(client, world) if t["kind"] == "complaint_follow_up"]
    assert task["record"]["id"] == str(complaint.id) and task["overdue"] is True
    assert task["reason"].startswith("Follow up") and "overdue since" in task["reason"]
    done = client.patch(
        f"/api/v1/complaints/{complaint.id}",
        json={"follow_up_done_on": today_in_london().isoformat()},
        headers=_if_match(world, complaint.version),
    )
    assert done.status_code == 200, done.text
    assert _ids(_tasks(client, world), "complaint_follow_up") == []


def test_a_breach_moves_through_its_tasks_and_leaves_the_queue(
    client: TestClient, world: World, db: Session
) -> None:
    breach = make_breach(db, world.centre_a)
    db.commit()
    url = f"/api/v1/breaches/{breach.id}"
    version = breach.version
    steps = [
        ("breach_assessment", "assessment", {"risk": "high", "reason": "Addresses"}),
        ("breach_ico_notice", "ico-notification", {"reference": "IC-1"}),
        ("breach_people_notice", "people-notification", {}),
    ]
    for kind, step, body in steps:
        tasks = _tasks(client, world)
        assert [t["kind"] for t in tasks if t["record"]["type"] == "breach"] == [kind]
        task = next(t for t in tasks if t["kind"] == kind)
        assert task["due_at"] is not None and task["overdue"] is False
        if step != "assessment":
            body = {**body, "notified_at": utcnow().isoformat()}
        response = client.post(f"{url}/{step}", json=body, headers=_if_match(world, version))
        assert response.status_code == 200, response.text
        version = response.json()["version"]
    assert [t for t in _tasks(client, world) if t["record"]["type"] == "breach"] == []


def test_the_policy_review_is_naccc_work_when_due(
    client: TestClient, world: World, db: Session
) -> None:
    today = today_in_london()
    stale = PrivacyPolicy(
        version="stale",
        text="# Policy",
        effective_on=today,
        reviewed_by="Reviewer",
        reviewed_on=today - timedelta(days=3 * 366),
        controller_name="Controller",
        controller_contact="privacy@example.org",
    )
    db.add(stale)
    db.commit()
    [task] = [t for t in _tasks(client, world, "naccc_staff") if t["kind"] == "policy_review"]
    assert task["record"]["id"] == str(stale.id) and task["overdue"] is True
    assert task["centre_id"] is None
    # Centre staff cannot review the policy: it is not their task.
    assert _ids(_tasks(client, world), "policy_review") == []
    reviewed = client.post(
        "/api/v1/privacy-policies",
        json={
            "version": "reviewed",
            "text": "# Policy\n\nReviewed.",
            "effective_on": today.isoformat(),
            "reviewed_by": "Reviewer",
            "reviewed_on": today.isoformat(),
            "controller_name": "Controller",
            "controller_contact": "privacy@example.org",
            "reduces_rights": False,
            "summary_of_changes": "Reviewed; no change to anyone's rights.",
        },
        headers=world.headers("naccc_staff"),
    )
    assert reviewed.status_code == 201, reviewed.text
    assert _ids(_tasks(client, world, "naccc_staff"), "policy_review") == []


def test_tasks_are_scoped_to_the_callers_centres(
    client: TestClient, world: World, db: Session
) -> None:
    mine = make_breach(db, world.centre_a)
    theirs = make_breach(db, world.centre_b)
    db.commit()
    assert _ids(_tasks(client, world), "breach_assessment") == [str(mine.id)]
    everyone = _ids(_tasks(client, world, "naccc_staff"), "breach_assessment")
    assert set(everyone) == {str(mine.id), str(theirs.id)}
    only_b = _tasks(client, world, "naccc_staff", centre_id=str(world.centre_b.id))
    assert _ids(only_b, "breach_assessment") == [str(theirs.id)]
    # Naming another centre shows nothing of it.
    assert _tasks(client, world, centre_id=str(world.centre_b.id)) == []


def test_a_kind_needs_its_permission(client: TestClient, world: World, db: Session) -> None:
    make_breach(db, world.centre_a)
    due = today_in_london() - timedelta(days=1)
    make_complaint(db, world.centre_a, received_on=due - timedelta(days=28), follow_up_due_on=due)
    db.commit()
    client_record = world.make_service_client([Perm.tasks_read.value, Perm.records_read.value])
    token = tokens.issue(world.settings, client_record.id, "service")[0]
    response = client.get(URL, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert {t["kind"] for t in response.json()["items"]} == {"complaint_follow_up"}


def test_kinds_filter_and_pages_walk_every_task_once(
    client: TestClient, world: World, db: Session
) -> None:
    breaches = [make_breach(db, world.centre_a) for _ in range(3)]
    due = today_in_london() - timedelta(days=1)
    complaints = [
        make_complaint(
            db, world.centre_a, received_on=due - timedelta(days=28), follow_up_due_on=due
        )
        for _ in range(2)
    ]
    db.commit()
    only = _tasks(client, world, kind=["complaint_follow_up"])
    assert {t["record"]["id"] for t in only} == {str(c.id) for c in complaints}
    both = _tasks(client, world, kind=["complaint_follow_up", "breach_assessment"])
    assert len(both) == 5
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(URL, params=params, headers=world.headers("centre_staff")).json()
        seen += [t["record"]["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted([str(b.id) for b in breaches] + [str(c.id) for c in complaints])
    assert len(seen) == len(set(seen))
    # Most urgent first: the overdue follow-ups before the breaches due in three days.
    assert [t["kind"] for t in both][:2] == ["complaint_follow_up"] * 2


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "nonsense"},
        {"within_days": -1},
        {"within_days": 367},
        {"within_days": "soon"},
        {"cursor": "not-a-cursor"},
        {"limit": 0},
        {"centre": "x"},
    ],
)
def test_bad_queries_are_refused(client: TestClient, world: World, params: dict) -> None:
    assert_problem(client.get(URL, params=params, headers=world.headers("centre_staff")), 422)
