"""Liveness and readiness, outside the versioned API."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from app.api.responses import problems
from app.db import utcnow
from app.errors import problem_response
from app.migrate import head_revision
from app.policy import service as policy_service

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    database: str
    schema_revision: str | None
    privacy_policy_version: str | None
    privacy_policy_review_overdue: bool | None


@router.get("/healthz", response_model=Health)
def health_liveness() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Ready, responses=problems(503))
def health_readiness(request: Request) -> Ready | JSONResponse:
    try:
        with request.app.state.sessionmaker() as session:
            current = MigrationContext.configure(session.connection()).get_current_revision()
            if current != head_revision():
                return problem_response(
                    503,
                    "not-ready",
                    "Not ready",
                    "The database schema is not at the latest migration",
                )
            today = utcnow().date()
            policy = policy_service.in_force(session, today)
    except SQLAlchemyError:
        return problem_response(503, "not-ready", "Not ready", "The database is not reachable")
    return Ready(
        status="ready",
        database="ok",
        schema_revision=current,
        privacy_policy_version=policy.version if policy else None,
        privacy_policy_review_overdue=policy_service.review_overdue(policy, today)
        if policy
        else None,
    )
