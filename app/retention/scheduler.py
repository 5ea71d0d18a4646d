"""The daily sweep: APScheduler in every process, one sweep per slot across all of them.

APScheduler 3 does not coordinate processes, so each scheduled run first asks to be the leader
(a PostgreSQL advisory lock held on a dedicated connection for the life of the process; SQLite
has a single process) and then claims its slot with a unique sweep row: two schedulers that
both fire still make one sweep. `coalesce` folds missed runs into one, and a long misfire grace
keeps a run that starts late instead of silently dropping it.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker

from app.retention import sweep as retention_sweep
from app.time import LONDON

log = logging.getLogger(__name__)

LEADER_LOCK_KEY = 0x6363726C  # "ccrl"
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 60 * 60}


class Leadership:
    """Holds the leader lock on its own connection once won; SQLite is always its own leader."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None
        self._lock = threading.Lock()

    def is_leader(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        with self._lock:
            if self._connection is not None:
                return True
            connection = self.engine.connect()
            won = bool(
                connection.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK_KEY})
            )
            connection.commit()
            if won:
                self._connection = connection
            else:
                connection.close()
            return won

    def resign(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()  # closing the session releases the advisory lock
                self._connection = None


def slot_of(moment: datetime) -> str:
    """The schedule slot a run belongs to: its minute, in the centres' time zone."""
    return moment.astimezone(LONDON).replace(second=0, microsecond=0).isoformat()


def scheduled_sweep(
    engine: Engine, sessions: sessionmaker[Session], leadership: Leadership, now: datetime
) -> str:
    """Run the slot's sweep if this process leads and nobody claimed the slot; says what it did."""
    if not leadership.is_leader():
        return "not-leader"
    options = retention_sweep.SweepOptions(
        today=now.astimezone(LONDON).date(), trigger="schedule", slot=slot_of(now)
    )
    if retention_sweep.run(engine, sessions, options) is None:
        return "slot-taken"
    return "ran"


def cron_trigger(cron: str) -> CronTrigger:
    """A crontab line in the centres' time zone; six fields put seconds first (for drills)."""
    fields = cron.split()
    if len(fields) == 6:
        second, minute, hour, day, month, day_of_week = fields
        return CronTrigger(
            second=second,
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=day_of_week,
            timezone=LONDON,
        )
    return CronTrigger.from_crontab(cron, timezone=LONDON)


def start(engine: Engine, sessions: sessionmaker[Session], cron: str) -> tuple[Any, Leadership]:
    leadership = Leadership(engine)
    scheduler = BackgroundScheduler(timezone=LONDON, job_defaults=JOB_DEFAULTS)

    def job() -> None:
        try:
            outcome = scheduled_sweep(engine, sessions, leadership, datetime.now(LONDON))
            log.info("scheduled retention sweep: %s", outcome)
        except Exception:
            log.exception("scheduled retention sweep failed")

    scheduler.add_job(
        job,
        cron_trigger(cron),
        id="retention-sweep",
        replace_existing=True,
    )
    scheduler.start()
    return scheduler, leadership
