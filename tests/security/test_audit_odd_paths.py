"""Finding 9: a request with `%00` (or an over-long id) in its path is still audited, also on
PostgreSQL, whose text columns refuse NUL."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import sealer
from app.audit import service as audit_service
from app.audit.models import AuditEvent
from tests.factories import World

API = "/api/v1"


def last_event(db: Session) -> AuditEvent:
    db.expire_all()
    return db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/people/%00"),
        ("GET", "/people/abc%00def"),
        ("GET", "/documents/%00/content"),
        ("PATCH", "/centres/%00"),
        ("DELETE", "/inspector-grants/%00"),
        ("GET", "/people/" + "x" * 300),
    ],
)
def test_a_request_with_an_odd_path_is_audited(
    app: FastAPI, client: TestClient, world: World, db: Session, method: str, path: str
) -> None:
    before = db.scalar(select(func.max(AuditEvent.seq))) or 0

    response = client.request(method, API + path, headers=world.headers("naccc_staff"), json={})

    assert 400 <= response.status_code < 500, response.text
    row = last_event(db)
    # The sequence is an identity: numbers used by rolled-back transactions are not reused.
    assert row.seq > before, "the request was not audited"
    assert row.actor_id == world.admin.id
    assert row.status_code == response.status_code
    assert row.resource_id is not None
    assert "\x00" not in row.resource_id and len(row.resource_id) <= 64
    sealer.seal(app.state.engine, app.state.sessionmaker, app.state.audit_chain)
    assert audit_service.verify(db, app.state.audit_chain).ok
