"""The retention sweep: due dates per rule, holds, people, batches, crash safety, one runner."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from app.db import Base
from app.referrals.models import PreVisit, Referral, ReferralParty
from app.retention import sweep as retention_sweep
from app.retention.models import Disposal, LegalHold, Sweep
from app.staff.models import DBSCheck, HRFileEntry
from tests.cases.factories import add_party, family, make_person, make_referral
from tests.factories import World
from tests.staff.factories import (
    make_dbs_check,
    make_finance_record,
    make_hr_note,
    make_parental_leave,
    make_staff,
)


def sweep(app: FastAPI, today: date, **options: object) -> Sweep:
    sweep_id = retention_sweep.run(
        app.state.engine,
        app.state.sessionmaker,
        retention_sweep.SweepOptions(today=today, **options),
    )
    assert sweep_id is not None
    with app.state.sessionmaker() as session:
        found = session.get(Sweep, sweep_id)
        assert found is not None
        session.expunge(found)
        return found


def exists(db: Session, record: object) -> bool:
    """Is the record still in the database? (Reads its key without refreshing it.)"""
    state = inspect(record)
    db.expire_all()
    return db.get(state.mapper.class_, state.identity) is not None


def closed_referral(db: Session, world: World, closed_on: date, **fields: object) -> Referral:
    return make_referral(
        db,
        world.centre_a,
        status="closed",
        closed_on=closed_on,
        received_on=date(2020, 1, 2),
        **fields,
    )


# --- one test per rule: the day before due is kept, the due day disposes ------------------------


@pytest.mark.parametrize(
    ("fields", "closed_on", "due_on"),
    [
        ({}, date(2025, 1, 10), date(2026, 1, 10)),
        ({"has_court_order": True}, date(2023, 1, 10), date(2026, 1, 10)),
        ({"cafcass_involved": True, "source": "srs"}, date(2023, 1, 10), date(2026, 1, 10)),
        ({}, date(2024, 2, 29), date(2025, 2, 28)),  # leap day + 1 year
        ({"source": "court"}, date(2025, 1, 31), date(2026, 1, 31)),
    ],
)
def test_referrals_are_disposed_on_their_due_day(
    app: FastAPI, db: Session, world: World, fields: dict, closed_on: date, due_on: date
) -> None:
    referral = closed_referral(db, world, closed_on, **fields)
    db.commit()
    assert (
        sweep(app, due_on - timedelta(days=1)).counts.get("referral_no_court", 0)
        + sweep(app, due_on - timedelta(days=1)).counts.get("referral_court", 0)
        == 0
    )
    assert exists(db, referral)
    done = sweep(app, due_on)
    assert done.status == "completed"
    assert not exists(db, referral)
    log = db.scalars(select(Disposal).where(Disposal.record_type == "referral")).one()
    court = bool(fields.get("has_court_order") or fields.get("cafcass_involved"))
    assert log.rule_key == ("referral_court" if court else "referral_no_court")
    assert (log.trigger_on, log.due_on, log.sweep_id) == (closed_on, due_on, done.id)
    assert log.facts["court"] is court and log.facts["source"] == fields.get("source", "self")


def test_open_referrals_are_never_due(app: FastAPI, db: Session, world: World) -> None:
    referral = make_referral(db, world.centre_a, status="active", received_on=date(2000, 1, 1))
    db.commit()
    sweep(app, date(2099, 1, 1))
    assert exists(db, referral)


def test_staff_rules_and_their_attachments(app: FastAPI, db: Session, world: World) -> None:
    ended = make_staff(db, world.centre_a, ended_on=date(2020, 3, 31), engagement="paid")
    make_dbs_check(db, ended)
    make_hr_note(db, ended)
    # Applicants who never started (their start date is still ahead of the sweep).
    unused = make_staff(
        db, world.centre_a, started_on=date(2099, 1, 4), last_used_on=date(2023, 6, 1)
    )
    used = make_staff(
        db, world.centre_a, started_on=date(2099, 1, 4), last_used_on=date(2025, 6, 1)
    )
    db.commit()
    ended_id = ended.id

    sweep(app, date(2026, 3, 30))
    assert exists(db, ended) and exists(db, unused)
    done = sweep(app, date(2026, 6, 1))
    assert done.counts["hr_file"] == 1 and done.counts["staff_unused"] == 1
    assert not exists(db, ended) and not exists(db, unused)
    assert exists(db, used)
    for model in (DBSCheck, HRFileEntry):
        assert (
            db.scalar(
                select(func.count()).select_from(model).where(model.staff_member_id == ended_id)
            )
            == 0
        )


def test_parental_leave_keeps_its_own_clock_and_holds_back_its_staff_member(
    app: FastAPI, db: Session, world: World
) -> None:
    staff = make_staff(db, world.centre_a, ended_on=date(2018, 1, 1))
    plain = make_parental_leave(db, staff, child_birth_or_adoption_on=date(2021, 5, 1))
    allowance = make_parental_leave(
        db, staff, child_birth_or_adoption_on=date(2010, 6, 1), disability_allowance=True
    )
    db.commit()
    sweep(app, date(2026, 4, 30))
    assert exists(db, plain) and exists(db, allowance) and exists(db, staff)
    sweep(app, date(2026, 5, 1))
    assert not exists(db, plain)
    assert exists(db, allowance), "18 years from birth when the child has a disability allowance"
    assert exists(db, staff), "its HR clock ran out long ago, but a leave record remains"
    done = sweep(app, date(2028, 6, 1))
    assert done.counts["parental_leave_disability"] == 1 and done.counts["hr_file"] == 1
    assert not exists(db, allowance) and not exists(db, staff)


def test_eighteen_years_from_a_leap_day_birth(app: FastAPI, db: Session, world: World) -> None:
    staff = make_staff(db, world.centre_a, ended_on=date(2025, 3, 31))
    leave = make_parental_leave(
        db, staff, child_birth_or_adoption_on=date(2008, 2, 29), disability_allowance=True
    )
    db.commit()
    sweep(app, date(2026, 2, 27))
    assert exists(db, leave)
    sweep(app, date(2026, 2, 28))
    assert not exists(db, leave)


def test_finance_waits_for_an_hmrc_enquiry(app: FastAPI, db: Session, world: World) -> None:
    due = make_finance_record(db, world.centre_a, transaction_on=date(2019, 6, 1))
    held = make_finance_record(
        db, world.centre_a, transaction_on=date(2019, 6, 1), hmrc_enquiry_open=True
    )
    db.commit()
    assert due.last_year_end_on == date(2020, 3, 31)
    sweep(app, date(2026, 3, 30))
    assert exists(db, due)
    sweep(app, date(2026, 3, 31))
    assert not exists(db, due) and exists(db, held)


# --- holds and people -----------------------------------------------------------------------------


def test_held_records_and_held_people_survive_until_released(
    app: FastAPI, db: Session, world: World
) -> None:
    held_referral = closed_referral(db, world, date(2020, 1, 1))
    other = closed_referral(db, world, date(2020, 1, 1))
    person = make_person(db, world.centre_a)
    add_party(db, other, person, "resident_parent")
    hold = LegalHold(
        centre_id=world.centre_a.id,
        record_type="referral",
        record_id=held_referral.id,
        reason="claim",
        placed_by_id=world.admin.id,
    )
    person_hold = LegalHold(
        centre_id=world.centre_a.id,
        person_id=person.id,
        reason="claim",
        placed_by_id=world.admin.id,
    )
    db.add_all([hold, person_hold])
    db.commit()
    sweep(app, date(2026, 1, 1))
    assert exists(db, held_referral) and exists(db, other)

    hold.released_at = person_hold.released_at = retention_sweep.utcnow()
    db.commit()
    sweep(app, date(2026, 1, 1))
    assert not exists(db, held_referral) and not exists(db, other)
    assert not exists(db, person)


def test_people_go_with_their_last_record_only(app: FastAPI, db: Session, world: World) -> None:
    old = family(db, world.centre_a, status="closed", closed_on=date(2020, 1, 1))
    live = make_referral(db, world.centre_a, status="active")
    add_party(db, live, old.resident, "resident_parent")
    bystander = make_person(db, world.centre_a, full_name="Never Referred")
    db.commit()
    old_referral_id = old.referral.id
    done = sweep(app, date(2026, 1, 1))
    assert not exists(db, old.referral)
    assert exists(db, old.resident), "still a party to a live referral"
    assert not exists(db, old.non_resident) and not exists(db, old.child)
    assert exists(db, bystander), "a person who never had a record is left alone"
    for model in (ReferralParty, PreVisit):
        assert (
            db.scalar(
                select(func.count()).select_from(model).where(model.referral_id == old_referral_id)
            )
            == 0
        )
    logged = set(db.scalars(select(Disposal.record_type).where(Disposal.sweep_id == done.id)))
    assert logged == {"referral", "person"}


def test_nothing_of_the_disposed_remains_anywhere(app: FastAPI, db: Session, world: World) -> None:
    old = family(db, world.centre_a, status="closed", closed_on=date(2020, 1, 1))
    names = ["Rita Resident", "Nick Nonresident", old.resident.email, old.non_resident.email]
    sweep(app, date(2026, 1, 1))
    db.expire_all()
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if column.type.python_type not in (str, bytes, dict):
                continue
            values = db.execute(select(column).where(column.is_not(None))).scalars().all()
            dumped = "\n".join(str(v) for v in values)
            for name in names:
                assert name not in dumped, (table.name, column.name)
    audit = "\n".join(str(r) for r in db.execute(text("SELECT * FROM audit_event")).all())
    assert all(name not in audit for name in names)


# --- batches, crashes, reruns, one runner ---------------------------------------------------------


def test_a_crash_in_the_third_batch_keeps_two_batches_and_the_rerun_finishes(
    app: FastAPI, db: Session, world: World
) -> None:
    referrals = [closed_referral(db, world, date(2020, 1, d)) for d in range(1, 8)]
    db.commit()
    referral_ids = sorted((r.id for r in referrals), key=str)

    def fail_third(batch: int) -> None:
        if batch == 3:
            raise RuntimeError("injected")

    with pytest.raises(RuntimeError):
        retention_sweep.run(
            app.state.engine,
            app.state.sessionmaker,
            retention_sweep.SweepOptions(today=date(2026, 1, 1), batch_size=2, on_batch=fail_third),
        )
    db.expire_all()
    failed = db.scalars(select(Sweep).order_by(Sweep.started_at.desc())).first()
    assert failed.status == "failed" and failed.error == "RuntimeError"
    assert failed.batches == 2 and failed.counts == {"referral_no_court": 4, "referral_court": 0}
    gone = [r for r in referrals if not exists(db, r)]
    assert len(gone) == 4
    assert db.scalar(select(func.count()).select_from(Disposal)) == 4

    rerun = sweep(app, date(2026, 1, 1), batch_size=2)
    assert rerun.counts["referral_no_court"] == 3
    assert all(not exists(db, r) for r in referrals)
    logged = db.scalars(select(Disposal.record_id).where(Disposal.record_type == "referral")).all()
    assert sorted(logged, key=str) == referral_ids
    assert sum(sweep(app, date(2026, 1, 1)).counts.values()) == 0


def test_a_run_whose_runner_died_is_marked_abandoned_by_the_next(
    app: FastAPI, db: Session, world: World
) -> None:
    """kill -9 leaves a run `running` (its lock died with its connection or lease); the next run
    to hold the lock marks it abandoned and disposes of what it left due."""
    referral = closed_referral(db, world, date(2020, 1, 1))
    db.commit()
    options = retention_sweep.SweepOptions(today=date(2026, 1, 1))
    with app.state.sessionmaker() as session:
        killed = retention_sweep.create(session, options, status="running")
        session.commit()
        killed_id = killed.id

    rerun = sweep(app, date(2026, 1, 1))

    db.expire_all()
    orphan = db.get(Sweep, killed_id)
    assert orphan.status == "abandoned" and orphan.finished_at is not None
    assert rerun.status == "completed" and rerun.counts["referral_no_court"] == 1
    assert not exists(db, referral)


def test_a_dry_run_counts_and_changes_nothing(app: FastAPI, db: Session, world: World) -> None:
    referral = closed_referral(db, world, date(2020, 1, 1))
    db.commit()
    dry = sweep(app, date(2026, 1, 1), dry_run=True)
    assert dry.dry_run and dry.counts["referral_no_court"] == 1
    assert exists(db, referral)
    assert db.scalar(select(func.count()).select_from(Disposal)) == 0


def test_a_second_runner_is_skipped_while_one_holds_the_lock(
    app: FastAPI, db: Session, world: World, backend: str
) -> None:
    holder = "someone-else"
    with retention_sweep.sweep_lock(app.state.engine, app.state.sessionmaker, holder) as acquired:
        assert acquired
        skipped = sweep(app, date(2026, 1, 1))
    assert skipped.status == "skipped" and skipped.finished_at is not None
    assert sweep(app, date(2026, 1, 1)).status == "completed"


def test_preview_lists_what_is_due_without_changing_anything(
    app: FastAPI, db: Session, world: World
) -> None:
    referral = closed_referral(db, world, date(2020, 1, 1))
    other_centre = make_referral(db, world.centre_b, status="closed", closed_on=date(2020, 1, 1))
    db.commit()
    due = {
        d.rule_key: d
        for d in retention_sweep.preview(db, date(2026, 1, 1), frozenset({world.centre_a.id}), 10)
    }
    assert [r.record_id for r in due["referral_no_court"].records] == [referral.id]
    assert due["referral_no_court"].records[0].due_on == date(2021, 1, 1)
    assert exists(db, other_centre) and exists(db, referral)


def test_a_hold_on_a_staff_member_holds_their_parental_leave(
    app: FastAPI, db: Session, world: World
) -> None:
    staff = make_staff(db, world.centre_a, ended_on=date(2018, 1, 1))
    leave = make_parental_leave(db, staff, child_birth_or_adoption_on=date(2015, 5, 1))
    db.add(
        LegalHold(
            centre_id=world.centre_a.id,
            record_type="staff_member",
            record_id=staff.id,
            reason="tribunal",
            placed_by_id=world.admin.id,
        )
    )
    db.commit()
    sweep(app, date(2026, 1, 1))
    assert exists(db, leave) and exists(db, staff)


# --- complaints, incidents, disclosures -----------------------------------------------------------


def test_complaints_go_a_year_after_closing_with_their_documents_and_complainant(
    app: FastAPI, db: Session, world: World
) -> None:
    from app.documents.models import Document
    from tests.cases.factories import make_case_document, make_complaint

    complainant = make_person(db, world.centre_a, full_name="Carol Complainant")
    resolved = make_complaint(
        db,
        world.centre_a,
        complainant_id=complainant.id,
        status="resolved",
        resolved_on=date(2025, 1, 10),
        closed_on=date(2025, 1, 10),
    )
    withdrawn = make_complaint(db, world.centre_a, status="withdrawn", closed_on=date(2025, 3, 1))
    open_one = make_complaint(db, world.centre_a, received_on=date(2020, 1, 1))
    document = make_case_document(db, world.centre_a.id, {"complaint_id": resolved.id})
    db.commit()
    sweep(app, date(2026, 1, 9))
    assert exists(db, resolved) and exists(db, document)
    done = sweep(app, date(2026, 3, 1))
    assert done.counts["complaint"] == 2
    assert not exists(db, resolved) and not exists(db, withdrawn) and not exists(db, document)
    assert not exists(db, complainant)
    assert exists(db, open_one), "an unresolved complaint is never due"
    assert db.scalar(select(func.count()).select_from(Document)) == 0


def test_a_child_named_in_an_incident_outlives_the_referral(
    app: FastAPI, db: Session, world: World
) -> None:
    from tests.cases.factories import make_disclosure, make_incident

    old = family(db, world.centre_a, status="closed", closed_on=date(2020, 1, 1))
    incident = make_incident(db, world.centre_a, child_id=old.child.id, referral_id=old.referral.id)
    only_referral = make_disclosure(
        db,
        world.centre_a,
        [old.resident],
        referral_id=old.referral.id,
        lawful_basis="legal_obligation",
    )
    with_incident = make_disclosure(
        db, world.centre_a, [old.child], referral_id=old.referral.id, incident_id=incident.id
    )
    db.commit()
    sweep(app, date(2026, 1, 1))
    assert not exists(db, old.referral) and not exists(db, only_referral)
    assert exists(db, incident) and exists(db, with_incident)
    assert exists(db, old.child), "the incident keeps the child"
    assert not exists(db, old.resident) and not exists(db, old.non_resident)
    db.refresh(with_incident)
    db.refresh(incident)
    assert with_incident.referral_id is None and incident.referral_id is None


def test_the_sweep_deletes_stored_replays_no_retry_can_use(
    app: FastAPI, db: Session, world: World
) -> None:
    from app.api.models import REPLAY_WINDOW, IdempotencyRecord
    from app.db import utcnow

    def replay(age: timedelta) -> IdempotencyRecord:
        record = IdempotencyRecord(
            principal_id=world.staff_a.id,
            key=f"key-{age}",
            method="POST",
            path="/api/v1/people",
            body_sha256="0" * 64,
            status_code=201,
            body=b'{"full_name": "Alex Example"}',
            created_at=utcnow() - age,
        )
        db.add(record)
        return record

    expired = replay(REPLAY_WINDOW + timedelta(minutes=1))
    live = replay(REPLAY_WINDOW - timedelta(minutes=5))
    db.commit()
    sweep(app, date(2026, 1, 1), dry_run=True)
    assert exists(db, expired) and exists(db, live)
    sweep(app, date(2026, 1, 1))
    assert not exists(db, expired) and exists(db, live)
