"""Every record's retention block: rule, trigger date, due date — or why there is none.

One table-driven place (`SPECS`) says how a record type's block is found. A record type the sweep
disposes of points at its `RetentionSource` (app.retention.sources), and its block is computed from
the very conditions the sweep uses, evaluated in SQL for all the records asked about in one query:
which rule applies, the rule's trigger, whether the record is eligible, and `not_held` (own hold,
held or frozen linked person). Periods come from the rules table, so an edited period
shows at once. The block therefore says what the sweep will do:

- `dispose_after` = `add_months(trigger, period)`: the first day a sweep disposes of it;
- otherwise a `reason`, checked in this order: `held`, `kept_indefinitely` (a keep rule, or a
  rule row without a period, which the sweep never applies), the spec's `unmatched` reason when
  no rule's condition holds (finance: `hmrc_enquiry`), `open` (no trigger yet), then the spec's
  `ineligible` reason when the source's eligibility fails (staff: `waiting` while any
  parental-leave record exists — the sweep disposes of the staff member only after them; each
  parental-leave record carries its own date).

Records that go with another record (HR-file entries and DBS checks with their staff member)
`follow` it and carry its block. A type the schedule keeps indefinitely needs no source:

    Spec(model=Incident, record_type="incident", fixed_rule="safeguarding")

and one with a source is a one-liner too, e.g. `Spec(model=Complaint, record_type="complaint",
source=COMPLAINT, unmatched=("complaint", "open"))` (rule `complaint`, trigger resolved_on).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import and_, case, select, true
from sqlalchemy.orm import Session

from app.complaints.models import Complaint
from app.finance.models import FinanceRecord
from app.incidents.models import Incident
from app.kit.calendar import add_months
from app.referrals.models import Referral
from app.retention.models import RetentionRule
from app.retention.schemas import RetentionBlock, RetentionReason
from app.retention.sources import (
    COMPLAINT,
    FINANCE_RECORD,
    PARENTAL_LEAVE,
    REFERRAL,
    STAFF_MEMBER,
    RetentionSource,
    trigger_for,
)
from app.retention.sweep import load_rules, not_held
from app.staff.models import DBSCheck, HRFileEntry, ParentalLeave, StaffMember

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Spec:
    model: Any
    record_type: str
    # What the sweep disposes of this type by: rules, triggers, eligibility, holds.
    source: RetentionSource | None = None
    # No source: the one rule that applies (e.g. a keep rule).
    fixed_rule: str | None = None
    # No source rule's condition holds: (the rule to show, the reason the clock is stopped).
    unmatched: tuple[str, RetentionReason] | None = None
    # The source's eligibility conditions fail: the reason.
    ineligible: RetentionReason = "open"
    # Records that go with another: (their column naming it, that record's spec).
    follows: tuple[str, Spec] | None = None


_STAFF = Spec(StaffMember, "staff_member", STAFF_MEMBER, ineligible="waiting")

SPECS: dict[type, Spec] = {
    spec.model: spec
    for spec in (
        Spec(Referral, "referral", REFERRAL),
        Spec(Complaint, "complaint", COMPLAINT, unmatched=("complaint", "open")),
        Spec(Incident, "incident", fixed_rule="safeguarding"),
        _STAFF,
        Spec(HRFileEntry, "hr_file_entry", follows=("staff_member_id", _STAFF)),
        Spec(DBSCheck, "dbs_check", follows=("staff_member_id", _STAFF)),
        Spec(ParentalLeave, "parental_leave", PARENTAL_LEAVE),
        Spec(
            FinanceRecord, "finance_record", FINANCE_RECORD, unmatched=("finance", "hmrc_enquiry")
        ),
    )
}


def retention_blocks(session: Session, records: Sequence[Any]) -> list[RetentionBlock]:
    """The block of each record (all of one type), in order; one query per call."""
    if not records:
        return []
    spec = SPECS[type(records[0])]
    assert all(type(r) is spec.model for r in records), "records of one type only"
    rules = load_rules(session)
    if spec.follows is not None:
        column, followed = spec.follows
        owners = [getattr(r, column) for r in records]
        found = _by_id(session, followed, rules, owners)
        return [found[owner] for owner in owners]
    found = _by_id(session, spec, rules, [r.id for r in records])
    return [found[r.id] for r in records]


def read_many(session: Session, schema: type[M], records: Sequence[Any]) -> list[M]:
    """Read models of the records, each with its `retention` block."""
    return [
        schema.model_validate(_WithBlock(record, block), from_attributes=True)
        for record, block in zip(records, retention_blocks(session, records), strict=True)
    ]


def read_one(session: Session, schema: type[M], record: Any) -> M:
    return read_many(session, schema, [record])[0]


class _WithBlock:
    """A record as the read model sees it: its attributes plus `retention`."""

    def __init__(self, record: Any, block: RetentionBlock) -> None:
        self._record = record
        self.retention = block

    def __getattr__(self, name: str) -> Any:
        return getattr(self._record, name)


def _by_id(
    session: Session, spec: Spec, rules: dict[str, RetentionRule], ids: list[uuid.UUID]
) -> dict[uuid.UUID, RetentionBlock]:
    source = spec.source
    if source is None:
        assert spec.fixed_rule is not None
        block = _block(rules, spec.fixed_rule, None, matched=True, eligible=True, free=True)
        return dict.fromkeys(ids, block)
    keys = list(source.rules)
    model = source.model
    stmt = select(
        model.id,
        *(_flag(source.rules[key]) for key in keys),
        *(trigger_for(source, key) for key in keys),
        _flag(and_(true(), *source.eligible)),
        _flag(not_held(source)),
    ).where(model.id.in_(set(ids)))
    blocks = {}
    for row in session.execute(stmt):
        record_id, *values = row
        matches, triggers = values[: len(keys)], values[len(keys) : 2 * len(keys)]
        eligible, free = values[-2:]
        matched = next((i for i, hit in enumerate(matches) if hit), None)
        if matched is None:
            assert spec.unmatched is not None, f"no {spec.record_type} rule applies"
            rule_key, trigger = spec.unmatched[0], triggers[keys.index(spec.unmatched[0])]
        else:
            rule_key, trigger = keys[matched], triggers[matched]
        blocks[record_id] = _block(
            rules,
            rule_key,
            trigger,
            matched=matched is not None,
            eligible=bool(eligible),
            free=bool(free),
            unmatched=spec.unmatched[1] if spec.unmatched else "open",
            ineligible=spec.ineligible,
        )
    return blocks


def _flag(condition: Any) -> Any:
    # 1/0 rather than a boolean: the same on both databases, and NULL counts as false.
    return case((condition, 1), else_=0)


def _block(
    rules: dict[str, RetentionRule],
    rule_key: str,
    trigger: Any,
    *,
    matched: bool,
    eligible: bool,
    free: bool,
    unmatched: RetentionReason = "open",
    ineligible: RetentionReason = "open",
) -> RetentionBlock:
    rule = rules.get(rule_key)
    months = rule.period_months if rule is not None and rule.action == "dispose" else None
    reason: RetentionReason | None
    if not free:
        reason = "held"
    elif not months:
        reason = "kept_indefinitely"
    elif not matched:
        reason = unmatched
    elif trigger is None:
        reason = "open"
    elif not eligible:
        reason = ineligible
    else:
        reason = None
    dispose_after = add_months(trigger, months) if reason is None and months else None
    return RetentionBlock(
        rule_key=rule_key, trigger_on=trigger, dispose_after=dispose_after, reason=reason
    )
