"""Privacy policy versions, the version in force, and the three-yearly review."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, paginate
from app.errors import Conflict, NotFound, Unprocessable
from app.kit.calendar import add_months
from app.policy.models import PrivacyPolicy
from app.policy.schemas import PolicyCreate, PolicyRead, PolicySummary, PublicPolicy

REVIEW_EVERY_MONTHS = 36  # "reviewed no less than once every three years"


def next_review_due(policy: PrivacyPolicy) -> date:
    return add_months(policy.reviewed_on, REVIEW_EVERY_MONTHS)


def review_overdue(policy: PrivacyPolicy, today: date) -> bool:
    return today > next_review_due(policy)


def in_force(session: Session, today: date) -> PrivacyPolicy | None:
    """The newest version whose effective date has come."""
    return session.scalars(
        select(PrivacyPolicy)
        .where(PrivacyPolicy.effective_on <= today)
        .order_by(PrivacyPolicy.effective_on.desc(), PrivacyPolicy.created_at.desc())
        .limit(1)
    ).first()


def create(session: Session, data: PolicyCreate, actor_id: uuid.UUID) -> PrivacyPolicy:
    if data.reviewed_on > data.effective_on:
        raise Unprocessable("A policy takes effect on or after its review")
    if session.scalars(
        select(PrivacyPolicy.id).where(PrivacyPolicy.version == data.version)
    ).first():
        raise Conflict(f"Version {data.version} exists already")
    policy = PrivacyPolicy(**data.model_dump(), created_by_id=actor_id)
    session.add(policy)
    session.flush()
    return policy


def list_policies(session: Session, page: PageParams) -> tuple[list[Any], str | None]:
    return paginate(
        session, select(PrivacyPolicy), page, [PrivacyPolicy.created_at, PrivacyPolicy.id]
    )


def get(session: Session, policy_id: uuid.UUID) -> PrivacyPolicy:
    policy = session.get(PrivacyPolicy, policy_id)
    if policy is None:
        raise NotFound("Privacy policy not found")
    return policy


def summary(policy: PrivacyPolicy, today: date, current: PrivacyPolicy | None) -> PolicySummary:
    return PolicySummary(**_fields(policy, today, current))


def read(policy: PrivacyPolicy, today: date, current: PrivacyPolicy | None) -> PolicyRead:
    return PolicyRead(
        **_fields(policy, today, current),
        text=policy.text,
        controller_name=policy.controller_name,
        controller_contact=policy.controller_contact,
    )


def public(policy: PrivacyPolicy) -> PublicPolicy:
    return PublicPolicy(
        version=policy.version,
        effective_on=policy.effective_on,
        text=policy.text,
        controller_name=policy.controller_name,
        controller_contact=policy.controller_contact,
        reviewed_on=policy.reviewed_on,
        next_review_due=next_review_due(policy),
    )


def _fields(policy: PrivacyPolicy, today: date, current: PrivacyPolicy | None) -> dict[str, Any]:
    return {
        "id": policy.id,
        "version": policy.version,
        "effective_on": policy.effective_on,
        "reviewed_by": policy.reviewed_by,
        "reviewed_on": policy.reviewed_on,
        "next_review_due": next_review_due(policy),
        "review_overdue": review_overdue(policy, today),
        "in_force": current is not None and current.id == policy.id,
        "created_at": policy.created_at,
    }
