"""Every JWT operation of the service lives here, so the library can be swapped in one place."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jose import JWTError, jwt

from app.config import Settings
from app.db import utcnow

TOKEN_TYPES = ("access", "service", "inspector")
REQUIRED_CLAIMS = ("exp", "iat", "nbf", "aud", "iss", "sub", "jti")
CLOCK_SKEW_SECONDS = 60


class InvalidTokenError(Exception):
    pass


@dataclass(frozen=True)
class TokenClaims:
    subject: uuid.UUID
    token_type: str
    token_id: str
    expires_at: datetime
    # The holder's token generation when it was issued; a later change of the account moves it.
    generation: int = 0


def _shared_secret(settings: Settings) -> str:
    # An empty key would let anyone sign: never sign or verify with one, whatever the env.
    if not settings.jwt_secret:
        raise InvalidTokenError("no signing secret is configured")
    return settings.jwt_secret


def _signing_key(settings: Settings) -> str:
    if settings.uses_shared_secret:
        return _shared_secret(settings)
    if settings.jwt_private_key_file is None:
        raise RuntimeError("CCR_JWT_PRIVATE_KEY_FILE is needed for " + settings.jwt_algorithm)
    return settings.jwt_private_key_file.read_text()


def _verifying_key(settings: Settings) -> str:
    if settings.uses_shared_secret:
        return _shared_secret(settings)
    if settings.jwt_public_key_file is None:
        raise RuntimeError("CCR_JWT_PUBLIC_KEY_FILE is needed for " + settings.jwt_algorithm)
    return settings.jwt_public_key_file.read_text()


def issue(
    settings: Settings,
    subject: uuid.UUID,
    token_type: str,
    *,
    expires_at: datetime | None = None,
    generation: int = 0,
) -> tuple[str, datetime]:
    now = utcnow()
    exp = expires_at or now + timedelta(minutes=settings.access_token_minutes)
    claims: dict[str, Any] = {
        "sub": str(subject),
        "typ": token_type,
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int(exp.timestamp()),
        "aud": settings.jwt_audience,
        "iss": settings.jwt_issuer,
        "gen": generation,
    }
    token = jwt.encode(claims, _signing_key(settings), algorithm=settings.jwt_algorithm)
    return token, exp


def decode(settings: Settings, token: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token,
            _verifying_key(settings),
            algorithms=[settings.jwt_algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={f"require_{claim}": True for claim in REQUIRED_CLAIMS}
            | {"verify_exp": True, "verify_nbf": True, "verify_iat": True, "leeway": 0},
        )
        if int(claims["iat"]) > int(utcnow().timestamp()) + CLOCK_SKEW_SECONDS:
            raise InvalidTokenError("token issued in the future")
        token_type = claims.get("typ")
        if token_type not in TOKEN_TYPES:
            raise InvalidTokenError("unknown token type")
        generation = claims.get("gen", 0)
        if not isinstance(generation, int) or isinstance(generation, bool) or generation < 0:
            raise InvalidTokenError("bad token generation")
        return TokenClaims(
            subject=uuid.UUID(str(claims["sub"])),
            token_type=token_type,
            token_id=str(claims["jti"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=utcnow().tzinfo),
            generation=generation,
        )
    except (JWTError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidTokenError(str(exc)) from exc
