"""The audited route: one transaction per request, and one audit row per request.

Every API router uses `AuditedRoute`. It opens the request's session, runs the endpoint, appends
an audit event (who, what, which record, which centre: ids only) and commits, all in the same
transaction, so a change is never committed without its audit row. A request that fails is
rolled back and its attempt audited in a transaction of its own; a failure whose writes must
still count (a failed login's throttle row) raises `CommitThenRaise`. A read (GET) that answered
commits in its endpoint's own thread-pool call, before its response is written; a write commits
after its response is made (an idempotent replay stores it).

The row's resource type is what `make_router` declares; its resource id and centre are what the
service or route named with `app.kit.audit.touched()`: nothing is guessed from the path or the
response body, so a route that names nothing shows as a row without a resource id (a failed
request keeps the id its path asked for; a list keeps the ids it returned). The audit writer is
handed in by the app (`app.state.audit_writer`), so this layer imports no domain.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
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
from starlette.routing import Match
from starlette.types import Scope

from app.api import idempotency
from app.api.gate import OVERLOADED_DESCRIPTION, Overloaded
from app.api.responses import problem
from app.errors import AppError, Conflict, PreconditionFailed, Unprocessable
from app.kit.audit import AuditEntry, AuditTarget, AuditWriter, begin_request, touched
from app.security.principals import Principal

log = logging.getLogger(__name__)
MAX_AUDITED_IDS = 200
MAX_AUDITED_ID_LENGTH = 64


class CommitThenRaise(Exception):  # noqa: N818 - control flow carrying the error to answer
    """A failure whose writes must still commit (the throttle counts a failed login): the route
    class commits the request's transaction, then answers with `error`."""

    def __init__(self, error: AppError) -> None:
        super().__init__(error.detail)
        self.error = error


def database_problem(exc: Exception) -> AppError | None:
    """The problem a database error at flush or commit answers with; None if it is not one."""
    if isinstance(exc, StaleDataError):
        return PreconditionFailed("The record was changed by another request; read it again")
    if isinstance(exc, IntegrityError):
        # A unique or foreign key rule broken by a concurrent request.
        return Conflict("The change conflicts with existing data")
    if isinstance(exc, DataError):
        # A value the database cannot store (out of range, bad encoding).
        return Unprocessable("A value cannot be stored; check lengths and characters")
    return None


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


# What the endpoint returned, for the audit row: read from the objects, not re-parsed from JSON.
_returned: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "audited_return", default=None
)


def _capturing(
    endpoint: Callable[..., Any], response_field: Callable[[], Any]
) -> Callable[..., Any]:
    """The endpoint, keeping its return value where the audited route finds it.

    A sync endpoint runs in the thread pool together with the validation of what it returned
    against the route's `response_field()`: FastAPI would otherwise take a second trip to the
    thread pool for that validation. What it then validates again on the event loop is already
    of the response model (kept as it is; ORM attributes were read in the thread). A result that
    fails is passed on unchanged, so FastAPI reports it as before."""

    def keep(result: Any) -> Any:
        holder = _returned.get()
        if holder is not None:
            holder["value"] = result
        return result

    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def capture_async(*args: Any, **kwargs: Any) -> Any:
            return keep(await endpoint(*args, **kwargs))

        return capture_async

    if inspect.isgeneratorfunction(endpoint) or inspect.isasyncgenfunction(endpoint):
        # A streaming endpoint stays as FastAPI knows it (it checks for generators).

        @functools.wraps(endpoint)
        def capture_stream(*args: Any, **kwargs: Any) -> Any:
            return keep(endpoint(*args, **kwargs))

        return capture_stream

    def call_and_validate(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        result = endpoint(*args, **kwargs)
        field = response_field()
        if field is None or isinstance(result, Response):
            return result
        value, errors = field.validate(result, {}, loc=("response",))
        if errors:
            return result
        holder = _returned.get()
        if holder is not None and _FINISH_READ in holder and not _status_set(kwargs):
            # A read whose answer is now fixed: its audit row and commit in this same trip.
            holder["value"] = value
            holder.pop(_FINISH_READ)()
            holder[_FINISHED] = True
        return value

    @functools.wraps(endpoint)
    async def capture(*args: Any, **kwargs: Any) -> Any:
        return keep(await run_in_threadpool(call_and_validate, args, kwargs))

    return capture


# In the returned-value holder of a GET: how to audit, commit and close once the answer is known,
# and whether that happened.
_FINISH_READ, _FINISHED = "finish_read", "finished"


def _status_set(kwargs: dict[str, Any]) -> bool:
    """Whether the endpoint set its own status through its `Response` parameter."""
    return any(isinstance(v, Response) and v.status_code is not None for v in kwargs.values())


def _listed_ids(returned: dict[str, Any], response: Response | None) -> list[str] | None:
    """The ids of the items a list returned (a Response the endpoint built is read back)."""
    value = returned.get("value")
    if ("value" not in returned or isinstance(value, Response)) and response is not None:
        value = _json_body(response)
    items = value.get("items") if isinstance(value, dict) else getattr(value, "items", None)
    if not isinstance(items, list):
        return None
    ids = (i.get("id") if isinstance(i, dict) else getattr(i, "id", None) for i in items)
    return [str(i) for i in ids if i is not None][:MAX_AUDITED_IDS]


def _name_replayed(response: Response) -> None:
    """A replay runs no endpoint: it names the record of the response it repeats."""
    body = _json_body(response)
    if isinstance(body, dict) and body.get("id") is not None:
        touched(body["id"], centre_id=_uuid_or_none(body.get("centre_id")))


def _entry(
    request: Request,
    route: AuditedRoute,
    principal: Principal,
    status_code: int,
    listed: list[str] | None,
    target: AuditTarget,
) -> AuditEntry:
    path_params = {k: _storable(str(v)) for k, v in request.path_params.items()}
    resource_id, centre_id = target.resource_id, target.centre_id
    if not target.named and status_code >= 400 and path_params:
        # A failed request touched nothing: its row keeps the id it asked for.
        resource_id = next(reversed(path_params.values()))
    details: dict[str, Any] = {}
    if listed is not None:
        details["ids"] = listed
    if len(path_params) > 1:
        details["path"] = path_params
    if principal.lawful_purpose is not None:
        details["lawful_purpose"] = principal.lawful_purpose.value
    # A route may add ids or field names (never values) to its audit row.
    details.update(getattr(request.state, "audit_details", None) or {})
    if centre_id is None and principal.centre_ids is not None and len(principal.centre_ids) == 1:
        # A principal of one centre acts in it.
        centre_id = next(iter(principal.centre_ids))
    return AuditEntry(
        action=route.name,
        actor_type=principal.kind.value,
        actor_id=principal.id,
        role=principal.role.value,
        resource_type=route.resource_type,
        resource_id=resource_id,
        centre_id=centre_id,
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


def _commit(
    request: Request,
    route: AuditedRoute,
    session: Session,
    status_code: int,
    target: AuditTarget,
    answered: tuple[Response | None, dict[str, Any]] | None = None,
) -> None:
    """Append the request's audit row and commit its transaction: after the endpoint `answered`
    (its response, remembered for idempotent replays, and what it returned; a read is finished
    before FastAPI makes its response), or after a `CommitThenRaise`."""
    principal: Principal | None = getattr(request.state, "principal", None)
    writer: AuditWriter = request.app.state.audit_writer
    try:
        if principal is not None:
            listed = _listed_ids(answered[1], answered[0]) if answered else None
            writer(session, [_entry(request, route, principal, status_code, listed, target)])
        if answered is not None and answered[0] is not None:
            idempotency.remember(session, request, answered[0])
        session.commit()
    except Exception as exc:
        problem = database_problem(exc)
        if problem is None:
            raise
        session.rollback()
        raise problem from exc


def _commit_and_close(
    request: Request,
    route: AuditedRoute,
    session: Session,
    status_code: int,
    target: AuditTarget,
    answered: tuple[Response | None, dict[str, Any]],
) -> None:
    try:
        _commit(request, route, session, status_code, target, answered)
    finally:
        session.close()


def _audit_failure(
    request: Request, route: AuditedRoute, status_code: int, target: AuditTarget
) -> None:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        return
    writer: AuditWriter = request.app.state.audit_writer
    session: Session = request.app.state.sessionmaker()
    try:
        writer(session, [_entry(request, route, principal, status_code, None, target)])
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


def _takes_response(dependant: Any) -> bool:
    return dependant.response_param_name is not None or any(
        _takes_response(sub) for sub in dependant.dependencies
    )


def _takes_idempotency_key(dependant: Any) -> bool:
    return any(
        sub.call is idempotency.idempotency_key or _takes_idempotency_key(sub)
        for sub in dependant.dependencies
    )


class AuditedRoute(APIRoute):
    # The audit row's resource type: what the router declares (`make_router`).
    resource_type: str | None = None

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        replays = any(
            getattr(d, "dependency", None) is idempotency.idempotency_key
            for d in kwargs.get("dependencies") or []
        )
        if replays:
            # The replay is answered in the endpoint's place, after every dependency passed.
            endpoint = idempotency.replaying(endpoint)
        # Any audited route may be refused while the service is overloaded (app/api/gate.py).
        responses = dict(kwargs.pop("responses", None) or {})
        responses.setdefault(503, problem(503, OVERLOADED_DESCRIPTION))
        captured = _capturing(endpoint, lambda: self.response_field)
        super().__init__(path, captured, responses=responses, **kwargs)
        if _takes_idempotency_key(self.dependant) and not replays:
            raise TypeError(f"{self.name}: declare Idempotent in the route's `dependencies`")

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()
        route = self
        allowed_query = _query_names(self.dependant)
        # A dependency may set the status through its `Response`: such a read commits after it.
        finishes_early = not any(_takes_response(sub) for sub in self.dependant.dependencies)

        async def handler(request: Request) -> Response:
            _refuse_unknown_query(request, allowed_query)
            # Admitted first: only then does the request take a connection (app/api/gate.py).
            async with request.app.state.gate.admitted():
                # A reader that gave up while queued is not served: under a burst, work for
                # clients already gone would only delay those still waiting. (A GET has no
                # body, so looking at the receive channel loses nothing.)
                if request.method == "GET" and await request.is_disconnected():
                    raise Overloaded(request.app.state.gate.retry_after)
                return await run(request)

        async def run(request: Request) -> Response:
            session: Session = request.app.state.sessionmaker()
            request.state.db = session
            target = begin_request()
            returned: dict[str, Any] = {}
            if request.method == "GET" and finishes_early:
                status = route.status_code or 200
                returned[_FINISH_READ] = functools.partial(
                    _commit_and_close, request, route, session, status, target, (None, returned)
                )
            _returned.set(returned)
            replay_token = idempotency.pending_replay.set(None)
            closing = False
            try:
                try:
                    response = await inner(request)
                except idempotency.IdempotentReplay as replay:
                    response = replay.response
                    _name_replayed(response)
                    audit_details = getattr(request.state, "audit_details", None) or {}
                    request.state.audit_details = {**audit_details, "idempotent_replay": True}
                except CommitThenRaise as failure:
                    status = failure.error.status
                    await run_in_threadpool(_commit, request, route, session, status, target)
                    raise failure.error from None
                except Exception as exc:
                    if returned.get(_FINISHED):
                        # Audited and committed already; writing the response failed. One
                        # request, one audit row: the failure goes to the log.
                        log.exception("a read failed after it was audited")
                        raise
                    await run_in_threadpool(session.rollback)
                    exc = database_problem(exc) or exc
                    await run_in_threadpool(_audit_failure, request, route, _status_of(exc), target)
                    raise exc from None
                if not returned.get(_FINISHED):
                    answered = (response, returned)
                    status = response.status_code
                    closing = True  # committed and closed in one trip to the thread pool
                    await run_in_threadpool(
                        _commit_and_close, request, route, session, status, target, answered
                    )
                else:
                    closing = True  # the read finished with its endpoint
                return response
            finally:
                idempotency.pending_replay.reset(replay_token)
                if not closing:
                    await run_in_threadpool(session.close)

        return handler


class _DomainRouter(APIRouter):
    """A domain's router: a path without the router's prefix is turned away before its routes
    are tried (FastAPI tries every route of every router included before the one that
    matches, on every request)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self.prefix and self.prefix not in scope.get("path", ""):
            return Match.NONE, {}
        return super().matches(scope)


def make_router(tag: str, *, resource_type: str | None = None, **kwargs: Any) -> APIRouter:
    """A router of audited routes; its audit rows name `resource_type` (the tag unless given)."""
    route_class = type(
        f"AuditedRoute_{tag}", (AuditedRoute,), {"resource_type": resource_type or tag}
    )
    return _DomainRouter(tags=[tag], route_class=route_class, **kwargs)
