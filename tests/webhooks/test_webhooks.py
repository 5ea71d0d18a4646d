"""Webhooks against a real HTTP receiver on a loopback port: signatures, the transactional
outbox, retries with backoff and the same delivery id, failing subscriptions, a killed worker,
one runner, time-based events, and the subscription API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.breaches import service as breach_service
from app.breaches.schemas import BreachCreate
from app.db import utcnow
from app.retention import sweep as sweep_module
from app.security import tokens
from app.security.permissions import ROLE_PERMISSIONS, Role
from app.security.principals import Principal, PrincipalKind
from app.single_runner import single_runner
from app.time import today_in_london
from app.webhooks import signing, worker
from app.webhooks.models import WebhookDelivery, WebhookEvent
from tests.breaches.factories import make_breach
from tests.cases.factories import make_complaint
from tests.factories import World, bearer
from tests.helpers import assert_problem
from tests.retention.test_sweep import sweep
from tests.webhooks.receiver import Receiver, receiver

URL = "/api/v1/webhook-subscriptions"
RECEIVER_SCRIPT = Path(__file__).parents[2] / "scripts" / "webhook_receiver.py"
# Loopback allowed: the receiver listens on 127.0.0.1 (production refuses it, see below).
POLICY = worker.DeliveryPolicy(
    base_delay=timedelta(seconds=30), max_delay=timedelta(minutes=5), allow_loopback=True
)


def service_token(world: World, service_client: Any) -> str:
    return tokens.issue(world.settings, service_client.id, "service")[0]


def subscribe(
    client: TestClient, world: World, url: str, *types: str, headers: dict | None = None
) -> dict[str, Any]:
    response = client.post(
        URL,
        json={"url": url, "event_types": list(types) or ["breach.recorded"]},
        headers=headers or world.headers("naccc_staff"),
    )
    assert response.status_code == 201, response.text
    return response.json()


def record_breach(client: TestClient, world: World) -> dict[str, Any]:
    response = client.post(
        "/api/v1/breaches",
        json={
            "centre_id": str(world.centre_a.id),
            "aware_at": (utcnow() - timedelta(hours=1)).isoformat(),
            "nature": "Mrs Example's address was sent to the other parent",
            "approx_subjects": 1,
            "approx_records": 1,
        },
        headers=world.headers("centre_staff"),
    )
    assert response.status_code == 201, response.text
    return response.json()


def run(app: FastAPI, http: httpx.Client, **kw: Any) -> worker.RunResult:
    result = worker.run_once(
        app.state.engine, app.state.sessionmaker, http, policy=kw.pop("policy", POLICY), **kw
    )
    assert result is not None
    return result


def deliveries(client: TestClient, world: World, subscription: dict) -> list[dict]:
    response = client.get(
        f"{URL}/{subscription['id']}/deliveries", headers=world.headers("naccc_staff")
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


# --- signing -------------------------------------------------------------------------------------


def test_a_delivery_is_signed_and_carries_ids_only(
    client: TestClient, app: FastAPI, world: World, hook: Receiver, http: httpx.Client
) -> None:
    subscription = subscribe(client, world, hook.url, "breach.recorded")
    secret = subscription["secret"]
    assert secret.startswith("whsec_")
    read = client.get(f"{URL}/{subscription['id']}", headers=world.headers("naccc_staff")).json()
    assert "secret" not in read  # shown once
    breach = record_breach(client, world)
    assert run(app, http).delivered == 1
    [got] = hook.received
    headers = got.headers
    assert signing.verify(
        secret, headers["x-ccr-timestamp"], got.body, headers["x-ccr-signature"], time.time()
    )
    assert not signing.verify(
        secret, headers["x-ccr-timestamp"], got.body + b" ", headers["x-ccr-signature"], time.time()
    )
    assert not signing.verify(
        "whsec_other", headers["x-ccr-timestamp"], got.body, headers["x-ccr-signature"], time.time()
    )
    # A captured request cannot be replayed later.
    assert not signing.verify(
        secret, headers["x-ccr-timestamp"], got.body, headers["x-ccr-signature"], time.time() + 600
    )
    payload = json.loads(got.body)
    assert set(payload) == {"id", "event_id", "type", "occurred_at", "data"}
    assert payload["type"] == headers["x-ccr-event"] == "breach.recorded"
    assert payload["id"] == headers["x-ccr-delivery"]
    assert payload["data"] == {
        "record_type": "breach",
        "record_id": breach["id"],
        "centre_id": str(world.centre_a.id),
    }
    assert b"Example" not in got.body
    # Delivered once: a further run sends nothing.
    assert run(app, http).attempted == 0 and len(hook.received) == 1


def test_the_example_receiver_script_verifies_and_deduplicates(
    client: TestClient, app: FastAPI, world: World, http: httpx.Client
) -> None:
    """scripts/webhook_receiver.py, run as its own process, receives real deliveries."""
    secret_holder: dict[str, str] = {}
    subscription = subscribe(client, world, "http://127.0.0.1:1/placeholder", "breach.recorded")
    secret_holder["secret"] = subscription["secret"]
    process = subprocess.Popen(
        [sys.executable, str(RECEIVER_SCRIPT), "--port", "0"],
        env={**os.environ, "CCR_WEBHOOK_SECRET": subscription["secret"]},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        headers = {**world.headers("naccc_staff"), "If-Match": f'"{subscription["version"]}"'}
        moved = client.patch(f"{URL}/{subscription['id']}", json={"url": url}, headers=headers)
        assert moved.status_code == 200, moved.text
        breach = record_breach(client, world)
        assert run(app, http).delivered == 1
        line = json.loads(process.stdout.readline())
        assert line["type"] == "breach.recorded" and line["data"]["record_id"] == breach["id"]
        # A forged request is refused; a repeat of the delivery is accepted and not re-processed.
        forged = http.post(
            url, content=b"{}", headers={"X-CCR-Timestamp": "1", "X-CCR-Signature": "v1=0"}
        )
        assert forged.status_code == 401
        body = json.dumps({"id": line["delivery"], "type": "breach.recorded", "data": {}}).encode()
        stamp = int(time.time())
        repeat = {
            "X-CCR-Delivery": line["delivery"],
            "X-CCR-Timestamp": str(stamp),
            "X-CCR-Signature": signing.sign(subscription["secret"], stamp, body),
        }
        assert http.post(url, content=body, headers=repeat).status_code == 200
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert output == ""  # nothing more was printed: the repeat was recognised


# --- the outbox ----------------------------------------------------------------------------------


def test_a_change_that_rolls_back_announces_nothing(
    client: TestClient, app: FastAPI, world: World, hook: Receiver, http: httpx.Client
) -> None:
    subscribe(client, world, hook.url, "breach.recorded")
    principal = Principal(
        world.staff_a.id,
        PrincipalKind.user,
        Role.centre_staff,
        ROLE_PERMISSIONS[Role.centre_staff],
        frozenset({world.centre_a.id}),
    )
    with app.state.sessionmaker() as session:
        data = BreachCreate(
            centre_id=world.centre_a.id,
            aware_at=utcnow(),
            nature="Lost letter",
            approx_subjects=1,
            approx_records=1,
        )
        breach_service.create(session, principal, data)
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
        session.rollback()
    assert run(app, http).attempted == 0
    assert hook.received == []
    with app.state.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_each_subscription_gets_its_own_delivery_id(
    client: TestClient, app: FastAPI, world: World, hook: Receiver, http: httpx.Client
) -> None:
    subscribe(client, world, hook.url, "breach.recorded")
    subscribe(client, world, hook.url, "breach.recorded", "sweep.completed")
    subscribe(client, world, hook.url, "subject_request.created")  # not this event
    record_breach(client, world)
    record_breach(client, world)
    assert run(app, http).delivered == 4
    ids = hook.delivery_ids()
    assert len(ids) == len(set(ids)) == 4


# --- retries, backoff, failing -------------------------------------------------------------------


def test_a_receiver_failing_twice_gets_the_event_again_with_the_same_delivery_id(
    client: TestClient, app: FastAPI, world: World, hook: Receiver, http: httpx.Client
) -> None:
    subscription = subscribe(client, world, hook.url, "breach.recorded")
    record_breach(client, world)
    hook.fail_next = 2
    t0 = utcnow()
    assert run(app, http, now=t0).failed_attempts == 1
    # Not due again before the backoff has passed.
    assert run(app, http, now=t0 + timedelta(seconds=29)).attempted == 0
    assert run(app, http, now=t0 + timedelta(seconds=30)).failed_attempts == 1
    [pending] = deliveries(client, world, subscription)
    assert pending["status"] == "pending"
    # The second wait is twice the first.
    assert pending["next_attempt_at"] == (t0 + timedelta(seconds=90)).isoformat().replace(
        "+00:00", "Z"
    )
    assert run(app, http, now=t0 + timedelta(seconds=90)).delivered == 1
    assert [r.answered for r in hook.received] == [500, 500, 200]
    assert len(set(hook.delivery_ids())) == 1
    assert len({r.body for r in hook.received}) == 1  # the same bytes each time
    [done] = deliveries(client, world, subscription)
    assert done["status"] == "delivered" and done["next_attempt_at"] is None
    assert [a["status_code"] for a in done["attempts"]] == [500, 500, 200]
    assert done["id"] == hook.delivery_ids()[0]


def test_backoff_doubles_up_to_its_cap() -> None:
    waits = [worker.backoff(n, POLICY).total_seconds() for n in range(1, 8)]
    assert waits == [30, 60, 120, 240, 300, 300, 300]


def test_repeated_errors_mark_the_subscription_failing_until_a_success(
    client: TestClient, app: FastAPI, world: World, hook: Receiver, http: httpx.Client
) -> None:
    policy = worker.DeliveryPolicy(
        base_delay=timedelta(seconds=1), max_attempts=4, failing_after=3, allow_loopback=True
    )
    subscription = subscribe(client, world, hook.url, "breach.recorded")
    record_breach(client, world)
    hook.always_fail = True
    now = utcnow()
    for step in range(4):
        run(app, http, now=now + timedelta(minutes=step), policy=policy)
        read = client.get(f"{URL}/{subscription['id']}", headers=world.headers("naccc_staff"))
        assert read.json()["failing"] is (step + 1 >= 3)
        assert read.json()["version"] == subscription["version"]  # the worker leaves the ETag
    [given_up] = deliveries(client, world, subscription)
    assert given_up["status"] == "failed" and len(given_up["attempts"]) == 4
    assert read.json()["deliveries"] == {"pending": 0, "delivered": 0, "failed": 1}
    # Nothing more is tried.
    assert run(app, http, now=now + timedelta(hours=1), policy=policy).attempted == 0
    hook.always_fail = False
    record_breach(client, world)
    assert run(app, http, policy=policy).delivered == 1
    read = client.get(f"{URL}/{subscription['id']}", headers=world.headers("naccc_staff")).json()
    assert read["failing"] is False and read["consecutive_failures"] == 0


def test_an_unreachable_receiver_is_an_attempt_with_its_error_kind(
    client: TestClient, app: FastAPI, world: World, http: httpx.Client
) -> None:
    with receiver() as gone:
        url = gone.url
    subscription = subscribe(client, world, url, "breach.recorded")
    record_breach(client, world)
    assert run(app, http).failed_attempts == 1
    [pending] = deliveries(client, world, subscription)
    assert pending["attempts"][0]["status_code"] is None
    assert pending["attempts"][0]["error"] == "ConnectError"


# --- a killed worker, one runner -----------------------------------------------------------------


class Killed(BaseException):
    """Stands for the process dying: nothing after it runs, no transaction commits."""


def test_a_killed_worker_resumes_without_losing_a_delivery(
    client: TestClient, app: FastAPI, world: World, hook: Receiver, http: httpx.Client
) -> None:
    subscribe(client, world, hook.url, "breach.recorded")
    for _ in range(3):
        record_breach(client, world)

    def die_after_second_post(delivery_id: object) -> None:
        if len(hook.received) == 2:
            raise Killed

    with pytest.raises(Killed):
        run(app, http, on_sent=die_after_second_post)
    assert len(hook.received) == 2
    resumed = run(app, http)
    # The second was posted but not recorded: it is sent again, with the same id; the first is
    # not; the third arrives. At least once, never more than once beyond the one in flight.
    assert resumed.attempted == 2 and resumed.delivered == 2
    ids = hook.delivery_ids()
    assert len(ids) == 4 and ids[1] == ids[2] and len(set(ids)) == 3
    assert run(app, http).attempted == 0
    with app.state.sessionmaker() as session:
        statuses = session.scalars(select(WebhookDelivery.status)).all()
        assert sorted(statuses) == ["delivered"] * 3


def test_one_runner_at_a_time_and_not_blocked_by_the_sweep(
    client: TestClient, app: FastAPI, world: World, hook: Receiver, http: httpx.Client
) -> None:
    subscribe(client, world, hook.url, "breach.recorded")
    record_breach(client, world)
    sessions = app.state.sessionmaker
    with single_runner(
        app.state.engine,
        sessions,
        worker.WEBHOOK_LOCK_NAME,
        worker.WEBHOOK_LOCK_KEY,
        "other",
        worker.WEBHOOK_LEASE,
    ) as held:
        assert held
        assert worker.run_once(app.state.engine, sessions, http, policy=POLICY) is None
    assert hook.received == []
    with sweep_module.sweep_lock(app.state.engine, sessions, "sweeper") as held:
        assert held
        assert run(app, http).delivered == 1


# --- time-based and sweep events -----------------------------------------------------------------


def test_due_soon_follow_up_and_deadline_events_are_announced_once(
    client: TestClient, app: FastAPI, world: World, db: Session, hook: Receiver, http: httpx.Client
) -> None:
    subscribe(
        client,
        world,
        hook.url,
        "breach.ico_deadline_near",
        "complaint.follow_up_due",
        "subject_request.due_soon",
    )
    near = make_breach(db, world.centre_a, aware_at=utcnow() - timedelta(hours=50))
    make_breach(db, world.centre_a, aware_at=utcnow() - timedelta(hours=10))  # not near yet
    make_breach(db, world.centre_a, aware_at=utcnow() - timedelta(hours=60), risk="unlikely")
    due = today_in_london()
    follow_up = make_complaint(
        db, world.centre_a, received_on=due - timedelta(days=28), follow_up_due_on=due
    )
    make_complaint(  # done: nothing to announce
        db,
        world.centre_a,
        received_on=due - timedelta(days=28),
        follow_up_due_on=due,
        follow_up_done_on=due,
    )
    db.commit()
    first = run(app, http)
    assert first.announced == 2 and first.delivered == 2
    got = {
        json.loads(r.body)["type"]: json.loads(r.body)["data"]["record_id"] for r in hook.received
    }
    assert got == {
        "breach.ico_deadline_near": str(near.id),
        "complaint.follow_up_due": str(follow_up.id),
    }
    assert run(app, http).announced == 0 and len(hook.received) == 2


def test_a_subject_request_due_soon_is_announced(
    client: TestClient, app: FastAPI, world: World, db: Session, hook: Receiver, http: httpx.Client
) -> None:
    from tests.cases.factories import make_person

    subscribe(client, world, hook.url, "subject_request.created", "subject_request.due_soon")
    person = make_person(db, world.centre_a)
    db.commit()
    received = today_in_london() - timedelta(days=30)
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
    )
    assert created.status_code == 201, created.text
    run(app, http)
    types = sorted(json.loads(r.body)["type"] for r in hook.received)
    assert types == ["subject_request.created", "subject_request.due_soon"]
    assert all(
        json.loads(r.body)["data"]["record_id"] == created.json()["id"] for r in hook.received
    )


def test_a_completed_sweep_is_announced(
    client: TestClient, app: FastAPI, world: World, hook: Receiver, http: httpx.Client
) -> None:
    subscribe(client, world, hook.url, "sweep.completed")
    done = sweep(app, today_in_london())
    sweep(app, today_in_london(), dry_run=True)  # a dry run changes nothing: not announced
    run(app, http)
    [got] = hook.received
    payload = json.loads(got.body)
    assert payload["type"] == "sweep.completed"
    assert payload["data"] == {"record_type": "retention_sweep", "record_id": str(done.id)}


# --- the subscription API ------------------------------------------------------------------------


def test_a_service_client_owns_its_subscriptions(client: TestClient, world: World) -> None:
    machine = world.make_service_client(["webhooks:admin"])
    other = world.make_service_client(["webhooks:admin"])
    mine = subscribe(
        client, world, "https://hooks.example.org/a", headers=bearer(service_token(world, machine))
    )
    assert mine["owner_client_id"] == str(machine.id)
    theirs_headers = bearer(service_token(world, other))
    assert_problem(client.get(f"{URL}/{mine['id']}", headers=theirs_headers), 404)
    assert client.get(URL, headers=theirs_headers).json()["items"] == []
    assert_problem(client.delete(f"{URL}/{mine['id']}", headers=theirs_headers), 404)
    everyone = client.get(URL, headers=world.headers("naccc_staff")).json()["items"]
    assert [s["id"] for s in everyone] == [mine["id"]]
    without = world.make_service_client(["records:read"])
    assert_problem(client.get(URL, headers=bearer(service_token(world, without))), 403)


def test_update_pauses_and_resumes_and_delete_removes(
    client: TestClient, app: FastAPI, world: World, hook: Receiver, http: httpx.Client
) -> None:
    subscription = subscribe(client, world, hook.url, "breach.recorded")
    headers = {**world.headers("naccc_staff"), "If-Match": f'"{subscription["version"]}"'}
    paused = client.patch(f"{URL}/{subscription['id']}", json={"active": False}, headers=headers)
    assert paused.status_code == 200, paused.text
    record_breach(client, world)
    assert run(app, http).attempted == 0  # paused: nothing sent (and nothing queued)
    assert_problem(
        client.patch(f"{URL}/{subscription['id']}", json={"active": True}, headers=headers), 412
    )
    gone = client.delete(f"{URL}/{subscription['id']}", headers=world.headers("naccc_staff"))
    assert gone.status_code == 204
    assert_problem(
        client.get(f"{URL}/{subscription['id']}", headers=world.headers("naccc_staff")), 404
    )


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://hooks.example.org/a", "event_types": ["breach.recorded"]},
        {"url": "not a url", "event_types": ["breach.recorded"]},
        {"url": "https://hooks.example.org/" + "a" * 2000, "event_types": ["breach.recorded"]},
        {"url": "https://hooks.example.org/a", "event_types": []},
        {"url": "https://hooks.example.org/a", "event_types": ["breach.deleted"]},
        {"url": "https://hooks.example.org/a", "event_types": "breach.recorded"},
        {"url": "https://hooks.example.org/a", "event_types": ["breach.recorded"], "secret": "x"},
    ],
)
def test_bad_subscriptions_are_refused(client: TestClient, world: World, body: dict) -> None:
    assert_problem(client.post(URL, json=body, headers=world.headers("naccc_staff")), 422)


def test_production_refuses_plain_http() -> None:
    from app.errors import Unprocessable
    from app.webhooks.service import _check_url

    assert _check_url("https://a.example.org/", allow_http=False)
    with pytest.raises(Unprocessable):
        _check_url("http://a.example.org/", allow_http=False)
