"""`GET tasks`: the work queue (app.tasks.service says what each kind is)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.api.routing import make_router
from app.kit.audit import touched
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal
from app.tasks import service
from app.tasks.schemas import TaskKind, TaskRead
from app.time import today_in_london

router = make_router("tasks", prefix="/tasks")
Reader = Annotated[Principal, allow(Perm.tasks_read)]


@router.get("", response_model=Page[TaskRead], responses=problems(401, 403))
def tasks_list(
    session: DbSession,
    principal: Reader,
    page: Paging,
    kind: Annotated[
        list[TaskKind] | None,
        Query(max_length=len(TaskKind), description="Only these kinds (repeat for several)"),
    ] = None,
    centre_id: Annotated[uuid.UUID | None, Query()] = None,
    within_days: Annotated[
        int,
        Query(ge=0, le=366, description="Tasks due within this many days, and every overdue one"),
    ] = service.DEFAULT_WITHIN_DAYS,
) -> Page[TaskRead]:
    """What needs a person now, in the caller's centres: most urgent first. Each task links to its
    record and says why and by when; a kind the caller's permissions do not cover is left out."""
    touched(None, centre_id=centre_id)
    filters = service.TaskFilters(frozenset(kind) if kind else None, centre_id, within_days)
    items, cursor = service.list_tasks(session, principal, page, filters, today_in_london())
    return Page(items=items, next_cursor=cursor)
