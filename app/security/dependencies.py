"""Request dependencies: who is calling, and may they do this.

Who a token's subject is (a user, a service client, an inspector grant) is the auth domain's
rule; the app hands it in as `app.state.resolve_principal`, so security imports no domain.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.db import get_session
from app.errors import Forbidden, Unauthorized
from app.security import tokens
from app.security.permissions import Perm
from app.security.principals import LawfulPurpose, Principal

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A token from `POST /api/v1/auth/token`, or an inspector grant's token",
)

DbSession = Annotated[Session, Depends(get_session)]
# The principal a valid token's claims name, or None when its holder lost access.
PrincipalResolver = Callable[[Session, tokens.TokenClaims], Principal | None]


def authenticate(
    request: Request,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    # Typed without None so that the contract does not offer "null" as a header value.
    lawful_purpose: Annotated[
        LawfulPurpose,
        Header(
            alias="X-Lawful-Purpose",
            description="Ground for writing to a person whose processing is restricted; audited",
        ),
    ] = None,  # type: ignore[assignment]
) -> Principal | None:
    """The caller, or None without a token. A bad token, or one whose holder lost access, is 401."""
    if credentials is None:
        return None
    try:
        claims = tokens.decode(request.app.state.settings, credentials.credentials)
    except tokens.InvalidTokenError as exc:
        raise Unauthorized("The token is invalid or expired") from exc
    request.state.token_claims = claims
    resolve: PrincipalResolver = request.app.state.resolve_principal
    principal = resolve(session, claims)
    if principal is None:
        raise Unauthorized("The token's holder no longer has access")
    if lawful_purpose is not None:
        principal = replace(principal, lawful_purpose=lawful_purpose)
    request.state.principal = principal
    return principal


async def current_principal(
    principal: Annotated[Principal | None, Depends(authenticate)],
) -> Principal:
    if principal is None:
        raise Unauthorized("A bearer token is required")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(permission: Perm) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    async def check(principal: CurrentPrincipal) -> Principal:
        if permission not in principal.permissions:
            raise Forbidden(f"This needs the permission {permission.value}")
        return principal

    check.__name__ = f"require_{permission.name}"
    check.required_permission = permission  # type: ignore[attr-defined]
    return check


def allow(permission: Perm) -> object:
    """`Annotated[Principal, allow(Perm.x)]`: the caller, checked for one permission."""
    return Depends(require(permission))
