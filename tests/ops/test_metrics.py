"""The Prometheus endpoint: a permission, route templates as labels, database figures."""

from __future__ import annotations

from fastapi.testclient import TestClient

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
