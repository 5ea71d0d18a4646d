"""The authenticated caller of a request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from app.security.permissions import Perm, Role


class LawfulPurpose(StrEnum):
    """Grounds on which a restricted person's data may still be processed (§5)."""

    consent = "consent"
    legal_claims = "legal_claims"
    protect_another_person = "protect_another_person"
    public_interest = "public_interest"


class PrincipalKind(StrEnum):
    user = "user"
    service_client = "service_client"
    inspector = "inspector"


@dataclass(frozen=True)
class Principal:
    id: uuid.UUID
    kind: PrincipalKind
    role: Role
    permissions: frozenset[Perm]
    # None: every centre (NACCC); otherwise the centres this principal may see.
    centre_ids: frozenset[uuid.UUID] | None
    # Named by the caller (`X-Lawful-Purpose`) to write to a restricted person; audited.
    lawful_purpose: LawfulPurpose | None = None

    def can_see_centre(self, centre_id: uuid.UUID) -> bool:
        return self.centre_ids is None or centre_id in self.centre_ids
