"""`Location` on every 201 (RFC 9110 §15.3.2): the created record's URL.

Where a create's record lives is read from the contract (`app.api.links.created_resources`), the
same table that gives the OpenAPI links, so the header and the links cannot disagree.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.links import CreatedResource, created_resources

_PARAM = re.compile(r"\{([^}/]+)\}")


def location_of(created: CreatedResource, path_params: dict[str, Any], body: Any) -> str | None:
    values = {k: str(v) for k, v in path_params.items()}
    if created.id_param is not None:
        if not isinstance(body, dict) or body.get("id") is None:
            return None
        values[created.id_param] = str(body["id"])
    try:
        return _PARAM.sub(lambda m: values[m.group(1)], created.location_path)
    except KeyError:
        return None


class LocationMiddleware:
    """Adds `Location` to 201 answers of creating operations (their bodies are small)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def send_with_location(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 201:
                held.append(message)
                return
            if not held:
                await send(message)
                return
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                await self._flush(scope, held, send)

        await self.app(scope, receive, send_with_location)

    async def _flush(self, scope: Scope, held: list[Message], send: Send) -> None:
        start, *bodies = held
        location = self._location(scope, b"".join(m.get("body", b"") for m in bodies))
        if location is not None:
            start["headers"] = [*start.get("headers", []), (b"location", location.encode())]
        for message in (start, *bodies):
            await send(message)
        held.clear()

    def _location(self, scope: Scope, body: bytes) -> str | None:
        app = scope.get("app")
        route = scope.get("route")
        if app is None or route is None:
            return None
        table: dict[str, CreatedResource] | None = getattr(app.state, "created_resources", None)
        if table is None:
            table = created_resources(app.openapi())
            app.state.created_resources = table
        created = table.get(getattr(route, "name", ""))
        if created is None:
            return None
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            return None
        return location_of(created, scope.get("path_params") or {}, parsed)
