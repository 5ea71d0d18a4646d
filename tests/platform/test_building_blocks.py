"""Problems, ETags, idempotency, pagination, limits and headers: the blocks every domain reuses."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.centres.models import Centre
from app.main import create_app
from tests.conftest import settings_for
from tests.factories import World, make_centre
from tests.helpers import assert_problem


def test_unknown_route_is_a_404_problem(client: TestClient, world: World) -> None:
    assert_problem(client.get("/api/v1/nothing-here", headers=world.headers("naccc_staff")), 404)


def test_wrong_method_is_405_listing_every_method_of_the_path(
    client: TestClient, world: World
) -> None:
    response = client.put("/api/v1/centres", headers=world.headers("naccc_staff"))
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, POST"


def test_malformed_json_is_a_400_problem(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/centres",
        content=b'{"name": "x", ',
        headers={**world.headers("naccc_staff"), "Content-Type": "application/json"},
    )
    assert assert_problem(response, 400)["errors"][0]["type"] == "json_invalid"


def test_validation_problem_names_fields_and_never_echoes_input(
    client: TestClient, world: World
) -> None:
    response = client.post(
        "/api/v1/users",
        json={"email": "not-an-address-jane.doe", "full_name": "Jane Doe", "role": "centre_staff"},
        headers=world.headers("naccc_staff"),
    )
    body = assert_problem(response, 422)
    assert ["body", "email"] in [e["loc"] for e in body["errors"]]
    assert "jane.doe" not in response.text and "Jane Doe" not in response.text


def test_unknown_body_fields_are_refused(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/centres",
        json={"name": "A", "code": "ZZ", "colour": "red"},
        headers=world.headers("naccc_staff"),
    )
    assert ["body", "colour"] in [e["loc"] for e in assert_problem(response, 422)["errors"]]


def test_body_over_the_limit_is_413_by_content_length(client: TestClient, world: World) -> None:
    limit = client.app.state.settings.max_body_bytes
    response = client.post(
        "/api/v1/centres",
        content=b"x" * (limit + 1),
        headers={**world.headers("naccc_staff"), "Content-Type": "application/json"},
    )
    assert_problem(response, 413)


def test_streamed_body_over_the_limit_is_413(client: TestClient, world: World) -> None:
    limit = client.app.state.settings.max_body_bytes

    def chunks():
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    response = client.post(
        "/api/v1/centres",
        content=chunks(),
        headers={**world.headers("naccc_staff"), "Content-Type": "application/json"},
    )
    assert_problem(response, 413)


def test_reads_carry_an_etag_and_writes_need_the_current_version(
    client: TestClient, world: World
) -> None:
    url = f"/api/v1/centres/{world.centre_a.id}"
    admin = world.headers("naccc_staff")
    assert client.get(url, headers=admin).headers["etag"] == '"1"'
    assert_problem(client.patch(url, json={"name": "X"}, headers=admin), 428)
    assert_problem(client.patch(url, json={"name": "X"}, headers={**admin, "If-Match": '"7"'}), 412)
    assert_problem(
        client.patch(url, json={"name": "X"}, headers={**admin, "If-Match": "garbage"}), 412
    )
    ok = client.patch(url, json={"name": "Renamed"}, headers={**admin, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"'


def test_two_writers_from_one_version_only_the_first_wins(
    client: TestClient, world: World, db
) -> None:
    url = f"/api/v1/centres/{world.centre_a.id}"
    admin = {**world.headers("naccc_staff"), "If-Match": '"1"'}
    first = client.patch(url, json={"name": "First"}, headers=admin)
    second = client.patch(url, json={"name": "Second", "accreditation_number": "N1"}, headers=admin)
    assert first.status_code == 200
    assert_problem(second, 412)
    current = client.get(url, headers=world.headers("naccc_staff")).json()
    assert (current["name"], current["accreditation_number"], current["version"]) == (
        "First",
        None,
        2,
    )


def test_idempotency_key_replays_the_first_response(client: TestClient, world: World, db) -> None:
    headers = {**world.headers("naccc_staff"), "Idempotency-Key": "create-centre-1"}
    body = {"name": "Idem", "code": "IDEM"}
    first = client.post("/api/v1/centres", json=body, headers=headers)
    again = client.post("/api/v1/centres", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert db.scalar(select(func.count()).select_from(Centre).where(Centre.code == "IDEM")) == 1


def test_idempotency_key_with_another_body_is_422(client: TestClient, world: World) -> None:
    headers = {**world.headers("naccc_staff"), "Idempotency-Key": "create-centre-2"}
    assert (
        client.post(
            "/api/v1/centres", json={"name": "A", "code": "KEYA"}, headers=headers
        ).status_code
        == 201
    )
    response = client.post("/api/v1/centres", json={"name": "B", "code": "KEYB"}, headers=headers)
    assert assert_problem(response, 422)["type"].endswith("/idempotency-key-reused")


def test_idempotency_keys_belong_to_one_principal(client: TestClient, world: World, db) -> None:
    other_admin = world.token_for(world.admin)  # same principal, new token: still a replay
    headers = {"Idempotency-Key": "shared-key"}
    body = {"name": "P", "code": "PRIN"}
    first = client.post(
        "/api/v1/centres", json=body, headers={**world.headers("naccc_staff"), **headers}
    )
    again = client.post(
        "/api/v1/centres", json=body, headers={"Authorization": f"Bearer {other_admin}", **headers}
    )
    assert again.json()["id"] == first.json()["id"]


def test_keyset_pagination_walks_every_item_once(client: TestClient, world: World, db) -> None:
    for _ in range(5):
        make_centre(db)
    db.commit()
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(
            "/api/v1/centres", params=params, headers=world.headers("naccc_staff")
        ).json()
        assert len(page["items"]) <= 2
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7


def test_invalid_cursor_and_page_size_are_422(client: TestClient, world: World) -> None:
    admin = world.headers("naccc_staff")
    response = client.get("/api/v1/centres", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=admin)
    assert assert_problem(response, 422)["type"].endswith("/invalid-cursor")
    assert_problem(client.get("/api/v1/centres", params={"limit": 201}, headers=admin), 422)
    assert_problem(client.get("/api/v1/centres", params={"limit": 0}, headers=admin), 422)


def test_duplicate_unique_value_is_409(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/centres", json={"name": "Dup", "code": "AA"}, headers=world.headers("naccc_staff")
    )
    assert_problem(response, 409)


def test_security_headers_and_no_store_on_every_api_response(
    client: TestClient, world: World
) -> None:
    for headers in (world.headers("inspector"), {}):
        response = client.get("/api/v1/centres", headers=headers)
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "default-src 'none'" in response.headers["content-security-policy"]


def test_request_id_is_kept_when_safe_and_replaced_otherwise(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\n<script>"}).headers[
        "x-request-id"
    ]
    assert replaced != "bad id\n<script>" and len(replaced) == 32


def test_cors_is_off_by_default_and_follows_settings(app: FastAPI, connection) -> None:
    with TestClient(app) as plain:
        response = plain.get("/healthz", headers={"Origin": "https://front.example.org"})
        assert "access-control-allow-origin" not in response.headers
    settings = settings_for(
        app.state.settings.database_url, cors_origins=["https://front.example.org"]
    )
    with TestClient(create_app(settings, app.state.engine)) as cors:
        preflight = cors.options(
            "/api/v1/centres",
            headers={"Origin": "https://front.example.org", "Access-Control-Request-Method": "GET"},
        )
        assert preflight.headers["access-control-allow-origin"] == "https://front.example.org"
        other = cors.options(
            "/api/v1/centres",
            headers={"Origin": "https://evil.example.net", "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in other.headers


def test_a_failing_request_writes_nothing_but_its_audit_row(
    client: TestClient, world: World, db
) -> None:
    from app.audit.models import AuditEvent

    before = db.scalar(select(func.count()).select_from(Centre))
    response = client.patch(
        f"/api/v1/centres/{world.centre_a.id}",
        json={"name": "Nope", "year_end_month": 2, "year_end_day": 30},
        headers={**world.headers("naccc_staff"), "If-Match": '"1"'},
    )
    assert_problem(response, 422)
    db.expire_all()
    assert db.get(Centre, world.centre_a.id).name == "Centre AA"
    assert db.scalar(select(func.count()).select_from(Centre)) == before
    last = db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (last.action, last.status_code) == ("centres_update", 422)


def test_a_timestamp_with_no_utc_equivalent_is_a_rule_problem(
    client: TestClient, world: World
) -> None:
    response = client.get(
        "/api/v1/audit-events",
        params={"occurred_from": "0001-01-01T00:00:00+05:00"},
        headers=world.headers("naccc_staff"),
    )
    assert assert_problem(response, 422, "unprocessable")["errors"][0]["loc"] == [
        "query",
        "occurred_from",
    ]
