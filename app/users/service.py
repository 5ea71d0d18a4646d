from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, paginate
from app.api.versioning import check_version
from app.centres.models import Centre
from app.db import utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.kit.rules import field_error
from app.security.grants import EVERY_CENTRE, require_within
from app.security.passwords import hash_secret, new_secret
from app.security.permissions import ROLE_PERMISSIONS, Role
from app.security.principals import Principal
from app.users.models import UserAccount
from app.users.schemas import UserCreate, UserUpdate


def _check_centres(role: str, centre_ids: list[uuid.UUID]) -> None:
    if role == Role.centre_staff and not centre_ids:
        raise Unprocessable("centre_staff need at least one centre")
    if role == Role.naccc_staff and centre_ids:
        raise Unprocessable("naccc_staff see every centre; give no centre_ids")


def _centres(session: Session, centre_ids: list[uuid.UUID]) -> list[Centre]:
    wanted = set(centre_ids)
    centres = list(session.scalars(select(Centre).where(Centre.id.in_(wanted))).all())
    if len(centres) != len(wanted):
        raise Unprocessable(
            "Unknown centre",
            errors=field_error("centre_ids", "unknown centre", "not_found"),
        )
    return centres


def _require_grantable(grantor: Principal | None, role: str, centre_ids: list[uuid.UUID]) -> None:
    """The role's permissions and centres must be the grantor's own (None: the `ccr` shell)."""
    if grantor is not None:
        require_within(
            grantor,
            ROLE_PERMISSIONS[Role(role)],
            EVERY_CENTRE if role == Role.naccc_staff else centre_ids,
        )


def create(
    session: Session, data: UserCreate, grantor: Principal | None = None
) -> tuple[UserAccount, str | None]:
    """Create a user; returns the generated one-time password when none was given."""
    _check_centres(data.role, data.centre_ids)
    _require_grantable(grantor, data.role, data.centre_ids)
    email = str(data.email).lower()
    if session.scalars(select(UserAccount.id).where(UserAccount.email == email)).first():
        raise Conflict("A user with this email exists already")
    one_time = None if data.password else new_secret()
    user = UserAccount(
        email=email,
        full_name=data.full_name,
        role=data.role,
        password_hash=hash_secret(data.password or one_time or ""),
        centres=_centres(session, data.centre_ids),
    )
    session.add(user)
    session.flush()
    return user, one_time


def list_users(
    session: Session, page: PageParams, centre_id: uuid.UUID | None
) -> tuple[list[Any], str | None]:
    stmt = select(UserAccount)
    if centre_id is not None:
        stmt = stmt.where(UserAccount.centres.any(Centre.id == centre_id))
    return paginate(session, stmt, page, [UserAccount.created_at, UserAccount.id])


def get(session: Session, user_id: uuid.UUID) -> UserAccount:
    user = session.get(UserAccount, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


def update(
    session: Session,
    user_id: uuid.UUID,
    data: UserUpdate,
    if_match: str | None,
    actor_id: uuid.UUID,
    grantor: Principal | None = None,
) -> UserAccount:
    user = get(session, user_id)
    # An account that holds more than the caller is not the caller's to change (its password
    # would be a way in), and what it is given must be the caller's own.
    _require_grantable(grantor, user.role, user.centre_ids)
    check_version(user, if_match)
    changes = data.model_dump(exclude_unset=True)
    role = changes.get("role", user.role)
    centre_ids = changes.get("centre_ids", user.centre_ids)
    _check_centres(role, centre_ids)
    _require_grantable(grantor, role, centre_ids)
    if user.id == actor_id and (changes.get("is_active") is False or role != user.role):
        raise Conflict("You cannot deactivate yourself or change your own role")
    if user.role == Role.naccc_staff and (
        role != Role.naccc_staff or changes.get("is_active") is False
    ):
        _keep_an_administrator(session, user)
    ends_tokens = (
        "password" in changes
        or changes.get("is_active", user.is_active) != user.is_active
        or role != user.role
        or set(centre_ids) != set(user.centre_ids)
    )
    if "centre_ids" in changes:
        user.centres = _centres(session, centre_ids)
    if "password" in changes:
        user.password_hash = hash_secret(changes.pop("password"))
    for field in ("full_name", "role", "is_active"):
        if field in changes:
            setattr(user, field, changes[field])
    if ends_tokens:
        # §6: every token issued before a change of password, activity, role or centres ends.
        user.token_generation += 1
    # A change of centres alone must still move the row's version.
    user.updated_at = utcnow()
    session.flush()
    return user


def _keep_an_administrator(session: Session, leaving: UserAccount) -> None:
    others = session.scalar(
        select(func.count())
        .select_from(UserAccount)
        .where(
            UserAccount.role == Role.naccc_staff,
            UserAccount.is_active.is_(True),
            UserAccount.id != leaving.id,
        )
    )
    if not others:
        raise Conflict("This is the last active naccc_staff account")


DEFAULT_BOOTSTRAP_EMAIL = "admin@example.org"


BOOTSTRAP_LOCK_KEY = 0x63637262  # "ccrb"


def bootstrap_first_account(
    session: Session, email: str | None, password: str | None
) -> tuple[UserAccount, str | None] | None:
    """On an empty database, create the first naccc_staff account; otherwise do nothing.

    Returns the account and, when no password was configured, its one-time password.
    """
    if session.get_bind().dialect.name == "postgresql":
        # Processes starting together take turns; the later ones find the account made.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": BOOTSTRAP_LOCK_KEY})
    if session.scalar(select(func.count()).select_from(UserAccount)):
        return None
    one_time = None if password else new_secret()
    user = UserAccount(
        email=(email or DEFAULT_BOOTSTRAP_EMAIL).strip().lower(),
        full_name="NACCC administrator",
        role=Role.naccc_staff.value,
        password_hash=hash_secret(password or one_time or ""),
        centres=[],
    )
    session.add(user)
    session.flush()
    return user, one_time
