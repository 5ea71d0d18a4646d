"""No escalation (§6): a principal grants only what it holds.

The one rule behind every route that hands out access — users (a role and centres), service
clients (permissions) and inspector grants (the inspector role on one centre): everything
granted, and everything the changed account already holds, must be within the caller's own
permissions and centres.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from app.errors import Forbidden
from app.security.permissions import Perm
from app.security.principals import Principal

EVERY_CENTRE = None


def require_within(
    principal: Principal,
    permissions: Iterable[Perm | str],
    centre_ids: Iterable[uuid.UUID] | None,
) -> None:
    """403 unless `principal` holds every permission and sees every centre (None: all)."""
    wanted = {Perm(p) for p in permissions}
    missing = sorted(p.value for p in wanted - principal.permissions)
    if missing:
        raise Forbidden("You cannot grant permissions you do not hold: " + ", ".join(missing))
    if centre_ids is EVERY_CENTRE:
        if principal.centre_ids is not None:
            raise Forbidden("You cannot grant access to every centre")
    elif not all(principal.can_see_centre(c) for c in centre_ids):
        raise Forbidden("You cannot grant access to a centre you cannot see")
