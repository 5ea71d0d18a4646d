"""Finding 2: an Idempotency-Key replay passes the route's authentication and permission checks
again, is bound to principal + method + path + body, and is audited as a replay (§6)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.db import utcnow
from app.people.models import Person
from app.security import tokens
from tests.factories import World, bearer, make_user
from tests.helpers import assert_problem

API = "/api/v1"


def post(client: TestClient, path: str, token: str, body: Any, key: str = "k-1") -> httpx.Response:
    return client.post(API + path, json=body, headers={**bearer(token), "Idempotency-Key": key})


def patch(client: TestClient, world: World, path: str, body: dict[str, Any]) -> None:
    current = client.get(API + path, headers=world.headers("naccc_staff"))
    response = client.patch(
        API + path,
        json=body,
        headers={**world.headers("naccc_staff"), "If-Match": current.headers["ETag"]},
    )
    assert response.status_code == 200, response.text


def last_event(db: Session) -> AuditEvent:
    db.expire_all()
    return db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()


def test_a_replay_is_the_first_response_and_audited_as_a_replay(
    client: TestClient, world: World, db: Session
) -> None:
    token = world.tokens["centre_staff"]
    body = {"centre_id": str(world.centre_a.id), "full_name": "Replayed Person"}
    first = post(client, "/people", token, body)
    again = post(client, "/people", token, body)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert db.scalar(select(func.count()).select_from(Person)) == 1
    row = last_event(db)
    assert (row.action, row.status_code, row.actor_id) == ("people_create", 201, world.staff_a.id)
    assert row.details is not None and row.details.get("idempotent_replay") is True
    assert "Replayed Person" not in str(row.details)


IN_TWO_DAYS = (utcnow() + timedelta(days=2)).isoformat()
ADMIN_CREATES: dict[str, tuple[str, Callable[[World], dict[str, Any]]]] = {
    "users": (
        "/users",
        lambda w: {"email": "x@example.org", "full_name": "X", "role": "naccc_staff"},
    ),
    "service_clients": (
        "/service-clients",
        lambda w: {"name": "C", "permissions": ["users:read"]},
    ),
    "inspector_grants": (
        "/inspector-grants",
        lambda w: {
            "centre_id": str(w.centre_a.id),
            "inspector_name": "I",
            "expires_at": IN_TWO_DAYS,
        },
    ),
}


@pytest.mark.parametrize("route", list(ADMIN_CREATES))
def test_a_demoted_user_cannot_replay_a_create_to_get_its_secret_again(
    client: TestClient, world: World, db: Session, route: str
) -> None:
    admin = make_user(db, "naccc_staff")
    db.commit()
    path, body = ADMIN_CREATES[route]
    first = post(client, path, world.token_for(admin), body(world))
    assert first.status_code == 201, first.text

    patch(
        client,
        world,
        f"/users/{admin.id}",
        {"role": "centre_staff", "centre_ids": [str(world.centre_a.id)]},
    )
    replay = post(client, path, world.token_for(admin), body(world))

    assert_problem(replay, 403)
    assert "idempotent-replayed" not in replay.headers
    for secret in ("token", "client_secret", "one_time_password"):
        assert secret not in replay.json()
    row = last_event(db)
    assert (row.actor_id, row.status_code) == (admin.id, 403)


def test_a_service_client_that_lost_the_permission_cannot_replay(
    client: TestClient, world: World, db: Session
) -> None:
    holder = world.make_service_client(["service_clients:admin", "users:read"])
    token = tokens.issue(world.settings, holder.id, "service")[0]
    first = post(client, "/service-clients", token, {"name": "C", "permissions": ["users:read"]})
    assert first.status_code == 201, first.text

    patch(client, world, f"/service-clients/{holder.id}", {"permissions": ["centres:read"]})
    db.refresh(holder)
    token = tokens.issue(world.settings, holder.id, "service", generation=holder.token_generation)[
        0
    ]
    replay = post(client, "/service-clients", token, {"name": "C", "permissions": ["users:read"]})

    assert_problem(replay, 403)
    assert "client_secret" not in replay.text


def test_a_user_moved_to_another_centre_cannot_replay_a_create_there(
    client: TestClient, world: World, db: Session
) -> None:
    body = {"centre_id": str(world.centre_a.id), "full_name": "Someone"}
    assert post(client, "/people", world.tokens["centre_staff"], body).status_code == 201

    patch(client, world, f"/users/{world.staff_a.id}", {"centre_ids": [str(world.centre_b.id)]})
    replay = post(client, "/people", world.token_for(world.staff_a), body)

    assert_problem(replay, 404)
    assert "Someone" not in replay.text


def test_the_same_key_of_another_principal_is_not_a_replay(
    client: TestClient, world: World, db: Session
) -> None:
    other = make_user(db, "centre_staff", [world.centre_a])
    db.commit()
    body = {"centre_id": str(world.centre_a.id), "full_name": "Mine"}
    first = post(client, "/people", world.tokens["centre_staff"], body)
    second = post(client, "/people", world.token_for(other), body)

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert "idempotent-replayed" not in second.headers


@pytest.mark.parametrize(
    "change",
    [
        lambda w, body: ("/people", {**body, "full_name": "Other"}),
        lambda w, body: ("/centres", {"name": "N", "code": "NN"}),
    ],
    ids=["body", "path"],
)
def test_the_same_key_with_another_body_or_path_is_422(
    client: TestClient, world: World, change: Any
) -> None:
    token = world.tokens["naccc_staff"]
    body = {"centre_id": str(world.centre_a.id), "full_name": "First"}
    assert post(client, "/people", token, body).status_code == 201
    path, other = change(world, body)

    assert_problem(post(client, path, token, other), 422, "idempotency-key-reused")


def test_a_reused_key_is_refused_only_after_the_permission_check(
    client: TestClient, world: World, db: Session
) -> None:
    """A caller who lost the permission learns nothing about its old key: 403, not 422."""
    admin = make_user(db, "naccc_staff")
    db.commit()
    assert (
        post(client, "/centres", world.token_for(admin), {"name": "A", "code": "AQ"}).status_code
        == 201
    )
    patch(
        client,
        world,
        f"/users/{admin.id}",
        {"role": "centre_staff", "centre_ids": [str(world.centre_a.id)]},
    )

    other_body = {"name": "B", "code": "BQ"}
    assert_problem(post(client, "/centres", world.token_for(admin), other_body), 403)
