"""Logins (password and client credentials), throttling, and turning tokens into principals."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, case, delete, exists, literal, null, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth.models import LoginThrottle, RevokedToken
from app.config import Settings
from app.db import column_rows, utcnow
from app.inspector_grants.models import InspectorGrant
from app.security import tokens
from app.security.passwords import verify_secret
from app.security.permissions import INSPECTOR_DOCUMENT_PERMISSIONS, ROLE_PERMISSIONS, Perm, Role
from app.security.principals import Principal, PrincipalKind
from app.service_clients.models import ServiceClient
from app.users.models import UserAccount, user_centre


def _revoked(claims: tokens.TokenClaims) -> Any:
    """Whether the token was ended by a logout: asked in the same query as its holder."""
    return exists().where(RevokedToken.jti == claims.token_id).label("revoked")


@dataclass(frozen=True)
class AlsoRead:
    """A value another domain reads in the principal's one query (the retention rules' version),
    and what it does with it; `create_app` hands it in, so auth imports no upper layer."""

    column: Callable[[], Any]
    note: Callable[[Session, Any], None]


_NOTHING_MORE = AlsoRead(column=lambda: literal(None), note=lambda session, value: None)


# The access token's query, built once per `AlsoRead` and executed with each token's values: a
# statement object reused keeps its SQLAlchemy cache key (one query on every request).
_HOLDER_QUERIES: dict[AlsoRead, Select[Any]] = {}


def _holder_query(also: AlsoRead) -> Select[Any]:
    stmt = _HOLDER_QUERIES.get(also)
    if stmt is None:
        stmt = (
            select(
                UserAccount.role,
                UserAccount.is_active,
                UserAccount.token_generation,
                user_centre.c.centre_id,
                also.column().label("also"),
                exists().where(RevokedToken.jti == bindparam("jti")).label("revoked"),
            )
            .outerjoin(user_centre, user_centre.c.user_id == UserAccount.id)
            .where(UserAccount.id == bindparam("subject"))
        )
        _HOLDER_QUERIES[also] = stmt
    return stmt


def principal_for(
    session: Session, claims: tokens.TokenClaims, also: AlsoRead = _NOTHING_MORE
) -> Principal | None:
    """The principal a valid token stands for, or None if its holder has lost access since:
    deactivated, revoked, changed after the token was issued (its generation moved on), or the
    token itself logged out. One query per request: the holder, their centres, whether the token
    was logged out, and what `also` reads (the retention rules' version)."""
    if claims.token_type == "access":
        rows = column_rows(
            session, _holder_query(also), {"subject": claims.subject, "jti": claims.token_id}
        )
        if not rows or rows[0].revoked:
            return None
        if not rows[0].is_active or rows[0].token_generation != claims.generation:
            return None
        also.note(session, rows[0].also)
        role = Role(rows[0].role)
        centre_ids = frozenset(r.centre_id for r in rows if r.centre_id is not None)
        centres = None if role == Role.naccc_staff else centre_ids
        return Principal(claims.subject, PrincipalKind.user, role, ROLE_PERMISSIONS[role], centres)
    if claims.token_type == "service":
        found = session.execute(
            select(ServiceClient, also.column().label("also"), _revoked(claims)).where(
                ServiceClient.id == claims.subject
            )
        ).first()
        if found is None or found.revoked:
            return None
        client = found[0]
        if not client.is_active or client.token_generation != claims.generation:
            return None
        also.note(session, found.also)
        permissions = frozenset(Perm(p) for p in client.permissions if p in Perm._value2member_map_)
        return Principal(
            client.id, PrincipalKind.service_client, Role.naccc_staff, permissions, None
        )
    if claims.token_type == "inspector":
        row = session.execute(
            select(InspectorGrant, _revoked(claims)).where(InspectorGrant.id == claims.subject)
        ).first()
        if row is None or row.revoked or not row.InspectorGrant.is_valid(utcnow()):
            return None
        grant = row.InspectorGrant
        permissions = ROLE_PERMISSIONS[Role.inspector]
        if grant.includes_documents:
            permissions |= INSPECTOR_DOCUMENT_PERMISSIONS
        return Principal(
            grant.id,
            PrincipalKind.inspector,
            Role.inspector,
            permissions,
            frozenset({grant.centre_id}),
        )
    return None


def logout(session: Session, claims: tokens.TokenClaims) -> None:
    """End this one token at once; the holder's other tokens stay valid."""
    if session.get(RevokedToken, claims.token_id) is None:
        session.add(RevokedToken(jti=claims.token_id, expires_at=claims.expires_at))
        session.flush()


class LoginOutcome(StrEnum):
    ok = "ok"
    bad_credentials = "bad_credentials"
    locked = "locked"


@dataclass
class LoginResult:
    outcome: LoginOutcome
    token: str | None = None
    expires_in: int = 0
    retry_after: int = 0


ADDRESS, PAIR = "address", "pair"


def _digest(kind: str, *values: str) -> str:
    return f"{kind}:" + hashlib.sha256("\x00".join(values).encode()).hexdigest()


def _locked_for(session: Session, keys: list[str]) -> int:
    now = utcnow()
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))).all()
    remaining = [
        int((r.locked_until - now).total_seconds()) + 1
        for r in rows
        if r.locked_until and r.locked_until > now
    ]
    return max(remaining, default=0)


def _lock_levels(settings: Settings, now: datetime) -> list[tuple[int, datetime]]:
    """(failures over the limit, locked until): the first lock, then each further failure
    doubles it, up to the longest lock."""
    levels, extra = [], 0
    while True:
        minutes = min(settings.login_lock_minutes * 2**extra, settings.login_max_lock_minutes)
        levels.append((extra, now + timedelta(minutes=minutes)))
        if minutes >= settings.login_max_lock_minutes:
            return levels
        extra += 1


def _record_failure(session: Session, settings: Settings, keys: list[str]) -> None:
    """Count a failure for every key in ONE statement (an upsert), so concurrent failures all
    count on PostgreSQL and SQLite alike and never collide on the row's creation."""
    now = utcnow()
    # Counts restart once their window is older than the longest lock.
    restart_before = now - timedelta(minutes=settings.login_max_lock_minutes)
    levels = _lock_levels(settings, now)
    table = cast(Table, LoginThrottle.__table__)
    stamp = LoginThrottle.locked_until.type

    def limit_of(key: str) -> int:
        if key.startswith(ADDRESS + ":"):
            return settings.login_max_failures_per_address
        return settings.login_max_failures

    limit = case(
        (table.c.key.like(ADDRESS + ":%"), settings.login_max_failures_per_address),
        else_=settings.login_max_failures,
    )
    restarts = table.c.window_started_at < restart_before
    failures = case((restarts, 1), else_=table.c.failures + 1)
    locked_until = case(
        *[(failures >= limit + extra, literal(until, stamp)) for extra, until in reversed(levels)],
        else_=case((restarts, null()), else_=table.c.locked_until),
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).values(
        [
            {
                "key": key,
                "failures": 1,
                "window_started_at": now,
                "locked_until": levels[0][1] if limit_of(key) <= 1 else None,
            }
            for key in keys
        ]
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": failures,
                "window_started_at": case(
                    (restarts, literal(now, stamp)), else_=table.c.window_started_at
                ),
                "locked_until": locked_until,
            },
        )
    )


def _clear(session: Session, key: str) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def _audit_login(
    session: Session,
    action: str,
    *,
    actor_type: str,
    actor_id: object = None,
    role: str | None = None,
    request_id: str | None,
    reason: str | None = None,
) -> None:
    audit_service.append(
        session,
        [
            audit_service.AuditEntry(
                action=action,
                actor_type=actor_type,
                actor_id=actor_id,  # type: ignore[arg-type]
                role=role,
                resource_type="auth",
                request_id=request_id,
                details={"reason": reason} if reason else None,
            )
        ],
    )


def login(
    session: Session,
    settings: Settings,
    *,
    grant_type: str,
    identifier: str,
    secret: str,
    address: str,
    request_id: str | None,
) -> LoginResult:
    """Check credentials under the throttle; audit every attempt.

    Failures are counted per account *and address* (a stranger's failures lock only the
    stranger out of that account, never its owner elsewhere) and per address (one address
    guessing at many accounts). The address is the client's, from trusted proxies only."""
    is_client = grant_type == "client_credentials"
    actor_type = "service_client" if is_client else "user"
    identifier = identifier.strip() if is_client else identifier.strip().lower()
    pair_key = _digest(PAIR, "client" if is_client else "account", identifier, address)
    keys = [pair_key, _digest(ADDRESS, address)]

    retry_after = _locked_for(session, keys)
    if retry_after:
        _audit_login(session, "login_locked", actor_type=actor_type, request_id=request_id)
        return LoginResult(LoginOutcome.locked, retry_after=retry_after)

    account: ServiceClient | UserAccount | None
    if is_client:
        account = session.scalars(
            select(ServiceClient).where(ServiceClient.client_id == identifier)
        ).one_or_none()
        hashed = account.secret_hash if account else None
    else:
        account = session.scalars(
            select(UserAccount).where(UserAccount.email == identifier)
        ).one_or_none()
        hashed = account.password_hash if account else None
    # Verify even for an unknown account, so that timing does not tell which accounts exist.
    secret_ok = verify_secret(secret, hashed)
    subject = account if account is not None and secret_ok and account.is_active else None

    if subject is None:
        _record_failure(session, settings, keys)
        _audit_login(
            session,
            "login_failed",
            actor_type=actor_type,
            # The id of an existing account that was tried; never the name that was typed.
            actor_id=account.id if account is not None else None,
            request_id=request_id,
            reason="inactive" if account is not None and secret_ok else "bad_credentials",
        )
        return LoginResult(LoginOutcome.bad_credentials)

    _clear(session, pair_key)
    token, expires_at = tokens.issue(
        settings,
        subject.id,
        "service" if is_client else "access",
        generation=subject.token_generation,
    )
    _audit_login(
        session,
        "login_succeeded",
        actor_type=actor_type,
        actor_id=subject.id,
        role=subject.role if isinstance(subject, UserAccount) else Role.naccc_staff.value,
        request_id=request_id,
    )
    return LoginResult(
        LoginOutcome.ok, token=token, expires_in=int((expires_at - utcnow()).total_seconds())
    )
