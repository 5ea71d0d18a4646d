from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response

from app.api.responses import problems
from app.api.routing import CommitThenRaise, make_router
from app.auth import service
from app.auth.schemas import Me, TokenRequest, TokenResponse
from app.errors import AppError, TooManyRequests
from app.kit.audit import touched
from app.security.addresses import client_address
from app.security.dependencies import CurrentPrincipal, DbSession

router = make_router("auth", prefix="/auth")


class InvalidCredentials(AppError):
    status, slug, title = 401, "invalid-credentials", "Invalid credentials"

    def __init__(self) -> None:
        super().__init__("The credentials are not valid", headers={"WWW-Authenticate": "Bearer"})


@router.post(
    "/token",
    response_model=TokenResponse,
    responses=problems(401, 429),
    summary="Log in (OAuth2 password or client-credentials grant)",
)
def auth_token(
    request: Request, session: DbSession, form: Annotated[TokenRequest, Form()]
) -> TokenResponse:
    identifier, secret = form.credentials
    result = service.login(
        session,
        request.app.state.settings,
        grant_type=form.grant_type,
        identifier=identifier,
        secret=secret,
        address=client_address(
            request.client.host if request.client else None,
            request.headers,
            request.app.state.settings.trusted_proxies,
        ),
        request_id=getattr(request.state, "request_id", None),
    )
    # A failed login still commits its throttle and audit rows.
    if result.outcome == service.LoginOutcome.locked:
        raise CommitThenRaise(
            TooManyRequests(
                "Too many failed logins; try again later",
                headers={"Retry-After": str(result.retry_after)},
            )
        )
    if result.outcome == service.LoginOutcome.bad_credentials:
        raise CommitThenRaise(InvalidCredentials())
    assert result.token is not None
    return TokenResponse(access_token=result.token, expires_in=result.expires_in)


@router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    responses=problems(401),
    summary="End the token of this request at once (other tokens of the holder stay valid)",
)
def auth_logout(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    service.logout(session, request.state.token_claims)
    return Response(status_code=204)


@router.get("/me", response_model=Me, responses=problems(401))
def auth_me(principal: CurrentPrincipal) -> Me:
    touched(principal.id, centre_id=None)
    return Me(
        id=principal.id,
        kind=principal.kind.value,
        role=principal.role.value,
        permissions=sorted(p.value for p in principal.permissions),
        centre_ids=sorted(principal.centre_ids, key=str)
        if principal.centre_ids is not None
        else None,
    )
