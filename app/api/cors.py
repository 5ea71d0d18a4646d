"""CORS for the origins in `CCR_CORS_ORIGINS`, and nothing at all for any other origin.

Starlette's middleware still adds its allow-methods, allow-headers and expose-headers lists
for an origin it refuses. Those lists tell another site what the API accepts, so a request from
an unlisted origin goes to the app as if CORS were off.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Receive, Scope, Send


class ListedOriginsCORSMiddleware(CORSMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            origin = Headers(scope=scope).get("origin")
            if origin is not None and not self.is_allowed_origin(origin):
                await self.app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)
