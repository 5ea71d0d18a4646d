"""Finding 8: hand-made cursors and extreme periods are 4xx, never 500; and a 500, if one ever
happens, is still a well-formed problem with the request id, security headers and `no-store`."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from app.api.middleware import SECURITY_HEADERS
from app.api.routing import make_router
from app.audit.models import AuditEvent
from app.config import Settings
from app.db import make_sessionmaker
from app.main import create_app
from app.security.dependencies import CurrentPrincipal
from tests.factories import World, make_user
from tests.helpers import assert_problem

API = "/api/v1"
NIL = "00000000-0000-0000-0000-000000000000"


def cursor_of(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


HAND_MADE_CURSORS = [
    ["2026-01-01T00:00:00+00:00", 1],
    ["2026-01-01T00:00:00+00:00", True],
    ["2026-01-01T00:00:00+00:00", None],
    ["2026-01-01T00:00:00+00:00", ["x"]],
    [1, NIL],
    ["0001-01-01T00:00:00+05:00", NIL],
    ["9999-12-31T23:59:59-05:00", NIL],
    ["2026-01-01T00:00:00", NIL],
    ["2026-01-01T00:00:00+00:00", "not-a-uuid"],
    ["2026-01-01T00:00:00+00:00\u0000", NIL],
    {"a": 1},
    [],
]


@pytest.mark.parametrize("values", HAND_MADE_CURSORS, ids=repr)
@pytest.mark.parametrize("path", ["/users", "/centres", "/people", "/audit-events"])
def test_a_hand_made_cursor_is_422_never_500(
    client: TestClient, world: World, path: str, values: Any
) -> None:
    response = client.get(
        API + path, params={"cursor": cursor_of(values)}, headers=world.headers("naccc_staff")
    )
    assert_problem(response, 422, "invalid-cursor")


def test_a_cursor_at_the_edge_of_time_pages_on(
    client: TestClient, world: World, db: Session
) -> None:
    """A valid year-1 cursor (UTC) is not refused: it is simply before every row."""
    make_user(db, "naccc_staff")
    db.commit()
    response = client.get(
        f"{API}/users",
        params={"cursor": cursor_of(["0001-01-01T00:00:00+00:00", NIL])},
        headers=world.headers("naccc_staff"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["items"]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01", "9999-12-31"),
        ("0001-01-01", "0001-01-01"),
        ("9999-12-31", "9999-12-31"),
    ],
)
@pytest.mark.parametrize("role", ["naccc_staff", "centre_staff"])
def test_stats_over_the_widest_period_answer_never_500(
    client: TestClient, world: World, start: str, end: str, role: str
) -> None:
    response = client.get(
        f"{API}/stats/summary", params={"from": start, "to": end}, headers=world.headers(role)
    )
    # Not a whole calendar month, quarter or year (DESIGN §11): a clear 422 problem, never a 500.
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


# --- a route that raises -------------------------------------------------------------------------


@pytest.fixture
def failing_client(
    migrated: tuple[Engine, Settings], connection: Connection
) -> Iterator[TestClient]:
    engine, settings = migrated
    app = create_app(settings, engine)
    app.state.sessionmaker = make_sessionmaker(connection, join_transaction_mode="create_savepoint")
    audited = make_router("failing", prefix="/failing")

    @audited.get("/audited")
    def failing_audited(principal: CurrentPrincipal) -> None:
        raise RuntimeError("a bug")

    plain = APIRouter()

    @plain.get("/plain")
    def failing_plain() -> None:
        raise RuntimeError("a bug")

    app.include_router(audited, prefix=API)
    app.include_router(plain, prefix=API)
    # As in production: the exception is not raised into the test, its answer is returned.
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("path", ["/failing/audited", "/plain"])
def test_a_500_is_a_problem_with_request_id_security_headers_and_no_store(
    failing_client: TestClient, world: World, path: str
) -> None:
    response = failing_client.get(
        API + path, headers={**world.headers("naccc_staff"), "X-Request-ID": "req-500-test"}
    )

    body = assert_problem(response, 500, "internal-error")
    assert "a bug" not in response.text and "Traceback" not in response.text
    assert body["instance"] == API + path
    assert response.headers["x-request-id"] == "req-500-test"
    assert response.headers["cache-control"] == "no-store"
    for name, value in SECURITY_HEADERS:
        assert response.headers[name.decode()] == value.decode()


def test_a_500_of_an_audited_route_is_audited(
    failing_client: TestClient, world: World, db: Session
) -> None:
    failing_client.get(f"{API}/failing/audited", headers=world.headers("naccc_staff"))

    row = db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (row.action, row.status_code, row.actor_id) == ("failing_audited", 500, world.admin.id)
