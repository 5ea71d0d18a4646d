"""The route class: one mapping of database errors, and the audit target a request names."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi import Depends, Response
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel, field_serializer
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.api.routing import database_problem, make_router
from app.audit.models import AuditEvent
from app.config import Settings
from app.db import make_sessionmaker
from app.errors import Conflict, PreconditionFailed, Unprocessable
from app.kit import audit
from app.main import create_app
from app.security.dependencies import CurrentPrincipal
from tests.factories import World


@pytest.mark.parametrize(
    ("error", "problem"),
    [
        (IntegrityError("INSERT", {}, Exception("unique")), Conflict),
        (DataError("INSERT", {}, Exception("too long")), Unprocessable),
        (StaleDataError("UPDATE matched 0 rows"), PreconditionFailed),
    ],
)
def test_a_database_error_is_one_problem(error: Exception, problem: type) -> None:
    assert isinstance(database_problem(error), problem)


def test_any_other_error_is_not_a_database_problem() -> None:
    assert database_problem(ValueError("no")) is None


def test_touched_names_the_record_of_the_current_request_only() -> None:
    record, centre = uuid.uuid4(), uuid.uuid4()
    target = audit.begin_request()
    audit.touched(record, centre_id=centre)
    assert (target.resource_id, target.centre_id) == (str(record), centre)
    fresh = audit.begin_request()
    assert fresh.resource_id is None and fresh.centre_id is None


# --- the route class names only what a route said it touched -----------------------------------


@pytest.fixture
def touching_client(
    migrated: tuple[Engine, Settings], connection: Connection
) -> Iterator[TestClient]:
    engine, settings = migrated
    app = create_app(settings, engine)
    app.state.sessionmaker = make_sessionmaker(connection, join_transaction_mode="create_savepoint")
    router = make_router("things", prefix="/things")

    @router.get("/{thing_id}/silent")
    def things_silent(principal: CurrentPrincipal, thing_id: uuid.UUID) -> dict[str, str]:
        return {"id": str(thing_id), "centre_id": str(uuid.uuid4())}

    @router.get("/{thing_id}/named")
    def things_named(principal: CurrentPrincipal, thing_id: uuid.UUID) -> dict[str, str]:
        audit.touched(thing_id, centre_id=NAMED_CENTRE)
        return {"id": str(uuid.uuid4())}

    @router.get("/{thing_id}/unsendable", response_model=Unsendable)
    def things_unsendable(principal: CurrentPrincipal, thing_id: uuid.UUID) -> Unsendable:
        return Unsendable(id=str(thing_id))

    @router.get("/{thing_id}/accepted", dependencies=[Depends(_accepted)])
    def things_accepted(principal: CurrentPrincipal, thing_id: uuid.UUID) -> dict[str, str]:
        return {"id": str(thing_id)}

    @router.get("/{thing_id}/stream", response_class=StreamingResponse)
    def things_stream(principal: CurrentPrincipal, thing_id: uuid.UUID) -> Iterator[bytes]:
        yield b"one,"
        yield b"two"

    app.include_router(router, prefix="/api/v1")
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
        yield client


class Unsendable(BaseModel):
    """Valid, but its JSON cannot be written: the failure comes after the read was audited."""

    id: str

    @field_serializer("id")
    def _refuse(self, value: str) -> str:
        raise RuntimeError("cannot serialise")


def _accepted(response: Response) -> None:
    response.status_code = 203


NAMED_CENTRE = uuid.uuid4()


def _row(db: Session, request_id: str) -> AuditEvent:
    db.expire_all()
    return db.scalars(select(AuditEvent).where(AuditEvent.request_id == request_id)).one()


def test_a_route_that_names_nothing_has_no_resource_in_its_row(
    touching_client: TestClient, world: World, db: Session
) -> None:
    thing = uuid.uuid4()
    headers = {**world.headers("naccc_staff"), "X-Request-ID": "silent-1"}
    assert touching_client.get(f"/api/v1/things/{thing}/silent", headers=headers).is_success
    row = _row(db, "silent-1")
    # Neither the path nor the body is taken for what the route touched.
    assert (row.resource_type, row.resource_id, row.centre_id) == ("things", None, None)


def test_the_row_names_what_the_route_touched(
    touching_client: TestClient, world: World, db: Session
) -> None:
    thing = uuid.uuid4()
    headers = {**world.headers("naccc_staff"), "X-Request-ID": "named-1"}
    assert touching_client.get(f"/api/v1/things/{thing}/named", headers=headers).is_success
    row = _row(db, "named-1")
    assert (row.resource_id, row.centre_id) == (str(thing), NAMED_CENTRE)


def test_a_failed_request_keeps_the_id_its_path_asked_for(
    touching_client: TestClient, world: World, db: Session
) -> None:
    headers = {**world.headers("naccc_staff"), "X-Request-ID": "failed-1"}
    assert (
        touching_client.get("/api/v1/things/not-an-id/silent", headers=headers).status_code == 422
    )
    assert _row(db, "failed-1").resource_id == "not-an-id"


def test_a_read_that_fails_after_it_was_audited_has_one_row(
    touching_client: TestClient, world: World, db: Session
) -> None:
    headers = {**world.headers("naccc_staff"), "X-Request-ID": "unsendable-1"}
    thing = uuid.uuid4()
    assert (
        touching_client.get(f"/api/v1/things/{thing}/unsendable", headers=headers).status_code
        == 500
    )
    # The read was committed with its audit row before the response was written: one row.
    assert _row(db, "unsendable-1").status_code == 200


def test_a_status_a_dependency_sets_is_the_status_audited(
    touching_client: TestClient, world: World, db: Session
) -> None:
    headers = {**world.headers("naccc_staff"), "X-Request-ID": "accepted-1"}
    response = touching_client.get(f"/api/v1/things/{uuid.uuid4()}/accepted", headers=headers)
    assert response.status_code == 203
    assert _row(db, "accepted-1").status_code == 203


def test_a_streaming_endpoint_streams_and_is_audited(
    touching_client: TestClient, world: World, db: Session
) -> None:
    headers = {**world.headers("naccc_staff"), "X-Request-ID": "stream-1"}
    response = touching_client.get(f"/api/v1/things/{uuid.uuid4()}/stream", headers=headers)
    assert (response.status_code, response.content) == (200, b"one,two")
    assert _row(db, "stream-1").status_code == 200
