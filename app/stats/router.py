from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request

from app.api.responses import problems
from app.api.routing import make_router
from app.api.schemas import Day
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal
from app.stats import service
from app.stats.schemas import StatsSummary

router = make_router("stats", prefix="/stats")
Reader = Annotated[Principal, allow(Perm.stats_read)]


@router.get("/summary", response_model=StatsSummary, responses=problems(401, 403, 404, 422))
def stats_summary(
    request: Request,
    session: DbSession,
    principal: Reader,
    from_: Annotated[
        Day | None, Query(alias="from", description="First day of the period (inclusive)")
    ] = None,
    to: Annotated[Day | None, Query(description="Last day of the period (inclusive)")] = None,
    centre_id: Annotated[uuid.UUID | None, Query()] = None,
) -> StatsSummary:
    """Anonymous statistics of the caller's centres (or of `centre_id`) for a period.

    A count from 1 to the suppression threshold less one is `null` with `suppressed: true`; when
    a group has one such cell, the next smallest is hidden too, so that the total cannot give it
    back. People who objected are not counted. Disposed referrals still count (from the disposal
    log), filtered by the month they were received in: use whole months for figures that do not
    change across a retention sweep.
    """
    return service.summary(
        session,
        principal,
        request.app.state.settings.stats_suppression_threshold,
        from_,
        to,
        centre_id,
    )
