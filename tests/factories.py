"""Small builders for records and principals; tokens are issued directly (no slow hashing)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.centres.models import Centre
from app.config import Settings
from app.db import utcnow
from app.inspector_grants.models import InspectorGrant
from app.security import tokens
from app.service_clients.models import ServiceClient
from app.users.models import UserAccount

ROLES = ("naccc_staff", "centre_staff", "inspector", "anonymous")
# Not a real hash: users made here log in with tokens, never with a password.
UNUSABLE_HASH = "$argon2id$unusable"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class World:
    session: Session
    settings: Settings
    centre_a: Centre
    centre_b: Centre
    admin: UserAccount
    staff_a: UserAccount
    staff_b: UserAccount
    grant_a: InspectorGrant
    tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, session: Session, settings: Settings) -> World:
        centre_a = make_centre(session, "AA")
        centre_b = make_centre(session, "BB")
        admin = make_user(session, "naccc_staff")
        staff_a = make_user(session, "centre_staff", [centre_a])
        staff_b = make_user(session, "centre_staff", [centre_b])
        grant_a = make_grant(session, centre_a, admin)
        session.commit()
        world = cls(session, settings, centre_a, centre_b, admin, staff_a, staff_b, grant_a)
        world.tokens = {
            "naccc_staff": world.token_for(admin),
            "centre_staff": world.token_for(staff_a),
            "inspector": world.inspector_token(grant_a),
        }
        return world

    def token_for(self, user: UserAccount) -> str:
        """A token of the user's current generation (read afresh: a change may have moved it)."""
        self.session.refresh(user)
        return tokens.issue(self.settings, user.id, "access", generation=user.token_generation)[0]

    def inspector_token(self, grant: InspectorGrant) -> str:
        return tokens.issue(self.settings, grant.id, "inspector", expires_at=grant.expires_at)[0]

    def headers(self, role: str) -> dict[str, str]:
        return {} if role == "anonymous" else bearer(self.tokens[role])

    def make_service_client(self, permissions: list[str] | None = None) -> ServiceClient:
        client = ServiceClient(
            name="Client",
            client_id="ccr_" + uuid.uuid4().hex[:24],
            secret_hash=UNUSABLE_HASH,
            permissions=permissions or ["centres:read"],
        )
        self.session.add(client)
        self.session.commit()
        return client


def make_centre(session: Session, code: str | None = None, **fields: Any) -> Centre:
    centre = Centre(
        name=fields.pop("name", f"Centre {code}"),
        code=code
        or uuid.uuid4().hex[:6].upper().translate(str.maketrans("0123456789", "GHIJKLMNOP")),
        **fields,
    )
    session.add(centre)
    session.flush()
    return centre


def make_user(
    session: Session, role: str, centres: list[Centre] | None = None, **fields: Any
) -> UserAccount:
    user = UserAccount(
        email=fields.pop("email", f"user-{uuid.uuid4().hex[:8]}@example.org"),
        full_name=fields.pop("full_name", "Test User"),
        password_hash=fields.pop("password_hash", UNUSABLE_HASH),
        role=role,
        centres=centres or [],
        **fields,
    )
    session.add(user)
    session.flush()
    return user


def make_grant(
    session: Session, centre: Centre, by: UserAccount, days: int = 7, **fields: Any
) -> InspectorGrant:
    grant = InspectorGrant(
        centre_id=centre.id,
        inspector_name="Inspector",
        expires_at=fields.pop("expires_at", utcnow() + timedelta(days=days)),
        created_by_id=by.id,
        **fields,
    )
    session.add(grant)
    session.flush()
    return grant
