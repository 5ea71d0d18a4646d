"""ASGI middleware: request ids, security headers, unexpected errors, body size limit."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE, internal_error_response

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = logging.getLogger("app.access")
UNMATCHED_ROUTE = "unmatched"


def install_request_id_on_log_records() -> None:
    """Every log record carries the id of the request it was written in (`%(request_id)s`)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "adds_request_id", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = request_id_var.get() or "-"
        return record

    factory.adds_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: "
    b"https://fastapi.tiangolo.com; frame-ancestors 'none'"
)


class RequestContextMiddleware:
    """Gives each request an id (kept from `X-Request-ID` when it is safe), sets it on logs and
    on the response, adds security headers, and marks API responses `Cache-Control: no-store`:
    they carry personal data, and inspectors' responses must never be cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        path: str = scope.get("path", "")
        status_holder: dict[str, int] = {}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = (
                    [
                        (k, v)
                        for k, v in message.get("headers", [])
                        if k.lower() not in (b"cache-control", b"content-security-policy")
                    ]
                    if path.startswith("/api/")
                    else list(message.get("headers", []))
                )
                headers.append((b"x-request-id", request_id.encode()))
                headers.extend(SECURITY_HEADERS)
                is_docs = path in ("/docs", "/redoc")
                if not any(k.lower() == b"content-security-policy" for k, _ in headers):
                    headers.append((b"content-security-policy", DOCS_CSP if is_docs else API_CSP))
                if path.startswith("/api/"):
                    headers.append((b"cache-control", b"no-store"))
                    headers.append((b"pragma", b"no-cache"))
                message["headers"] = headers
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            _log_access(scope, status_holder.get("status"), time.perf_counter() - started)
            request_id_var.reset(token)


class UnexpectedErrorMiddleware:
    """Turns an exception no handler took into a 500 problem, *inside* `RequestContextMiddleware`,
    so that even this answer carries the request id, the security headers and `no-store`
    (Starlette's own last-resort handler sits outside every middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:  # Too late for another answer: the client sees the connection end.
                raise
            await internal_error_response(scope.get("path"))(scope, receive, send)


def route_template(scope: Scope) -> str:
    """The matched route's full path template (`/api/v1/people/{person_id}`), never the raw path.

    Included routers match the path's tail, so the route knows only its own part: the static
    prefix in front of the part it matched is put back.
    """
    route = scope.get("route")
    regex = getattr(route, "path_regex", None)
    template = getattr(route, "path", None)
    if regex is None or not isinstance(template, str):
        return UNMATCHED_ROUTE
    path: str = scope.get("path", "")
    start = 0
    while start != -1:
        if regex.match(path[start:]):
            return path[:start] + template
        start = path.find("/", start + 1)
    return UNMATCHED_ROUTE


def _log_access(scope: Scope, status: int | None, seconds: float) -> None:
    """One access record per request: the route template, never the raw path (it may carry
    whatever a caller typed), and the principal's id, never a name."""
    principal = scope.get("state", {}).get("principal")
    route = route_template(scope)
    duration_ms = round(seconds * 1000, 1)
    log.info(
        "%s %s %s %sms",
        scope.get("method"),
        route,
        status or "-",
        duration_ms,
        extra={
            "principal_id": str(principal.id) if principal is not None else None,
            "route": route,
            "method": scope.get("method"),
            "status": status,
            "duration_ms": duration_ms,
        },
    )


class BodySizeLimitMiddleware:
    """Refuses bodies over the limit with a 413 problem, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > self.max_bytes
            except ValueError:
                too_large = False
            if too_large:
                await self._refuse(scope, send)
                return
        if declared is None and scope.get("method") in ("POST", "PUT", "PATCH"):
            # No Content-Length (chunked): read the body up to the limit before the app sees it.
            chunks: list[bytes] = []
            size = 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_bytes:
                    await self._refuse(scope, send)
                    return
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if replayed:
                    return await receive()
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}

            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + "payload-too-large",
            "title": "Payload too large",
            "status": 413,
            "detail": f"The request body is larger than {self.max_bytes} bytes",
            "instance": scope.get("path"),
        }
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
