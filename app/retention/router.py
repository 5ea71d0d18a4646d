from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import BackgroundTasks, Path, Query, Request, Response
from sqlalchemy import select

from app.api.idempotency import Idempotent
from app.api.pagination import MAX_PAGE_SIZE, Page, Paging, paginate
from app.api.responses import problems
from app.api.routing import make_router
from app.api.schemas import Timestamp
from app.api.versioning import IfMatch, set_etag
from app.errors import NotFound
from app.kit.audit import touched, touched_record
from app.retention import holds, reviews, service
from app.retention import sweep as retention_sweep
from app.retention.models import Disposal, LegalHold, Sweep
from app.retention.schemas import (
    DisposalRead,
    DueItem,
    DueRead,
    DueRule,
    HoldCreate,
    HoldRead,
    PublicSchedule,
    ReviewDecision,
    ReviewRead,
    RuleRead,
    RuleUpdate,
    SweepCreate,
    SweepRead,
    WithheldItem,
)
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal
from app.security.scoping import scoped
from app.time import today_in_london

router = make_router("retention", prefix="/retention")
public_router = make_router("public", prefix="/public")
Reader = Annotated[Principal, allow(Perm.retention_read)]
Admin = Annotated[Principal, allow(Perm.retention_admin)]
RuleKey = Annotated[str, Path(max_length=40, pattern=r"^[a-z_]+$")]


@router.get("/rules", response_model=list[RuleRead], responses=problems(401, 403))
def retention_rules_list(session: DbSession, principal: Reader) -> list[RuleRead]:
    return [service.read(rule) for rule in service.list_rules(session)]


@router.get("/rules/{key}", response_model=RuleRead, responses=problems(401, 403, 404))
def retention_rules_get(
    session: DbSession, principal: Reader, key: RuleKey, response: Response
) -> RuleRead:
    rule = service.get_rule(session, key)
    touched(rule.key, centre_id=None)
    set_etag(response, rule)
    return service.read(rule)


@router.patch(
    "/rules/{key}", response_model=RuleRead, responses=problems(401, 403, 404, 412, 422, 428)
)
def retention_rules_update(
    session: DbSession,
    principal: Admin,
    key: RuleKey,
    body: RuleUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> RuleRead:
    rule = service.update_rule(session, key, body, if_match)
    touched(rule.key, centre_id=None)
    set_etag(response, rule)
    return service.read(rule)


@public_router.get("/retention-schedule", response_model=PublicSchedule)
def public_retention_schedule(session: DbSession) -> PublicSchedule:
    """How long the centre keeps each kind of record, for anyone (no token)."""
    return PublicSchedule(rules=[service.public(rule) for rule in service.list_rules(session)])


holds_router = make_router("legal-holds", prefix="/legal-holds")
HoldWriter = Annotated[Principal, allow(Perm.holds_write)]


def _hold(hold: LegalHold) -> HoldRead:
    touched_record(hold)
    return holds.read(hold)


def _due_item(record: retention_sweep.DueRecord | retention_sweep.WithheldRecord) -> DueItem:
    return DueItem(
        record_type=record.record_type,
        record_id=record.record_id,
        centre_id=record.centre_id,
        trigger_on=record.trigger_on,
        due_on=record.due_on,
    )


@router.get("/due", response_model=DueRead, responses=problems(401, 403))
def retention_due(
    session: DbSession,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Records shown per rule")] = 50,
) -> DueRead:
    """What a sweep run now would dispose of, per rule, with due dates, what it would dispose
    of but a legal hold, a restriction or an open access request keeps (`withheld`, with the
    reason), and what waits for a review decision (`awaiting_review`); changes nothing."""
    today = today_in_london()
    due = retention_sweep.preview(session, today, principal.centre_ids, limit)
    return DueRead(
        as_of=today,
        rules=[
            DueRule(
                rule_key=d.rule_key,
                total=d.total,
                items=[_due_item(r) for r in d.records],
                withheld_total=d.withheld_total,
                withheld=[
                    WithheldItem(
                        **_due_item(r).model_dump(),
                        reason=r.reason,  # type: ignore[arg-type]
                    )
                    for r in d.withheld
                ],
                awaiting_review_total=d.awaiting_review_total,
                awaiting_review=[_due_item(r) for r in d.awaiting_review],
            )
            for d in due
        ],
    )


@router.post(
    "/sweeps",
    status_code=202,
    response_model=SweepRead,
    responses=problems(401, 403),
    dependencies=[Idempotent],
)
def retention_sweeps_create(
    request: Request,
    session: DbSession,
    principal: Admin,
    body: SweepCreate,
    background: BackgroundTasks,
) -> SweepRead:
    """Queue a sweep now (or a dry run, which only counts). It runs once this request has
    committed; follow it at `GET retention/sweeps/{id}`."""
    options = retention_sweep.SweepOptions(
        today=today_in_london(), dry_run=body.dry_run, trigger="api", requested_by_id=principal.id
    )
    sweep = retention_sweep.create(session, options)
    touched(sweep.id, centre_id=None)
    background.add_task(
        retention_sweep.execute,
        request.app.state.engine,
        request.app.state.sessionmaker,
        sweep.id,
        options,
    )
    return SweepRead.model_validate(sweep)


@router.get("/sweeps", response_model=Page[SweepRead], responses=problems(401, 403))
def retention_sweeps_list(session: DbSession, principal: Admin, page: Paging) -> Page[SweepRead]:
    """Sweep runs span every centre and name who asked for them: NACCC's view only (a centre
    sees its own disposals in `retention/disposals`)."""
    items, cursor = paginate(session, select(Sweep), page, [Sweep.started_at, Sweep.id])
    return Page(items=[SweepRead.model_validate(s) for s in items], next_cursor=cursor)


@router.get("/sweeps/{sweep_id}", response_model=SweepRead, responses=problems(401, 403, 404))
def retention_sweeps_get(session: DbSession, principal: Admin, sweep_id: uuid.UUID) -> SweepRead:
    sweep = session.get(Sweep, sweep_id)
    if sweep is None:
        raise NotFound("Sweep not found")
    touched(sweep.id, centre_id=None)
    return SweepRead.model_validate(sweep)


@router.get("/disposals", response_model=Page[DisposalRead], responses=problems(401, 403))
def retention_disposals_list(
    session: DbSession,
    principal: Reader,
    page: Paging,
    sweep_id: Annotated[uuid.UUID | None, Query()] = None,
    record_type: Annotated[str | None, Query(max_length=30, pattern=r"^[a-z_]+$")] = None,
    rule_key: Annotated[str | None, Query(max_length=40, pattern=r"^[a-z_]+$")] = None,
    disposed_from: Annotated[Timestamp | None, Query()] = None,
    disposed_to: Annotated[Timestamp | None, Query()] = None,
) -> Page[DisposalRead]:
    stmt = scoped(select(Disposal), Disposal, principal)
    filters = [
        (Disposal.sweep_id, sweep_id),
        (Disposal.record_type, record_type),
        (Disposal.rule_key, rule_key),
    ]
    for column, value in filters:
        if value is not None:
            stmt = stmt.where(column == value)
    if disposed_from is not None:
        stmt = stmt.where(Disposal.disposed_at >= disposed_from)
    if disposed_to is not None:
        stmt = stmt.where(Disposal.disposed_at < disposed_to)
    items, cursor = paginate(session, stmt, page, [Disposal.disposed_at, Disposal.id])
    return Page(items=[DisposalRead.model_validate(d) for d in items], next_cursor=cursor)


@holds_router.get("", response_model=Page[HoldRead], responses=problems(401, 403))
def legal_holds_list(
    session: DbSession,
    principal: Reader,
    page: Paging,
    active: Annotated[bool | None, Query()] = None,
    record_id: Annotated[uuid.UUID | None, Query()] = None,
    person_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[HoldRead]:
    items, cursor = holds.list_holds(
        session, principal, page, active=active, record_id=record_id, person_id=person_id
    )
    return Page(items=[holds.read(h) for h in items], next_cursor=cursor)


@holds_router.post(
    "",
    status_code=201,
    response_model=HoldRead,
    responses=problems(401, 403),
    dependencies=[Idempotent],
)
def legal_holds_create(session: DbSession, principal: HoldWriter, body: HoldCreate) -> HoldRead:
    return _hold(holds.place(session, principal, body))


@holds_router.get("/{hold_id}", response_model=HoldRead, responses=problems(401, 403, 404))
def legal_holds_get(session: DbSession, principal: Reader, hold_id: uuid.UUID) -> HoldRead:
    return _hold(holds.get(session, principal, hold_id))


@holds_router.delete("/{hold_id}", response_model=HoldRead, responses=problems(401, 403, 404))
def legal_holds_release(session: DbSession, principal: HoldWriter, hold_id: uuid.UUID) -> HoldRead:
    """Release the hold; it stays in the history."""
    return _hold(holds.release(session, principal, hold_id))


reviews_router = make_router(
    "retention", prefix="/retention/reviews", resource_type="retention_review"
)
ReviewStatusQuery = Literal["pending", "approved", "extended", "held"]


@reviews_router.get("", response_model=Page[ReviewRead], responses=problems(401, 403))
def retention_reviews_list(
    session: DbSession,
    principal: Reader,
    page: Paging,
    status: Annotated[ReviewStatusQuery | None, Query()] = None,
    rule_key: Annotated[str | None, Query(max_length=40, pattern=r"^[a-z_]+$")] = None,
) -> Page[ReviewRead]:
    """The disposition review queue of the caller's centres (`status=pending`: awaiting a
    decision)."""
    items, cursor = reviews.list_reviews(session, principal, page, status=status, rule_key=rule_key)
    return Page(items=[ReviewRead.model_validate(i) for i in items], next_cursor=cursor)


@reviews_router.get("/{review_id}", response_model=ReviewRead, responses=problems(401, 403, 404))
def retention_reviews_get(
    session: DbSession, principal: Reader, review_id: uuid.UUID, response: Response
) -> ReviewRead:
    item = reviews.get(session, principal, review_id)
    touched_record(item)
    set_etag(response, item)
    return ReviewRead.model_validate(item)


@reviews_router.post(
    "/{review_id}/decision",
    response_model=ReviewRead,
    responses=problems(401, 403, 404, 409, 412, 422, 428),
)
def retention_reviews_decide(
    request: Request,
    session: DbSession,
    principal: Admin,
    review_id: uuid.UUID,
    body: ReviewDecision,
    response: Response,
    if_match: IfMatch = None,
) -> ReviewRead:
    """Decide a pending item once (NACCC staff): approve disposal, extend retention to a later
    day with a reason, or place a legal hold with a reason."""
    item = reviews.decide(session, principal, review_id, body, if_match, today_in_london())
    touched_record(item)
    request.state.audit_details = {
        "decision": body.decision,
        "record_type": item.record_type,
        "record_id": str(item.record_id),
        "hold_id": str(item.hold_id) if item.hold_id else None,
    }
    set_etag(response, item)
    return ReviewRead.model_validate(item)
