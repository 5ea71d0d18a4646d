"""Every record's retention block: rule, trigger date, due date — or why there is none.

One table-driven place (`SPECS`) says how a record type's block is found. A record type the sweep
disposes of points at its `RetentionSource` (app.retention.sources), and its block is computed from
the very conditions the sweep uses, evaluated in SQL for all the records asked about in one query:
which rule applies, the rule's trigger, whether the record is eligible, and `not_held` (own hold,
held or frozen linked person). A list reads the same columns in its page query (`page_blocks`),
so a page and its blocks are one round trip. Periods come from the rules table, so an edited period
shows at once. The block therefore says what the sweep will do:

- `dispose_after` = `add_months(trigger, period)`: the first day a sweep disposes of it;
- otherwise a `reason`, checked in this order: `held` (a legal hold), `restricted` (a linked
  person's processing is restricted, UK GDPR Art 18(1)(c)), `frozen` (a linked person's open
  access or portability request) — the engine's `withheld` conditions, the very ones the sweep
  and the preview use — then `kept_indefinitely` (a keep rule, or a rule row without a period,
  which the sweep never applies), the spec's `unmatched` reason when no rule's condition holds
  (finance: `hmrc_enquiry`; staff: `employed`, a current member of staff), `open` (no trigger
  yet), then the spec's `ineligible` reason when the source's eligibility fails (staff: `waiting`
  while any parental-leave record exists — the sweep disposes of the staff member only after
  them; parental leave: `employed` while its staff member is current).

Records that go with another record (HR-file entries and DBS checks with their staff member)
`follow` it and carry its block. A type the schedule keeps indefinitely needs no source:

    Spec(model=Incident, record_type="incident", fixed_rule="safeguarding")

and one with a source is a one-liner too, e.g. `Spec(model=Complaint, record_type="complaint",
source=COMPLAINT, unmatched=("complaint", "open"))` (rule `complaint`, trigger resolved_on).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar, cast

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import and_, case, select, true
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from app.api.retention import RetentionBlock, RetentionReason
from app.breaches.models import Breach
from app.complaints.models import Complaint
from app.documents.models import Document
from app.finance.models import FinanceRecord
from app.incidents.models import Incident
from app.kit.calendar import add_months
from app.referrals.models import Referral
from app.retention.rules import Rule, current_rules
from app.retention.sources import (
    BREACH,
    COMPLAINT,
    FINANCE_RECORD,
    PARENTAL_LEAVE,
    REFERRAL,
    STAFF_MEMBER,
    SUBJECT_REQUEST,
    RetentionSource,
    trigger_for,
)
from app.retention.sweep import WITHHELD_REASONS, withheld
from app.staff.models import DBSCheck, HRFileEntry, ParentalLeave, StaffMember
from app.subject_requests.models import SubjectRequest
from app.time import today_in_london

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


_STAFF = Spec(
    StaffMember,
    "staff_member",
    STAFF_MEMBER,
    unmatched=("hr_file", "employed"),
    ineligible="waiting",
)

SPECS: dict[type, Spec] = {
    spec.model: spec
    for spec in (
        Spec(Referral, "referral", REFERRAL),
        Spec(Complaint, "complaint", COMPLAINT, unmatched=("complaint", "open")),
        Spec(Incident, "incident", fixed_rule="safeguarding"),
        _STAFF,
        Spec(HRFileEntry, "hr_file_entry", follows=("staff_member_id", _STAFF)),
        Spec(DBSCheck, "dbs_check", follows=("staff_member_id", _STAFF)),
        Spec(ParentalLeave, "parental_leave", PARENTAL_LEAVE, ineligible="employed"),
        Spec(
            SubjectRequest,
            "subject_request",
            SUBJECT_REQUEST,
            unmatched=("subject_request", "open"),
        ),
        Spec(
            FinanceRecord, "finance_record", FINANCE_RECORD, unmatched=("finance", "hmrc_enquiry")
        ),
        Spec(Breach, "breach", BREACH, unmatched=("breach", "open")),
    )
}


def retention_blocks(
    session: Session, records: Sequence[Any], today: date | None = None
) -> list[RetentionBlock]:
    """The block of each record (all of one type), in order; one query per call. `today` is the
    day the rules are evaluated on (a member of staff is current on a given day)."""
    if not records:
        return []
    today = today or today_in_london()
    spec = SPECS[type(records[0])]
    assert all(type(r) is spec.model for r in records), "records of one type only"
    rules = current_rules(session)
    if spec.follows is not None:
        column, followed = spec.follows
        owners = [getattr(r, column) for r in records]
        found = _by_id(session, followed, rules, owners, today)
        return [found[owner] for owner in owners]
    found = _by_id(session, spec, rules, [r.id for r in records], today)
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
    session: Session,
    spec: Spec,
    rules: dict[str, Rule],
    ids: list[uuid.UUID],
    today: date,
) -> dict[uuid.UUID, RetentionBlock]:
    if spec.source is None:
        assert spec.fixed_rule is not None
        block = _block(rules, spec.fixed_rule, None, matched=True, eligible=True, withheld=None)
        return dict.fromkeys(ids, block)
    columns = _BlockColumns.of(spec, today)
    stmt = select(spec.source.model.id, *columns.columns).where(spec.source.model.id.in_(set(ids)))
    return {record_id: columns.block(rules, values) for record_id, *values in session.execute(stmt)}


@dataclass(frozen=True)
class _BlockColumns:
    """A source's block as columns of a select over its model (correlated to the row), and the
    block read back from their values: the sweep's conditions, evaluated on `today`."""

    spec: Spec
    keys: list[str]
    columns: list[Any]

    @classmethod
    def of(cls, spec: Spec, today: date) -> _BlockColumns:
        """Built once per record type and day (the expressions depend on nothing else; the
        rules' periods are read per request), so SQLAlchemy's statement cache sees the same
        column objects and their memoized cache keys on every request."""
        cached = _COLUMNS.get(spec.record_type)
        if cached is not None and cached[0] == today:
            return cached[1]
        columns = cls._build(spec, today)
        _COLUMNS[spec.record_type] = (today, columns)
        return columns

    @classmethod
    def _build(cls, spec: Spec, today: date) -> _BlockColumns:
        source = spec.source
        assert source is not None, f"{spec.record_type} has no retention source"
        conditions = source.conditions(today)
        keys = list(conditions)
        kept = withheld(source)
        columns = [
            *(_flag(conditions[key]) for key in keys),
            *(trigger_for(source, key) for key in keys),
            _flag(and_(true(), *source.eligibility(today))),
            *(_flag(kept[reason]) for reason in WITHHELD_REASONS),
        ]
        labelled = [column.label(f"retention_{i}") for i, column in enumerate(columns)]
        return cls(spec, keys, labelled)

    def block(self, rules: dict[str, Rule], values: Sequence[Any]) -> RetentionBlock:
        spec, keys = self.spec, self.keys
        matches, triggers = values[: len(keys)], values[len(keys) : 2 * len(keys)]
        eligible = values[2 * len(keys)]
        reasons = values[2 * len(keys) + 1 :]
        reason_withheld = next(
            (reason for reason, hit in zip(WITHHELD_REASONS, reasons, strict=True) if hit), None
        )
        matched = next((i for i, hit in enumerate(matches) if hit), None)
        if matched is None:
            assert spec.unmatched is not None, f"no {spec.record_type} rule applies"
            rule_key, trigger = spec.unmatched[0], triggers[keys.index(spec.unmatched[0])]
        else:
            rule_key, trigger = keys[matched], triggers[matched]
        return _block(
            rules,
            rule_key,
            trigger,
            matched=matched is not None,
            eligible=bool(eligible),
            withheld=reason_withheld,
            unmatched=spec.unmatched[1] if spec.unmatched else "open",
            ineligible=spec.ineligible,
        )


# record type → (the day they were built for, the columns); a new day replaces the entry.
_COLUMNS: dict[str, tuple[date, _BlockColumns]] = {}


@dataclass(frozen=True)
class PageBlocks:
    """A list's records and their blocks read in the list's own query (one round trip, not two)
    as plain columns, without ORM instances: `columns` are the read model's own columns of the
    record (under their attribute names, the list's order keys among them) followed by the
    block's, for `select(*columns)`; `read_many` turns those rows into read models. Same
    conditions as `retention_blocks`."""

    _record: tuple[str, ...]
    _columns: _BlockColumns
    columns: tuple[Any, ...]

    def read_many(self, session: Session, schema: type[M], rows: Sequence[Any]) -> list[M]:
        rules = current_rules(session)
        names, width, block = self._record, len(self._record), self._columns.block
        # One validation call for the page, not one per row.
        return _list_of(schema).validate_python(
            [
                {
                    **dict(zip(names, row[:width], strict=True)),
                    "retention": block(rules, row[width:]),
                }
                for row in rows
            ]
        )


@functools.cache
def _list_of(schema: type[M]) -> TypeAdapter[list[M]]:
    return TypeAdapter(list[schema])  # type: ignore[valid-type]


def page_blocks(model: type, schema: type[BaseModel], today: date | None = None) -> PageBlocks:
    """For a list of `model` read as `schema`, a record type the sweep disposes of by its own
    columns."""
    spec = SPECS[model]
    assert spec.source is not None and spec.source.model is model, f"{model} has no own source"
    blocks = _BlockColumns.of(spec, today or today_in_london())
    mapped = {attribute.key for attribute in sa_inspect(model).column_attrs}
    record = tuple(name for name in schema.model_fields if name in mapped)
    columns = (*(getattr(model, name) for name in record), *blocks.columns)
    return PageBlocks(record, blocks, columns)


def _flag(condition: Any) -> Any:
    # 1/0 rather than a boolean: the same on both databases, and NULL counts as false.
    return case((condition, 1), else_=0)


def _block(
    rules: dict[str, Rule],
    rule_key: str,
    trigger: Any,
    *,
    matched: bool,
    eligible: bool,
    withheld: str | None,
    unmatched: RetentionReason = "open",
    ineligible: RetentionReason = "open",
) -> RetentionBlock:
    rule = rules.get(rule_key)
    months = rule.period_months if rule is not None and rule.action == "dispose" else None
    reason: RetentionReason | None
    if withheld is not None:
        reason = cast(RetentionReason, withheld)
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


def paperwork_block(record: Any, owner_blocks: Mapping[Any, RetentionBlock]) -> RetentionBlock:
    """The block of a pre-visit, session or document: safeguarding paperwork is kept
    indefinitely (rule `safeguarding_paperwork`), outliving its owner; other paperwork goes with
    its owner and carries the owner's block (`owner_blocks`, by owner id)."""
    if record.safeguarding:
        return RetentionBlock(
            rule_key="safeguarding_paperwork",
            trigger_on=None,
            dispose_after=None,
            reason="kept_indefinitely",
        )
    if isinstance(record, Document):
        owner = record.owner
        assert owner is not None, "a document without an owner is safeguarding paperwork"
        return owner_blocks[owner[1]]
    return owner_blocks[record.referral_id]
