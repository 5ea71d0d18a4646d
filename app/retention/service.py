"""The retention schedule: rules as data, and changes to them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.versioning import check_version
from app.errors import NotFound, Unprocessable
from app.kit.calendar import describe_months
from app.retention.models import RetentionRule
from app.retention.rules import forget_version
from app.retention.schemas import PublicRule, RuleRead, RuleUpdate
from app.retention.sweep import enqueue_reviews
from app.time import today_in_london


def list_rules(session: Session) -> list[RetentionRule]:
    return list(session.scalars(select(RetentionRule).order_by(RetentionRule.key)).all())


def get_rule(session: Session, key: str) -> RetentionRule:
    rule = session.get(RetentionRule, key)
    if rule is None:
        raise NotFound("Retention rule not found")
    return rule


def update_rule(
    session: Session, key: str, data: RuleUpdate, if_match: str | None
) -> RetentionRule:
    """Change a rule's period or whether its due records wait for review (DESIGN §4, §12)."""
    rule = get_rule(session, key)
    check_version(rule, if_match)
    if rule.action != "dispose":
        raise Unprocessable("This rule keeps its records indefinitely; it has no period to change")
    if data.period_months is not None:
        rule.period_months = data.period_months
    if data.requires_review is not None:
        rule.requires_review = data.requires_review
    session.flush()
    forget_version(session)
    if data.requires_review is not None:
        # The queue follows at once, not from the next sweep: what is due under the rule now
        # waits for review, or (review no longer required) leaves the queue.
        enqueue_reviews(session, today_in_london())
    return rule


def read(rule: RetentionRule) -> RuleRead:
    period = describe_months(rule.period_months) if rule.period_months else None
    return RuleRead.model_validate({**_columns(rule), "period": period})


def public(rule: RetentionRule) -> PublicRule:
    return PublicRule(
        record=rule.record_type,
        condition=rule.condition,
        kept_for=describe_months(rule.period_months) if rule.period_months else "indefinitely",
        after=rule.trigger,
        policy_text=rule.policy_text,
    )


def _columns(rule: RetentionRule) -> dict[str, object]:
    return {c.key: getattr(rule, c.key) for c in RetentionRule.__table__.columns}
