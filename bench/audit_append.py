"""Audited transactions per second on PostgreSQL: the append as it is (one INSERT, no lock)
against the append as it was before migration 1340 (a global advisory lock held through COMMIT,
a read of the last row, then the INSERT). Each transaction is what an audited read does at its
end: the audit row, then COMMIT. Run on purpose:

    .venv/bin/python -m bench.audit_append --threads 1 8 32 --seconds 10

Creates and drops its own database (`ccr_bench_audit`) on CCR_TEST_PG_URL's server.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import migrate
from app.audit import service as audit_service
from app.audit.models import AuditEvent
from app.db import make_engine, make_sessionmaker

ADMIN_URL = os.environ.get(
    "CCR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
NAME = "ccr_bench_audit"
OLD_LOCK_KEY = 0x63637261


def _entry() -> list[audit_service.AuditEntry]:
    return [audit_service.AuditEntry(action="referrals_list", resource_type="referrals")]


def append_now(session: Session) -> None:
    audit_service.append(session, _entry())


def append_as_before(session: Session) -> None:
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": OLD_LOCK_KEY})
    session.execute(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)).first()
    audit_service.append(session, _entry())


def run(engine: Engine, append: Callable[[Session], None], threads: int, seconds: float) -> float:
    sessions = make_sessionmaker(engine)
    counts = [0] * threads
    stop = time.monotonic() + seconds

    def worker(n: int) -> None:
        while time.monotonic() < stop:
            with sessions() as session:
                append(session)
                session.commit()
            counts[n] += 1

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(counts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{NAME}"'))
    url = make_url(ADMIN_URL).set(database=NAME).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        print("threads  before (lock+read+insert) tx/s  now (insert) tx/s  ratio")
        for threads in args.threads:
            engine = make_engine(url, pool_size=threads, max_overflow=0)
            try:
                before = run(engine, append_as_before, threads, args.seconds)
                now = run(engine, append_now, threads, args.seconds)
            finally:
                engine.dispose()
            print(f"{threads:7d}  {before:31.0f}  {now:17.0f}  {now / before:5.2f}")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
