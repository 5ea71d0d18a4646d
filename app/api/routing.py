"""The audited route: one transaction per request, and one audit row per request.

Every API router uses `AuditedRoute`. It opens the request's session, runs the endpoint, appends
an audit event (who, what, which record, which centre: ids only) and commits, all in the same
transaction, so a change is never committed without its audit row. A request that fails is
rolled back and its attempt audited in a transaction of its own.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from app.api import idempotency
from app.audit import service as audit_service
from app.errors import AppError, Conflict, PreconditionFailed, Unprocessable
from app.security.principals import Principal

log = logging.getLogger(__name__)
MAX_AUDITED_IDS = 200
MAX_AUDITED_ID_LENGTH = 64


def _json_body(response: Response) -> Any:
    if not (response.media_type or "").endswith("json"):
        return None
    body = getattr(response, "body", None)
    if not body or len(body) > 2_000_000:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _entry(
    request: Request, route: APIRoute, principal: Principal, status_code: int, body: Any
) -> audit_service.AuditEntry:
    path_params = {k: _storable(str(v)) for k, v in request.path_params.items()}
    resource_id = next(reversed(path_params.values()), None) if path_params else None
    centre_id = None
    details: dict[str, Any] = {}
    if isinstance(body, dict) and "items" in body and isinstance(body["items"], list):
        items = [i for i in body["items"] if isinstance(i, dict)]
        details["ids"] = [str(i.get("id")) for i in items[:MAX_AUDITED_IDS] if i.get("id")]
        centres = {i.get("centre_id") for i in items}
        if len(centres) == 1:
            centre_id = centres.pop()
    elif isinstance(body, dict) and 200 <= status_code < 300:
        if body.get("id") is not None:
            resource_id = str(body["id"])
        centre_id = body.get("centre_id")
    if route.tags and route.tags[0] == "centres" and resource_id and centre_id is None:
        centre_id = resource_id
    if len(path_params) > 1:
        details["path"] = path_params
    if principal.lawful_purpose is not None:
        details["lawful_purpose"] = principal.lawful_purpose.value
    # A route may add ids or field names (never values) to its audit row.
    details.update(getattr(request.state, "audit_details", None) or {})
    if centre_id is None and principal.centre_ids is not None and len(principal.centre_ids) == 1:
        centre_id = next(iter(principal.centre_ids))
    return audit_service.AuditEntry(
        action=route.name,
        actor_type=principal.kind.value,
        actor_id=principal.id,
        role=principal.role.value,
        resource_type=str(route.tags[0]) if route.tags else None,
        resource_id=resource_id,
        centre_id=_uuid_or_none(centre_id),
        status_code=status_code,
        request_id=getattr(request.state, "request_id", None),
        details=details or None,
    )


def _storable(value: str) -> str:
    """A path value as the audit row can hold it on every database: PostgreSQL text refuses NUL
    (`%00` in a path) and the column holds 64 characters, so an odd id is still audited."""
    return value.replace("\x00", "\ufffd")[:MAX_AUDITED_ID_LENGTH]


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:
        return None


def _commit(request: Request, route: APIRoute, session: Session, response: Response) -> None:
    principal: Principal | None = getattr(request.state, "principal", None)
    try:
        if principal is not None:
            entry = _entry(request, route, principal, response.status_code, _json_body(response))
            audit_service.append(session, [entry])
        idempotency.remember(session, request, response)
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise PreconditionFailed(
            "The record was changed by another request; read it again"
        ) from exc
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("The change conflicts with existing data") from exc
    except DataError as exc:
        session.rollback()
        raise Unprocessable("A value cannot be stored; check lengths and characters") from exc


def _audit_failure(request: Request, route: APIRoute, status_code: int) -> None:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        return
    session: Session = request.app.state.sessionmaker()
    try:
        audit_service.append(session, [_entry(request, route, principal, status_code, None)])
        session.commit()
    except Exception:
        session.rollback()
        log.exception("could not audit a failed request")
    finally:
        session.close()


def _status_of(exc: Exception) -> int:
    if isinstance(exc, AppError):
        return exc.status
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, RequestValidationError):
        return 422
    return 500


def _query_names(dependant: Any) -> set[str]:
    """Every query parameter a route declares, in itself and its dependencies."""
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _refuse_unknown_query(request: Request, allowed: set[str]) -> None:
    """A query parameter the route does not declare is refused (422), as an unknown body field
    is: a misspelt filter (`?centre=` for `?centre_id=`) must not silently list everything."""
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "msg": "unknown query parameter",
                    "type": "extra_forbidden",
                }
                for name in unknown[:20]
            ]
        )


def _takes_idempotency_key(dependant: Any) -> bool:
    return any(
        sub.call is idempotency.idempotency_key or _takes_idempotency_key(sub)
        for sub in dependant.dependencies
    )


class AuditedRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if any(
            getattr(d, "dependency", None) is idempotency.idempotency_key
            for d in kwargs.get("dependencies") or []
        ):
            # The replay is answered in the endpoint's place, after every dependency passed.
            endpoint = idempotency.replaying(endpoint)
        super().__init__(path, endpoint, **kwargs)
        if _takes_idempotency_key(self.dependant) and not hasattr(self.endpoint, "__wrapped__"):
            raise TypeError(f"{self.name}: declare Idempotent in the route's `dependencies`")

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()
        route = self
        allowed_query = _query_names(self.dependant)

        async def handler(request: Request) -> Response:
            _refuse_unknown_query(request, allowed_query)
            session: Session = request.app.state.sessionmaker()
            request.state.db = session
            replay_token = idempotency.pending_replay.set(None)
            try:
                try:
                    response = await inner(request)
                except idempotency.IdempotentReplay as replay:
                    response = replay.response
                    audit_details = getattr(request.state, "audit_details", None) or {}
                    request.state.audit_details = {**audit_details, "idempotent_replay": True}
                except Exception as exc:
                    await run_in_threadpool(session.rollback)
                    if isinstance(exc, IntegrityError):
                        # A unique or foreign key rule broken by a concurrent request.
                        exc = Conflict("The change conflicts with existing data")
                    elif isinstance(exc, DataError):
                        # A value the database cannot store (out of range, bad encoding).
                        exc = Unprocessable(
                            "A value cannot be stored; check lengths and characters"
                        )
                    elif isinstance(exc, StaleDataError):
                        exc = PreconditionFailed(
                            "The record was changed by another request; read it again"
                        )
                    await run_in_threadpool(_audit_failure, request, route, _status_of(exc))
                    raise exc from None
                await run_in_threadpool(_commit, request, route, session, response)
                return response
            finally:
                idempotency.pending_replay.reset(replay_token)
                await run_in_threadpool(session.close)

        return handler


def make_router(tag: str, **kwargs: Any) -> APIRouter:
    return APIRouter(tags=[tag], route_class=AuditedRoute, **kwargs)
