from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request

from app.api.responses import problems
from app.api.routing import make_router
from app.api.schemas import Day
from app.kit.audit import touched
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal
from app.stats import service
from app.stats.schemas import StatsSummary
from app.time import today_in_london

router = make_router("stats", prefix="/stats")
Reader = Annotated[Principal, allow(Perm.stats_read)]


@router.get("/summary", response_model=StatsSummary, responses=problems(401, 403, 404, 422))
def stats_summary(
    request: Request,
    session: DbSession,
    principal: Reader,
    from_: Annotated[
        Day,
        Query(
            alias="from",
            description="First day of a calendar month, quarter or year (e.g. 2024-01-01)",
        ),
    ],
    to: Annotated[
        Day,
        Query(
            description="Last day of that same month, quarter or year (e.g. 2024-01-31, "
            "2024-03-31 or 2024-12-31); the period must have ended"
        ),
    ],
    centre_id: Annotated[uuid.UUID | None, Query()] = None,
    rounded: Annotated[
        bool, Query(description="Round shown counts to base 5 (always on for service clients)")
    ] = False,
) -> StatsSummary:
    """Anonymous statistics of the caller's centres (or of `centre_id`) for one whole calendar
    month, quarter or year that has ended (any other range of days is 422).

    A count from 1 to the suppression threshold less one is `null` with `suppressed: true`, and
    enough other cells are hidden that no hidden count can be worked out from the totals.
    People who objected are not counted; a section from which fewer than the threshold records
    were left out for an objection is hidden whole. Disposed records still count (from the
    disposal log). See README "Statistics".
    """
    touched(None, centre_id=centre_id)
    return service.summary(
        session,
        principal,
        request.app.state.settings.stats_suppression_threshold,
        from_,
        to,
        today=today_in_london(),
        centre_id=centre_id,
        rounded=rounded,
    )
