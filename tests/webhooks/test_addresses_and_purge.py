"""Webhook URLs may not reach internal addresses (SSRF), checked when subscribing and again at
delivery; the outbox purges finished deliveries; production refuses to allow loopback."""

from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import ConfigError, Settings
from app.db import utcnow
from app.webhooks import worker
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent
from tests.factories import World
from tests.helpers import assert_problem
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_webhooks import POLICY, URL, deliveries, record_breach, run, subscribe

REFUSED = "webhook-address-refused"


@pytest.fixture
def no_loopback(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """As in production: loopback is not allowed."""
    monkeypatch.setattr(app.state.settings, "webhook_allow_loopback", False)


def resolving(monkeypatch: pytest.MonkeyPatch, names: dict[str, str]) -> None:
    """The resolver answers `names` (host → address) and knows no other name."""

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[host], 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "https://224.0.0.1/hook",
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://internal.example.org/hook",
    ],
)
def test_internal_addresses_are_refused(
    client: TestClient,
    world: World,
    no_loopback: None,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
) -> None:
    resolving(monkeypatch, {"internal.example.org": "10.0.0.7"})
    body = {"url": url, "event_types": ["breach.recorded"]}
    problem = assert_problem(
        client.post(URL, json=body, headers=world.headers("naccc_staff")), 422, REFUSED
    )
    assert problem["errors"][0]["loc"] == ["body", "url"]


def test_public_and_unresolved_hosts_are_accepted_and_a_change_is_checked_too(
    client: TestClient, world: World, no_loopback: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolving(monkeypatch, {"hooks.example.com": "93.184.216.34"})
    public = subscribe(client, world, "https://hooks.example.com/ccr")
    subscribe(client, world, "https://93.184.216.34/ccr")
    subscribe(client, world, "https://not-yet-in-dns.example.org/ccr")
    admin = world.headers("naccc_staff")
    headers = {**admin, "If-Match": f'"{public["version"]}"'}
    moved = client.patch(
        f"{URL}/{public['id']}", json={"url": "https://127.0.0.1/ccr"}, headers=headers
    )
    assert_problem(moved, 422, REFUSED)


def test_the_loopback_setting_allows_loopback_only(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe(client, world, "http://127.0.0.1:9/ccr")
    body = {"url": "https://10.0.0.1/ccr", "event_types": ["breach.recorded"]}
    assert_problem(client.post(URL, json=body, headers=world.headers("naccc_staff")), 422, REFUSED)


def test_delivery_refuses_a_name_that_now_resolves_inside(
    client: TestClient,
    app: FastAPI,
    world: World,
    hook: Receiver,
    http: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = hook.url.split(":")[2].split("/")[0]
    resolving(monkeypatch, {})
    subscription = subscribe(client, world, f"http://rebound.example.org:{port}/hooks/ccr")
    record_breach(client, world)
    # The name now points at the loopback receiver, which production does not allow.
    resolving(monkeypatch, {"rebound.example.org": "127.0.0.1"})
    production = worker.DeliveryPolicy(allow_loopback=False)
    result = run(app, http, policy=production)
    assert (result.attempted, result.delivered) == (1, 0)
    assert hook.received == []
    [delivery] = deliveries(client, world, subscription)
    assert delivery["status"] == "pending"
    assert delivery["attempts"][0]["error"] == "AddressRefused"
    assert delivery["attempts"][0]["status_code"] is None


def test_delivery_refuses_a_loopback_subscription_without_the_setting(
    client: TestClient, app: FastAPI, world: World, hook: Receiver, http: httpx.Client
) -> None:
    subscription = subscribe(client, world, hook.url)
    record_breach(client, world)
    assert run(app, http, policy=worker.DeliveryPolicy()).delivered == 0
    assert hook.received == []
    assert deliveries(client, world, subscription)[0]["attempts"][0]["error"] == "AddressRefused"


def _counts(db: Session) -> tuple[int, int, int]:
    """Change events (not time-based ones, which stay), deliveries, attempts."""
    db.expire_all()
    events = select(func.count()).where(WebhookEvent.once_key.is_(None))
    return (
        int(db.scalar(events) or 0),
        int(db.scalar(select(func.count()).select_from(WebhookDelivery)) or 0),
        int(db.scalar(select(func.count()).select_from(WebhookAttempt)) or 0),
    )


def test_finished_deliveries_are_purged_after_the_keep_period(
    client: TestClient,
    app: FastAPI,
    world: World,
    db: Session,
    hook: Receiver,
    http: httpx.Client,
) -> None:
    subscribe(client, world, hook.url)
    record_breach(client, world)
    assert run(app, http).delivered == 1
    hook.always_fail = True
    record_breach(client, world)
    assert run(app, http).delivered == 0  # pending, to be retried
    assert _counts(db) == (2, 2, 2)
    start, keep = utcnow(), POLICY.keep_finished
    # Within the keep period nothing goes (the pending one is retried: a third attempt).
    assert run(app, http, now=start + keep - timedelta(days=1)).purged == 0
    assert _counts(db) == (2, 2, 3)
    # After it, the delivered one goes with its attempt and event; the pending one stays (and
    # is retried once more).
    assert run(app, http, now=start + keep + timedelta(days=1)).purged == 1
    assert _counts(db) == (1, 1, 3)
    hook.always_fail = False
    result = run(app, http, now=start + keep + timedelta(days=1, hours=1))
    assert (result.purged, result.delivered) == (0, 1)
    assert run(app, http, now=start + 2 * keep + timedelta(days=2)).purged == 1
    assert _counts(db) == (0, 0, 0)
    # The time-based events stay, so a further run announces nothing again.
    kept = db.scalar(select(func.count()).where(WebhookEvent.once_key.is_not(None)))
    assert kept and run(app, http, now=start + 2 * keep + timedelta(days=3)).announced == 0


def test_production_refuses_to_allow_loopback(tmp_path: Any) -> None:
    settings = Settings(
        env="prod",
        database_url="postgresql://ccr@localhost/ccr",
        jwt_secret="x" * 40,
        encryption_keys=["k"],
        audit_hmac_keys=["k1:" + "s" * 40],
        webhook_allow_loopback=True,
        data_dir=tmp_path,
    )
    with pytest.raises(ConfigError, match="WEBHOOK_ALLOW_LOOPBACK"):
        settings.prepare()
