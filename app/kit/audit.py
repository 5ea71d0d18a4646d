"""The audit row of a request: what it records, and what the request says it touched.

The route class (`app.api.routing`) writes one row per request. Its resource id and centre come
from `touched()`, called by the service or route that loaded or wrote the record; a successful
request that names nothing has no resource id in its row (a failed one keeps the id it asked for
in its path). Ids only, never values.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session


@dataclass
class AuditEntry:
    action: str
    actor_type: str | None = None
    actor_id: uuid.UUID | None = None
    role: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    centre_id: uuid.UUID | None = None
    status_code: int | None = None
    request_id: str | None = None
    details: dict[str, Any] | None = None


# Appends entries to the chain in the caller's transaction; the app hands in `app.audit`'s.
AuditWriter = Callable[[Session, list[AuditEntry]], object]


@dataclass
class AuditTarget:
    """The record a request touched, as its service or route says; a list names no record, only
    the centre it was filtered by (if any)."""

    named: bool = False
    resource_id: str | None = None
    centre_id: uuid.UUID | None = None


_target: ContextVar[AuditTarget | None] = ContextVar("audit_target", default=None)


def begin_request() -> AuditTarget:
    """A fresh target for one request; the route class reads it back when it audits."""
    target = AuditTarget()
    _target.set(target)
    return target


def touched(resource_id: object | None, *, centre_id: uuid.UUID | None) -> None:
    """Name the record this request touched (and its centre) in the request's audit row; the
    last call wins, so a route that loads a parent and then writes a child names the child."""
    target = _target.get()
    if target is not None:
        target.named = True
        target.resource_id = None if resource_id is None else str(resource_id)
        target.centre_id = centre_id


def touched_record(record: Any) -> None:
    """`touched` for a record that carries its own `centre_id`."""
    touched(record.id, centre_id=record.centre_id)
