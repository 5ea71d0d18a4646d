"""The Prometheus endpoint: a permission, route templates as labels, database figures."""

from __future__ import annotations

from datetime import date

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import World, bearer


def _scrape(client: TestClient, world: World) -> str:
    response = client.get("/metrics", headers=world.headers("naccc_staff"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def test_requests_are_counted_by_route_template_never_by_raw_path(
    client: TestClient, world: World
) -> None:
    person = client.post(
        "/api/v1/people",
        json={"centre_id": str(world.centre_a.id), "full_name": "Alice Metric"},
        headers=world.headers("centre_staff"),
    ).json()
    client.get(f"/api/v1/people/{person['id']}", headers=world.headers("centre_staff"))
    client.get("/api/v1/people/alice.metric@example.com", headers=world.headers("centre_staff"))
    text = _scrape(client, world)
    assert (
        'ccr_http_requests_total{method="GET",route="/api/v1/people/{person_id}",status="200"}'
        in text
    )
    assert 'route="/api/v1/people/{person_id}",status="422"' in text
    assert person["id"] not in text
    assert "alice" not in text.lower()
    assert "ccr_http_request_duration_seconds_bucket" in text


def test_unmatched_paths_share_one_label(client: TestClient, world: World) -> None:
    client.get("/nowhere/bob@example.com")
    text = _scrape(client, world)
    assert 'route="unmatched",status="404"' in text
    assert "bob@example.com" not in text


def test_database_figures_are_read_at_scrape_time(client: TestClient, world: World) -> None:
    text = _scrape(client, world)
    for name in (
        "ccr_db_pool_connections_in_use",
        "ccr_db_pool_size",
        "ccr_db_pool_connections_idle",
        'ccr_subject_requests{state="open"}',
        'ccr_subject_requests{state="overdue"}',
        'ccr_webhook_deliveries{status="',
    ):
        assert name in text, name


def test_a_service_client_needs_metrics_read(client: TestClient, world: World) -> None:
    from app.security import tokens

    scraper = world.make_service_client(["metrics:read"])
    other = world.make_service_client(["centres:read"])
    ok = client.get(
        "/metrics", headers=bearer(tokens.issue(world.settings, scraper.id, "service")[0])
    )
    refused = client.get(
        "/metrics", headers=bearer(tokens.issue(world.settings, other.id, "service")[0])
    )
    assert ok.status_code == 200
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"


def test_the_audit_sealing_lag_is_a_figure(client: TestClient, world: World) -> None:
    from app.audit import sealer

    client.get("/api/v1/centres", headers=world.headers("naccc_staff"))
    lines = _scrape(client, world).splitlines()
    unsealed = next(line for line in lines if line.startswith("ccr_audit_unsealed_rows "))
    assert float(unsealed.split()[1]) >= 1
    assert any(line.startswith("ccr_audit_sealing_lag_seconds ") for line in lines)

    app = client.app
    sealer.seal(app.state.engine, app.state.sessionmaker, app.state.audit_chain)
    lines = _scrape(client, world).splitlines()
    assert "ccr_audit_unsealed_rows 0.0" in lines
    assert "ccr_audit_sealing_lag_seconds 0.0" in lines


def _value(text: str, sample: str) -> float:
    line = next((line for line in text.splitlines() if line.startswith(sample + " ")), None)
    assert line is not None, sample
    return float(line.rsplit(" ", 1)[1])


def test_latency_is_by_route_template_and_status(client: TestClient, world: World) -> None:
    route = 'ccr_http_request_duration_seconds_count{method="GET",route="/api/v1/centres"'
    client.get("/api/v1/centres", headers=world.headers("naccc_staff"))
    client.get("/api/v1/centres")
    before = _scrape(client, world)  # the app's counters outlive a test: count the difference
    client.get("/api/v1/centres", headers=world.headers("naccc_staff"))
    client.get("/api/v1/centres", headers=world.headers("centre_staff"))
    client.get("/api/v1/centres")
    after = _scrape(client, world)
    for status, more in (("200", 2), ("401", 1)):
        sample = f'{route},status="{status}"}}'
        assert _value(after, sample) - _value(before, sample) == more


def test_sweep_runs_and_disposals_are_counted_by_rule(
    app: FastAPI, client: TestClient, world: World, db: Session
) -> None:
    from app.retention import sweep as retention_sweep
    from app.retention.models import Disposal, Sweep
    from tests.cases.factories import family

    family(db, world.centre_a, status="closed", closed_on=date(2023, 1, 10))
    db.commit()
    before = _scrape(client, world)
    assert 'ccr_retention_disposals{rule="referral_no_court"}' not in before
    options = retention_sweep.SweepOptions(today=date(2026, 11, 30), trigger="cli")
    sweep_id = retention_sweep.run(app.state.engine, app.state.sessionmaker, options)
    sweep = db.get(Sweep, sweep_id)
    assert sweep is not None and sweep.counts["referral_no_court"] >= 1
    text = _scrape(client, world)
    assert _value(text, 'ccr_retention_sweeps{status="completed"}') == 1
    # Every row of the disposal log: the referral and what went with it.
    logged = db.scalars(select(Disposal.record_type).where(Disposal.sweep_id == sweep_id)).all()
    assert "referral" in logged
    assert _value(text, 'ccr_retention_disposals{rule="referral_no_court"}') == len(logged)


def test_webhook_attempts_are_counted_by_outcome_with_failing_subscriptions(
    client: TestClient, world: World, db: Session
) -> None:
    from app.db import utcnow
    from app.webhooks.models import (
        WebhookAttempt,
        WebhookDelivery,
        WebhookEvent,
        WebhookSubscription,
    )

    subscription = WebhookSubscription(
        url="https://hooks.example.org/ccr",
        event_types=["sweep.completed"],
        secret="s" * 32,
        created_by_id=world.admin.id,
        failing_since=utcnow(),
        consecutive_failures=5,
    )
    event = WebhookEvent(event_type="sweep.completed", data={})
    db.add_all([subscription, event])
    db.flush()
    delivery = WebhookDelivery(event_id=event.id, subscription_id=subscription.id, attempts=3)
    db.add(delivery)
    db.flush()
    for status_code, error in ((503, None), (None, "ConnectError"), (204, None)):
        db.add(WebhookAttempt(delivery_id=delivery.id, status_code=status_code, error=error))
    db.commit()
    text = _scrape(client, world)
    assert _value(text, 'ccr_webhook_attempts{outcome="succeeded"}') == 1
    assert _value(text, 'ccr_webhook_attempts{outcome="failed"}') == 2
    assert _value(text, "ccr_webhook_subscriptions_failing") == 1
    assert _value(text, 'ccr_webhook_deliveries{status="pending"}') == 1
    assert "hooks.example.org" not in text


def test_open_and_overdue_subject_requests_are_counted(
    client: TestClient, world: World, db: Session
) -> None:
    from app.time import today_in_london
    from tests.cases.factories import make_person
    from tests.subject_requests.test_router import file

    before = _scrape(client, world)
    person = make_person(db, world.centre_a)
    db.commit()
    file(client, world, person, identity_verified_on="2026-01-01")  # due a month later
    received = today_in_london().isoformat()
    file(client, world, person, kind="objection", received_on=received)  # no clock yet
    after = _scrape(client, world)
    for state, more in (("open", 2), ("overdue", 1)):
        sample = f'ccr_subject_requests{{state="{state}"}}'
        assert _value(after, sample) - _value(before, sample) == more
