"""Every route names what it touched (`app.kit.audit.touched`): the route class guesses nothing
from the path or the response body, so a route that forgets shows here as a row without its
resource. Each row of the access matrix is driven once, by a role it serves, and its audit row
must name the record the response shows (and the record's centre)."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from tests.factories import World
from tests.matrix import ROLES, Row, all_rows

# What touches no record: a login or logout acts on a token, a verification or a statistic on
# no single record; a list names only its centre filter (and keeps the ids it returned).
NO_RECORD = {
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/logout"),
}
ROWS = [row for row in all_rows() if (row.method, row.path) not in NO_RECORD]


def _serving_role(row: Row) -> str | None:
    return next((role for role in ROLES if 200 <= row.expected(role) < 300), None)


def _audited(row: Row) -> bool:
    """An API route with a caller (the public routes answer anyone and audit no one)."""
    return row.path.startswith("/api/") and not row.path.startswith("/api/v1/public/")


def _event(db: Session, request_id: str) -> AuditEvent:
    db.expire_all()
    return db.scalars(select(AuditEvent).where(AuditEvent.request_id == request_id)).one()


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_the_audit_row_names_what_the_route_touched(
    client: TestClient, world: World, db: Session, row: Row
) -> None:
    role = _serving_role(row)
    if role is None or role == "anonymous" or not _audited(row):
        pytest.skip("an unaudited route, or one that serves only the anonymous")
    call = row.call(world)
    request_id = uuid.uuid4().hex
    response = client.request(
        row.method,
        row.path.format(**call.path_params),
        json=call.json,
        data=call.data,
        files=call.files,
        params=call.params,
        headers={**world.headers(role), **call.headers, "X-Request-ID": request_id},
    )
    assert 200 <= response.status_code < 300, response.text
    event = _event(db, request_id)
    body = response.json() if "json" in response.headers.get("content-type", "") else None
    if isinstance(body, list) or (isinstance(body, dict) and isinstance(body.get("items"), list)):
        return  # a list names no record (a page keeps the ids it returned)
    names_a_record = (
        row.method != "GET" or call.path_params or (isinstance(body, dict) and "id" in body)
    )
    if not names_a_record:
        return  # a report (statistics, what is due, who I am) is about no one record
    assert event.resource_id is not None, f"{row.id} names no record in its audit row"
    if isinstance(body, dict) and body.get("id") is not None:
        assert event.resource_id == str(body["id"])
        if body.get("centre_id") is not None:
            assert str(event.centre_id) == str(body["centre_id"])
    elif call.path_params:
        # No body (204) or no id in it: the record is the one the path names.
        assert event.resource_id in {str(v) for v in call.path_params.values()}
