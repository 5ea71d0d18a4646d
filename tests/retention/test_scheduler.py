"""Scheduling: APScheduler settings, and exactly one sweep per slot across processes."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from app import migrate
from app.db import make_engine, make_sessionmaker
from app.retention import scheduler
from app.retention.models import Sweep
from tests.conftest import FreshDatabase

ROOT = Path(__file__).resolve().parents[2]
ONE_SCHEDULER = """
import sys
from datetime import datetime
from app.db import make_engine, make_sessionmaker
from app.retention import scheduler
engine = make_engine(sys.argv[1])
outcome = scheduler.scheduled_sweep(
    engine, make_sessionmaker(engine), scheduler.Leadership(engine),
    datetime.fromisoformat(sys.argv[2]),
)
print(outcome)
"""


def test_jobs_coalesce_run_alone_and_tolerate_a_late_start() -> None:
    assert scheduler.JOB_DEFAULTS["coalesce"] is True
    assert scheduler.JOB_DEFAULTS["max_instances"] == 1
    assert scheduler.JOB_DEFAULTS["misfire_grace_time"] >= 3600


def test_the_cron_runs_in_london_time(fresh_database: FreshDatabase) -> None:
    migrate.upgrade(fresh_database.url)
    engine = make_engine(fresh_database.url)
    try:
        running, leadership = scheduler.start(engine, make_sessionmaker(engine), "30 2 * * *")
        try:
            job = running.get_job("retention-sweep")
            fire = job.trigger.get_next_fire_time(None, datetime(2026, 7, 1, 12, tzinfo=UTC))
            assert (fire.hour, fire.minute, str(fire.tzinfo)) == (2, 30, "Europe/London")
            assert fire.utcoffset().total_seconds() == 3600  # BST in July
        finally:
            running.shutdown(wait=False)
            leadership.resign()
    finally:
        engine.dispose()


def test_a_slot_is_its_minute_in_london() -> None:
    assert (
        scheduler.slot_of(datetime(2026, 7, 1, 1, 30, 12, tzinfo=UTC))
        == "2026-07-01T02:30:00+01:00"
    )


def test_two_schedulers_in_two_processes_make_one_sweep_per_slot(
    fresh_database: FreshDatabase,
) -> None:
    migrate.upgrade(fresh_database.url)
    now = "2026-11-29T02:30:00+00:00"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", ONE_SCHEDULER, fresh_database.url, now],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        outcomes.append(out.strip().splitlines()[-1])
    assert sorted(outcomes) in (["not-leader", "ran"], ["ran", "slot-taken"])

    engine = make_engine(fresh_database.url)
    try:
        with make_sessionmaker(engine)() as session:
            runs = session.scalars(select(Sweep)).all()
            assert [(r.slot, r.trigger, r.status) for r in runs] == [
                ("2026-11-29T02:30:00+00:00", "schedule", "completed")
            ]
        # The next slot is a new run.
        again = scheduler.scheduled_sweep(
            engine,
            make_sessionmaker(engine),
            scheduler.Leadership(engine),
            datetime(2026, 11, 30, 2, 30, tzinfo=UTC),
        )
        assert again == "ran"
    finally:
        engine.dispose()
