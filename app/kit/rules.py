"""Broken rules as problems: a 422 that names the offending body field, a 409 for a lost race."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import Conflict, Unprocessable


def field_error(field: str, msg: str, kind: str = "value_error") -> list[dict[str, Any]]:
    """The `errors` of a problem about one field of the request body."""
    return [{"loc": ["body", field], "msg": msg, "type": kind}]


def field_rule(message: str, field: str, kind: str = "value_error") -> Unprocessable:
    """A 422 whose detail and field message are the same sentence."""
    return Unprocessable(message, errors=field_error(field, message, kind))


def flush_or_conflict(session: Session, detail: str) -> None:
    """Flush; a unique constraint lost to a concurrent request is a 409, never a 500."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(detail) from exc
