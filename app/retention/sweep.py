"""The retention sweep: what is due, and the batched run that disposes of it.

A sweep works in batches, each in its own transaction: it logs the batch's records in the
disposal log, deletes them and their attachments with set-based statements, deletes the people
no remaining record refers to, and commits. A crash loses at most the batch in hand, which the
next run does again; a record is never logged twice (the log is unique per record). One sweep
runs at a time across processes: a PostgreSQL advisory lock, or a lease row on SQLite.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Date,
    Engine,
    MetaData,
    Select,
    String,
    Table,
    Uuid,
    and_,
    case,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.schema import CreateTable

from app.api.models import delete_expired_replays
from app.auth.models import delete_expired_revocations
from app.db import (
    UTCDateTime,
    json_object,
    month_of,
    new_uuid,
    plus_months,
    utcnow,
    without_jit,
)
from app.kit.calendar import add_months, due_cutoff
from app.people.models import Person, person_references
from app.retention.models import (
    Disposal,
    LegalHold,
    RetentionReview,
    RetentionRule,
    ReviewStatus,
    Sweep,
)
from app.retention.sources import (
    NO_SYNC,
    SOURCES,
    Match,
    RetentionSource,
    fact_names,
    in_ids,
    trigger_for,
    with_facts,
)
from app.security.scoping import within_centres
from app.single_runner import renew_lease as renew_sweep_lease
from app.single_runner import single_runner
from app.subject_requests.models import frozen_subjects
from app.webhooks import outbox
from app.webhooks.models import EventType

log = logging.getLogger(__name__)

SWEEP_LOCK_KEY = 0x63637273  # "ccrs": the PostgreSQL advisory lock of the sweep
# Fastest of 500, 2000 and 5000 on 200k due records; 20,000 was not faster (bench/README.md).
DEFAULT_BATCH = 5000


def _active_person_holds() -> Any:
    return (
        select(LegalHold.person_id)
        .where(LegalHold.released_at.is_(None), LegalHold.person_id.is_not(None))
        .correlate(None)
    )


def _restricted_people() -> Any:
    """People whose processing is restricted (UK GDPR Art 18(1)(c): they may need the data for
    a legal claim): their records are not disposed of while it lasts."""
    return select(Person.id).where(Person.processing_restricted.is_(True)).correlate(None)


def _open_request_subjects() -> Any:
    # Never correlated with an outer query over subject requests (that would ask about the
    # outer request itself, not about its subject's open requests).
    return frozen_subjects().correlate(None)


def frozen_people() -> Any:
    """Every person whose records must not be disposed of now: held, restricted, or the subject
    of an open access or portability request."""
    return union(_active_person_holds(), _restricted_people(), _open_request_subjects())


# Why a record that would otherwise be due is not disposed of, in the order a block reports it.
WITHHELD_REASONS = ("held", "restricted", "frozen")


def _records_linked(link: Any, people: Any) -> Any:
    """The ids of the records that `link` ties to someone in `people`: one uncorrelated
    set, built once per statement (probed per record, where a correlated `EXISTS` per record
    and link cost the sweep's due check most of its time)."""
    named: list[Any] = []

    def match(column: Any) -> ColumnElement[bool]:
        named.append(column)
        return cast(ColumnElement[bool], column.is_not(None))

    linked = link(match)
    (record,) = named
    return (
        linked.where(linked.selected_columns[0].in_(people))
        .with_only_columns(record)
        .correlate(None)
    )


def _linked_to(source: RetentionSource, people: Any) -> ColumnElement[bool]:
    """Some person linked to the record (its own columns, or through other tables) is in
    `people`. Exactly that record's people: never another person's records."""
    model = source.model
    found: list[ColumnElement[bool]] = [
        and_(column.is_not(None), column.in_(people)) for column in source.own_people
    ]
    for link in source.person_links:
        found.append(model.id.in_(_records_linked(link, people)))
    return or_(*found) if found else false()


def _held_records(record_type: str) -> Any:
    """Ids of the records of `record_type` under an active legal hold (one set per statement)."""
    return (
        select(LegalHold.record_id)
        .where(
            LegalHold.released_at.is_(None),
            LegalHold.record_type == record_type,
            LegalHold.record_id.is_not(None),
        )
        .correlate(None)
    )


def withheld(source: RetentionSource) -> dict[str, ColumnElement[bool]]:
    """Reason → the condition under which a record of `source` is kept from disposal for it:
    `held` (a legal hold on it, on a record it goes with, or on a linked person), `restricted`
    (a linked person's processing is restricted), `frozen` (a linked person has an open access
    or portability request)."""
    model = source.model
    holds: list[ColumnElement[bool]] = [model.id.in_(_held_records(source.record_type))]
    for record_type, column in source.held_through:
        holds.append(and_(column.is_not(None), column.in_(_held_records(record_type))))
    holds.append(_linked_to(source, _active_person_holds()))
    return {
        "held": or_(*holds),
        "restricted": _linked_to(source, _restricted_people()),
        "frozen": _linked_to(source, _open_request_subjects()),
    }


def not_held(source: RetentionSource) -> ColumnElement[bool]:
    """The record is neither held, nor restricted, nor frozen."""
    return and_(*(~condition for condition in withheld(source).values()))


def withheld_reason(source: RetentionSource) -> Any:
    """The first reason that keeps the record from disposal, or NULL."""
    return case(*((condition, reason) for reason, condition in withheld(source).items()))


# --- disposition review (DESIGN §12) -----------------------------------------------------


def _review_of(source: RetentionSource, rule: RetentionRule) -> Any:
    return exists().where(
        RetentionReview.record_type == source.record_type,
        RetentionReview.record_id == source.model.id,
        RetentionReview.rule_key == rule.key,
    )


def review_approved(source: RetentionSource, rule: RetentionRule) -> list[ColumnElement[bool]]:
    """Under a rule that requires review, only records a reviewer approved are due."""
    if not rule.requires_review:
        return []
    return [_review_of(source, rule).where(RetentionReview.status == ReviewStatus.approved.value)]


def awaiting_review_statement(
    source: RetentionSource,
    rule: RetentionRule,
    today: date,
    centre_ids: frozenset[uuid.UUID] | None,
) -> Any:
    """Records `rule` makes due and nothing withholds, that wait for a review decision: not
    approved, and not extended beyond `today` (an ended extension or a released hold brings a
    decided record back)."""
    if not rule.requires_review:
        return None
    stmt = _rule_statement(source, rule, today, centre_ids)
    decided = _review_of(source, rule).where(
        or_(
            RetentionReview.status == ReviewStatus.approved.value,
            and_(
                RetentionReview.status == ReviewStatus.extended.value,
                RetentionReview.extended_until > today,
            ),
        )
    )
    return None if stmt is None else stmt.where(not_held(source), ~decided)


def enqueue_reviews(session: Session, today: date) -> int:
    """Bring the review queue up to date: every record awaiting review is `pending` (newly due
    ones, and decided ones whose extension ended or whose hold was released); a pending item no
    longer awaiting (held meanwhile, reopened, its rule no longer requiring review) leaves the
    queue. Returns how many were queued."""
    rules = load_rules(session)
    queued = 0
    for source in SOURCES:
        for key in source.rules:
            rule = rules.get(key)
            stmt = None if rule is None else awaiting_review_statement(source, rule, today, None)
            rows = [] if stmt is None else session.execute(stmt).all()
            waiting = {row.record_id for row in rows}
            pending = select(RetentionReview).where(
                RetentionReview.record_type == source.record_type,
                RetentionReview.rule_key == key,
                RetentionReview.status == ReviewStatus.pending.value,
            )
            for stale in session.scalars(pending):
                if stale.record_id not in waiting:
                    session.delete(stale)
            if not rows:
                continue
            assert rule is not None
            found = session.scalars(
                select(RetentionReview).where(
                    RetentionReview.record_type == source.record_type,
                    in_ids(session, RetentionReview.record_id, list(waiting)),
                )
            )
            existing = {item.record_id: item for item in found}
            for row in rows:
                due_on = add_months(row.trigger_on, rule.period_months or 0)
                item = existing.get(row.record_id)
                if item is None:
                    item = RetentionReview(
                        centre_id=row.centre_id,
                        record_type=source.record_type,
                        record_id=row.record_id,
                        status=ReviewStatus.pending.value,
                    )
                    session.add(item)
                elif (item.status, item.rule_key, item.due_on) == ("pending", key, due_on):
                    continue
                item.reason = _review_reason(item, key)
                item.rule_key, item.due_on = key, due_on
                item.status = ReviewStatus.pending.value
                item.decided_by_id = item.decided_at = item.decision_reason = None
                item.extended_until = item.hold_id = None
                queued += 1
    session.flush()
    return queued


def _review_reason(item: RetentionReview, rule_key: str) -> str:
    if item.status == ReviewStatus.extended.value:
        return f"The extension to {item.extended_until} has ended"
    if item.status == ReviewStatus.held.value:
        return "The legal hold placed on review was released"
    return f"Rule {rule_key} requires review before disposal"


def note_approvers(session: Session, sweep_id: uuid.UUID, rule: RetentionRule) -> None:
    """The disposal log names who approved each disposal under a rule that requires review."""
    if not rule.requires_review:
        return
    approver = (
        select(RetentionReview.decided_by_id)
        .where(
            RetentionReview.record_type == Disposal.record_type,
            RetentionReview.record_id == Disposal.record_id,
            RetentionReview.status == ReviewStatus.approved.value,
        )
        .scalar_subquery()
    )
    session.execute(
        update(Disposal)
        .where(
            Disposal.sweep_id == sweep_id,
            Disposal.rule_key == rule.key,
            Disposal.approved_by_id.is_(None),
        )
        .values(approved_by_id=approver),
        execution_options=NO_SYNC,
    )


@dataclass(frozen=True)
class DueRecord:
    record_type: str
    record_id: uuid.UUID
    centre_id: uuid.UUID
    rule_key: str
    trigger_on: date
    due_on: date
    facts: dict[str, Any]


def load_rules(session: Session) -> dict[str, RetentionRule]:
    return {rule.key: rule for rule in session.scalars(select(RetentionRule))}


def _rule_statement(
    source: RetentionSource,
    rule: RetentionRule,
    today: date,
    centre_ids: frozenset[uuid.UUID] | None,
    *columns: Any,
) -> Any:
    """Records of `source` that `rule` makes due by `today` before holds are considered."""
    if rule.action != "dispose" or not rule.period_months:
        return None
    trigger = trigger_for(source, rule.key)
    model = source.model
    stmt = select(
        model.id.label("record_id"),
        model.centre_id.label("centre_id"),
        trigger.label("trigger_on"),
        *columns,
    ).where(
        source.conditions(today)[rule.key],
        *source.eligibility(today),
        trigger.is_not(None),
        trigger <= due_cutoff(today, rule.period_months),
    )
    return within_centres(stmt, model.centre_id, centre_ids).order_by(trigger, model.id)


def due_statement(
    source: RetentionSource,
    rule: RetentionRule,
    today: date,
    centre_ids: frozenset[uuid.UUID] | None,
) -> Any:
    """Records of `source` that `rule` makes due by `today`, not held, oldest first: their
    `record_id`, `centre_id` and `trigger_on` (`facts_json` adds their facts)."""
    stmt = _rule_statement(source, rule, today, centre_ids)
    return None if stmt is None else stmt.where(not_held(source), *review_approved(source, rule))


def facts_json(source: RetentionSource, records: Any, match: Match | None = None) -> Select[Any]:
    """`records`' columns (a table or subquery of `record_id`, ...) and their facts as the one
    JSON object the disposal log keeps (`facts`), built in SQL (`match`: as for `with_facts`)."""
    rows = with_facts(source, records, match).subquery()
    facts = {name: _plain(rows.c[name]) for name in fact_names(source)}
    return select(*(rows.c[c.name] for c in records.c), json_object(facts).label("facts"))


def withheld_statement(
    source: RetentionSource,
    rule: RetentionRule,
    today: date,
    centre_ids: frozenset[uuid.UUID] | None,
) -> Any:
    """Records `rule` would make due by `today` but a hold, restriction or freeze keeps, with
    the reason (the same conditions as `due_statement`'s `not_held`)."""
    stmt = _rule_statement(source, rule, today, centre_ids, withheld_reason(source).label("reason"))
    return None if stmt is None else stmt.where(~not_held(source))


def _due_records(rows: Any, source: RetentionSource, rule: RetentionRule) -> list[DueRecord]:
    return [
        DueRecord(
            record_type=source.record_type,
            record_id=row.record_id,
            centre_id=row.centre_id,
            rule_key=rule.key,
            trigger_on=row.trigger_on,
            due_on=add_months(row.trigger_on, rule.period_months or 0),
            facts=dict(row.facts or {}),
        )
        for row in rows
    ]


def _plain(value: Any) -> Any:
    # Dates are kept to the month: enough for statistics, not a way back to a person.
    if isinstance(value.type, Date):
        return month_of(value)
    return value


@dataclass(frozen=True)
class WithheldRecord:
    record_type: str
    record_id: uuid.UUID
    centre_id: uuid.UUID
    trigger_on: date
    due_on: date
    reason: str


@dataclass
class RuleDue:
    rule_key: str
    total: int
    records: list[DueRecord]
    withheld_total: int = 0
    withheld: list[WithheldRecord] = field(default_factory=list)
    awaiting_review_total: int = 0
    awaiting_review: list[WithheldRecord] = field(default_factory=list)


def preview(
    session: Session,
    today: date,
    centre_ids: frozenset[uuid.UUID] | None,
    limit: int,
) -> list[RuleDue]:
    """What a sweep run now would dispose, per rule (up to `limit` records each); no change."""
    rules = load_rules(session)
    result = []
    for source in SOURCES:
        for key in source.rules:
            rule = rules.get(key)
            if rule is None:
                continue
            stmt = due_statement(source, rule, today, centre_ids)
            if stmt is None:
                continue
            total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
            listed = facts_json(source, stmt.limit(limit).cte())
            order = (listed.selected_columns.trigger_on, listed.selected_columns.record_id)
            rows = session.execute(listed.order_by(*order)).all()
            kept = withheld_statement(source, rule, today, centre_ids)
            kept_total = session.scalar(
                select(func.count()).select_from(kept.order_by(None).subquery())
            )
            withheld_records = [
                WithheldRecord(
                    record_type=source.record_type,
                    record_id=row.record_id,
                    centre_id=row.centre_id,
                    trigger_on=row.trigger_on,
                    due_on=add_months(row.trigger_on, rule.period_months or 0),
                    reason=row.reason,
                )
                for row in session.execute(kept.limit(limit))
            ]
            due = RuleDue(
                key, int(total or 0), _due_records(rows, source, rule), int(kept_total or 0)
            )
            due.withheld = withheld_records
            _add_awaiting_review(session, due, source, rule, today, centre_ids, limit)
            result.append(due)
    return result


def _add_awaiting_review(
    session: Session,
    due: RuleDue,
    source: RetentionSource,
    rule: RetentionRule,
    today: date,
    centre_ids: frozenset[uuid.UUID] | None,
    limit: int,
) -> None:
    stmt = awaiting_review_statement(source, rule, today, centre_ids)
    if stmt is None:
        return
    count = select(func.count()).select_from(stmt.order_by(None).subquery())
    due.awaiting_review_total = int(session.scalar(count) or 0)
    due.awaiting_review = [
        WithheldRecord(
            record_type=source.record_type,
            record_id=row.record_id,
            centre_id=row.centre_id,
            trigger_on=row.trigger_on,
            due_on=add_months(row.trigger_on, rule.period_months or 0),
            reason="awaiting_review",
        )
        for row in session.execute(stmt.limit(limit))
    ]


# --- the batch in hand: tables of its ids, in the database ---------------------------------

# Temporary tables of the batch in hand (one set per connection): the batch's statements read
# its ids there instead of each re-sending them (bench/README.md). PostgreSQL empties them at
# COMMIT; SQLite has no such clause, so each batch starts by emptying them (`_start_batch`).
WORK = MetaData()
BATCH = Table(
    "retention_batch",
    WORK,
    Column("record_id", Uuid(), primary_key=True),
    Column("centre_id", Uuid(), nullable=False),
    Column("trigger_on", Date(), nullable=False),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)
# The people linked to the batch's records, then those of them no remaining record needs.
LINKED = Table(
    "retention_linked",
    WORK,
    Column("person_id", Uuid(), primary_key=True),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)
UNNEEDED = Table(
    "retention_unneeded",
    WORK,
    Column("person_id", Uuid(), primary_key=True),
    Column("centre_id", Uuid(), nullable=False),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)


def _start_batch(session: Session) -> None:
    for table in WORK.sorted_tables:
        session.execute(CreateTable(table, if_not_exists=True))
        # Empty already unless the sweep runs inside an outer transaction (tests), or on SQLite.
        session.execute(delete(table))


# --- people no record needs any more ------------------------------------------------------


def unneeded_people(session: Session, candidates: Any) -> Select[uuid.UUID, uuid.UUID]:
    """The candidates (a select of person ids) that no remaining record refers to and that are
    not frozen (held, restricted, or with an open request): their id and centre."""
    conditions: list[ColumnElement[bool]] = [
        in_ids(session, Person.id, candidates),
        Person.id.not_in(frozen_people()),
    ]
    for column in person_references():
        conditions.append(~exists().where(column == Person.id))
    return select(Person.id, Person.centre_id).where(*conditions)


# --- locking ----------------------------------------------------------------------------


def sweep_lock(
    engine: Engine, sessions: sessionmaker[Session], holder: str
) -> AbstractContextManager[bool]:
    """Yields True while this process holds the sweep lock, False if another one does."""
    return single_runner(engine, sessions, "sweep", SWEEP_LOCK_KEY, holder)


def renew_lease(session: Session, engine: Engine, holder: str) -> None:
    renew_sweep_lease(session, engine, "sweep", holder)


# --- the sweep ----------------------------------------------------------------------------


@dataclass
class SweepOptions:
    today: date
    dry_run: bool = False
    trigger: str = "api"
    requested_by_id: uuid.UUID | None = None
    slot: str | None = None
    batch_size: int = DEFAULT_BATCH
    # Called with each batch's number just before it commits (tests inject failures here).
    on_batch: Callable[[int], None] | None = None


def create(session: Session, options: SweepOptions, status: str = "queued") -> Sweep:
    """Record a sweep run in the caller's transaction (a scheduled run claims its slot)."""
    sweep = Sweep(
        slot=options.slot,
        trigger=options.trigger,
        dry_run=options.dry_run,
        as_of=options.today,
        status=status,
        requested_by_id=options.requested_by_id,
        counts={},
    )
    session.add(sweep)
    session.flush()
    return sweep


def run(engine: Engine, sessions: sessionmaker[Session], options: SweepOptions) -> uuid.UUID | None:
    """Record and run one sweep (CLI, scheduler); None when another process has its slot."""
    with sessions() as session:
        try:
            sweep_id = create(session, options).id
            session.commit()
        except IntegrityError:
            session.rollback()
            return None
    execute(engine, sessions, sweep_id, options)
    return sweep_id


def execute(
    engine: Engine, sessions: sessionmaker[Session], sweep_id: uuid.UUID, options: SweepOptions
) -> None:
    """Run a recorded sweep under the lock; another runner holding it makes this one `skipped`."""
    holder = uuid.uuid4().hex
    with sweep_lock(engine, sessions, holder) as acquired:
        if not acquired:
            _finish(sessions, sweep_id, "skipped")
            return
        _finish(sessions, sweep_id, "running", finished=False)
        _mark_abandoned(sessions, sweep_id)
        try:
            if not options.dry_run:
                with sessions() as session:
                    enqueue_reviews(session, options.today)
                    session.commit()
            counts, batches = _dispose_all(sessions, options, sweep_id, engine, holder)
        except Exception as exc:
            _finish(sessions, sweep_id, "failed", error=type(exc).__name__)
            log.exception("retention sweep %s failed", sweep_id)
            raise
        if not options.dry_run:
            with sessions() as session:
                delete_expired_replays(session)
                delete_expired_revocations(session)
                session.commit()
        _finish(sessions, sweep_id, "completed", counts=counts, batches=batches)


def _mark_abandoned(sessions: sessionmaker[Session], sweep_id: uuid.UUID) -> None:
    """Runs still `running` while this one holds the lock lost their runner (killed, or its
    machine gone): they are marked `abandoned`. Their committed batches stand; this run
    disposes of whatever they left due."""
    with sessions() as session:
        session.execute(
            update(Sweep)
            .where(Sweep.status == "running", Sweep.id != sweep_id)
            .values(status="abandoned", finished_at=utcnow(), error="runner gone")
        )
        session.commit()


def _finish(
    sessions: sessionmaker[Session],
    sweep_id: uuid.UUID,
    status: str,
    *,
    finished: bool = True,
    counts: dict[str, int] | None = None,
    batches: int | None = None,
    error: str | None = None,
) -> None:
    with sessions() as session:
        sweep = session.get(Sweep, sweep_id)
        assert sweep is not None
        sweep.status = status
        sweep.finished_at = utcnow() if finished else None
        sweep.error = error
        if counts is not None:
            sweep.counts = counts
        if batches is not None:
            sweep.batches = batches
        if status == "completed" and not sweep.dry_run:
            outbox.emit(session, EventType.sweep_completed, "retention_sweep", sweep.id, None)
        session.commit()


def _dispose_all(
    sessions: sessionmaker[Session],
    options: SweepOptions,
    sweep_id: uuid.UUID,
    engine: Engine,
    holder: str,
) -> tuple[dict[str, int], int]:
    with sessions() as session:
        rules = load_rules(session)
    counts: dict[str, int] = {}
    batches = 0
    for source in SOURCES:
        for key in source.rules:
            rule = rules.get(key)
            if rule is None or due_statement(source, rule, options.today, None) is None:
                continue
            counts.setdefault(key, 0)
            if options.dry_run:
                with sessions() as session:
                    stmt = due_statement(source, rule, options.today, None).order_by(None)
                    counts[key] = int(
                        session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
                    )
                continue
            # The ids the rule reaches are listed once (oldest first), without the holds, and
            # disposed of a batch at a time, instead of re-running and re-sorting the whole due
            # query for every batch. Each batch keeps only those of its ids that the due
            # statement (holds included) finds in its transaction, so a hold or change made
            # meanwhile is honoured, and the holds are checked once per record, not twice. When
            # the list is used up it is made again; the rule is done when it is empty or a pass
            # disposes of nothing (what is left is withheld).
            while True:
                with sessions() as session:
                    without_jit(session)
                    reached = _rule_statement(source, rule, options.today, None)
                    due_ids = list(session.scalars(reached.with_only_columns(source.model.id)))
                if not due_ids:
                    break
                disposed = 0
                for start in range(0, len(due_ids), options.batch_size):
                    chunk = due_ids[start : start + options.batch_size]
                    with sessions() as session:
                        without_jit(session)
                        _start_batch(session)
                        stmt = due_statement(source, rule, options.today, None)
                        found = session.execute(  # type: ignore[attr-defined]
                            insert(BATCH).from_select(
                                ["record_id", "centre_id", "trigger_on"],
                                stmt.where(in_ids(session, source.model.id, chunk)).order_by(None),
                            ),
                            execution_options={"preserve_rowcount": True},
                        ).rowcount
                        if not found:
                            continue
                        _dispose_batch(session, source, rule, sweep_id, found)
                        note_approvers(session, sweep_id, rule)
                        counts[key] += found
                        disposed += found
                        batches += 1
                        session.execute(
                            update(Sweep)
                            .where(Sweep.id == sweep_id)
                            .values(counts=dict(counts), batches=batches)
                        )
                        renew_lease(session, engine, holder)
                        if options.on_batch is not None:
                            options.on_batch(batches)
                        session.commit()
                if not disposed:
                    break
    return counts, batches


def _dispose_batch(
    session: Session,
    source: RetentionSource,
    rule: RetentionRule,
    sweep_id: uuid.UUID,
    count: int,
) -> None:
    """Log, then delete, the records listed in `BATCH` with their attachments, then the people
    no remaining record needs. Everything stays in the database: the log rows are written by
    `INSERT … SELECT` with ids the database makes."""
    batch_ids = select(BATCH.c.record_id)

    def in_batch(column: Any) -> ColumnElement[bool]:
        return in_ids(session, column, batch_ids)

    now = utcnow()
    log_rows = facts_json(source, BATCH, in_batch).subquery()
    _log(
        session,
        [
            log_rows.c.centre_id,
            literal(source.record_type, String()),
            log_rows.c.record_id,
            log_rows.c.trigger_on,
            plus_months(log_rows.c.trigger_on, rule.period_months or 0),
            log_rows.c.facts,
        ],
        sweep_id,
        rule.key,
        now,
    )
    links = source.people(in_batch)
    noting = source.delete_attachments_noting
    if links and noting is not None and session.get_bind().dialect.name == "postgresql":
        # The people linked to the batch, from the link rows' `DELETE … RETURNING` (the rows
        # read once, not once more by a `UNION` of the links first): a linked person not
        # returned keeps a link row (kept safeguarding paperwork), so stays needed either way.
        attachments = noting(session, batch_ids, LINKED)
    else:
        if links:
            session.execute(insert(LINKED).from_select(["person_id"], union(*links)))
        attachments = source.delete_attachments(session, batch_ids)
    log.info(
        "disposing %d %s records with %s",
        count,
        source.record_type,
        {k: v for k, v in attachments.items() if v},
    )
    session.execute(
        delete(source.model).where(in_batch(source.model.id)),
        execution_options=NO_SYNC,
    )
    if not links:
        return
    # A person goes when the last record that needed them does, under that record's rule.
    session.execute(
        insert(UNNEEDED).from_select(
            ["person_id", "centre_id"], unneeded_people(session, select(LINKED.c.person_id))
        )
    )
    _log(
        session,
        [
            UNNEEDED.c.centre_id,
            literal("person", String()),
            UNNEEDED.c.person_id,
            null(),
            null(),
            literal({}, JSON()),
        ],
        sweep_id,
        rule.key,
        now,
    )
    session.execute(
        delete(Person).where(in_ids(session, Person.id, select(UNNEEDED.c.person_id))),
        execution_options=NO_SYNC,
    )


def _log(
    session: Session, columns: list[Any], sweep_id: uuid.UUID, rule_key: str, now: datetime
) -> None:
    """Write the disposal-log rows whose centre, record type and id, trigger and due dates and
    facts are `columns`, in one `INSERT … SELECT`."""
    table = cast(Table, Disposal.__table__)
    names = ["centre_id", "record_type", "record_id", "trigger_on", "due_on", "facts"]
    session.execute(
        insert(table).from_select(
            ["id", "sweep_id", "rule_key", "disposed_at", *names],
            select(
                new_uuid(),
                literal(sweep_id, Uuid()),
                literal(rule_key, String()),
                literal(now, UTCDateTime()),
                *columns,
            ),
        )
    )
