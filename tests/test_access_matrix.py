"""Every route × every role, and centre A never seeing centre B."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.cli import openapi_document  # noqa: F401  (builds an app without a database)
from tests.factories import World
from tests.matrix import ROLES, Call, Row, all_rows

ROWS = all_rows()
CROSS_CENTRE_ROWS = [row for row in ROWS if row.other_centre is not None]


def _app_routes() -> set[tuple[str, str]]:
    import json

    document = json.loads(openapi_document())
    return {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }


def _send(client: TestClient, world: World, row: Row, call: Call, role: str):
    headers = {**world.headers(role), **call.headers}
    return client.request(
        row.method,
        row.path.format(**call.path_params),
        json=call.json,
        data=call.data,
        files=call.files,
        params=call.params,
        headers=headers,
    )


def test_every_route_has_exactly_one_row() -> None:
    rows = [(row.method, row.path) for row in ROWS]
    assert len(rows) == len(set(rows)), "a route has two rows"
    missing = _app_routes() - set(rows)
    assert not missing, f"routes without a row in the access matrix: {sorted(missing)}"
    stale = set(rows) - _app_routes()
    assert not stale, f"matrix rows for routes that do not exist: {sorted(stale)}"


# Logging in and out change no record: an inspector may end its own token.
AUTH_ROUTES = ("/api/v1/auth/token", "/api/v1/auth/logout")


def test_inspectors_may_write_nothing() -> None:
    for row in ROWS:
        if row.method != "GET" and row.path not in AUTH_ROUTES:
            assert row.expected("inspector") == 403, row.id


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_route_answers_role_as_the_matrix_says(
    client: TestClient, world: World, row: Row, role: str
) -> None:
    response = _send(client, world, row, row.call(world), role)
    assert response.status_code == row.expected(role), response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
    if response.status_code == 401:
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("role", ["centre_staff", "inspector"])
@pytest.mark.parametrize("row", CROSS_CENTRE_ROWS, ids=[r.id for r in CROSS_CENTRE_ROWS])
def test_another_centres_object_is_not_found(
    client: TestClient, world: World, row: Row, role: str
) -> None:
    """404, or the 403 the role gets on its own centre's object (a write, finance for an
    inspector): the permission is checked first, so the answer tells nothing either way."""
    assert row.other_centre is not None
    response = _send(client, world, row, row.other_centre(world), role)
    expected = 403 if row.expected(role) == 403 else 404
    assert response.status_code == expected, response.text
