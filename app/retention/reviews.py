"""Disposition review (DESIGN §12): records due under a rule that requires review wait in
`retention_review` until NACCC staff approve disposal, extend retention, or place a legal hold.

The sweep queues them (`sweep.enqueue_reviews`) and disposes of approved ones only
(`sweep.review_approved`). A decision applies once: it needs the item's current version
(If-Match), and the UPDATE is conditional on that version, so of two concurrent decisions the
second changes nothing and answers 412 (or 409 once it sees the item decided).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, paginate
from app.api.versioning import check_version
from app.db import utcnow
from app.errors import Conflict
from app.kit.rules import field_rule
from app.retention import holds
from app.retention.models import RetentionReview, ReviewStatus
from app.retention.schemas import HoldCreate, ReviewDecision
from app.security.principals import Principal
from app.security.scoping import get_scoped, scoped


def get(session: Session, principal: Principal, review_id: uuid.UUID) -> RetentionReview:
    return get_scoped(session, RetentionReview, review_id, principal)


def list_reviews(
    session: Session,
    principal: Principal,
    page: PageParams,
    *,
    status: str | None,
    rule_key: str | None,
) -> tuple[list[Any], str | None]:
    stmt = scoped(select(RetentionReview), RetentionReview, principal)
    if status is not None:
        stmt = stmt.where(RetentionReview.status == status)
    if rule_key is not None:
        stmt = stmt.where(RetentionReview.rule_key == rule_key)
    return paginate(session, stmt, page, [RetentionReview.created_at, RetentionReview.id])


def decide(
    session: Session,
    principal: Principal,
    review_id: uuid.UUID,
    data: ReviewDecision,
    if_match: str | None,
    today: Any,
) -> RetentionReview:
    item = get(session, principal, review_id)
    check_version(item, if_match)
    if item.status != ReviewStatus.pending.value:
        raise Conflict(f"This record was decided already ({item.status})")
    if data.decision == "extend":
        if data.until is None or data.until <= today:
            raise field_rule("Extend retention to a day after today", "until")
    elif data.until is not None:
        raise field_rule("Only an extension has a new date", "until")
    if data.decision != "approve" and not data.reason:
        raise field_rule("Say why", "reason", "missing")
    if data.decision == "hold":
        hold = holds.place(
            session,
            principal,
            HoldCreate(
                record_type=item.record_type,  # type: ignore[arg-type]
                record_id=item.record_id,
                reason=str(data.reason),
            ),
        )
        item.hold_id = hold.id
    item.status = {
        "approve": ReviewStatus.approved,
        "extend": ReviewStatus.extended,
        "hold": ReviewStatus.held,
    }[data.decision].value
    item.extended_until = data.until
    item.decision_reason = data.reason
    item.decided_by_id = principal.id
    item.decided_at = utcnow()
    # The version-checked UPDATE: a concurrent decision that committed first makes this one
    # match no row (StaleDataError → 412), so two decisions never both apply.
    session.flush()
    return item
