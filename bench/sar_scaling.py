"""How the access package scales: 1k and 10k records linked to one subject, and 10k again with
the database grown ten times around them.

    .venv/bin/python -m bench.sar_scaling [--db ccr_bench_sar] [--repeat 3]

Drops and re-creates a PostgreSQL database, migrates it (app.migrate.upgrade) and loads it
through the ORM (so encrypted columns are encrypted as in production). A unit of ten linked
records is one referral (the subject, the other parent and a child as parties), seven held
sessions with notes that name the other parent in several forms (the subject attends each), the
subject's pre-visit and a complaint by the subject. The 1k subject has 100 units, the 10k
subject 1,000, each unit with its own other parent (so the Redactor hides ~1,000 people).
"Grown 10x" then adds nine times as many units of other families around them.

"Package time" is what a download of the draft costs: `build_access` (gather, redact, retention
blocks) plus rendering JSON, CSV and HTML; the median of `--repeat` runs, each in a fresh
session. Targets (issue 12): 10k ≤ 2 s, and ≤ 12 × the 1k time.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from app import migrate
from app.attendance.models import Attendance, ContactSession
from app.centres.models import Centre
from app.complaints.models import Complaint
from app.people.models import Person
from app.referrals.models import PreVisit, Referral, ReferralParty
from app.security.encryption import keyring
from app.subject_requests import package as packages
from app.subject_requests import release
from app.subject_requests.models import SubjectRequest

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
START = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)
BENCH_KEY = "YmVuY2gtb25seS1rZXktbm90LWEtc2VjcmV0LTAwMDA="  # a throwaway Fernet key
RECORDS_PER_UNIT = 10  # 1 referral + 7 sessions + 1 pre-visit + 1 complaint


def db_url(name: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def recreate(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def add_units(session: Session, centre: Centre, subject: Person, units: int, tag: str) -> None:
    """The units, written table by table in batches (no ORM relationships order the inserts)."""
    tables: dict[str, list[object]] = {}

    def add(name: str, record: object) -> None:
        tables.setdefault(name, []).append(record)

    def write() -> None:
        for name in ("person", "referral", "party", "pre_visit", "session", "attendance", "other"):
            session.add_all(tables.pop(name, []))
            session.flush()
        session.commit()

    for u in range(units):
        other = Person(
            id=uuid.uuid4(),
            centre_id=centre.id,
            full_name=f"Other{tag}x{u} Parent{tag}x{u}",
            email=f"other.{tag}.{u}@example.net",
            phone=f"07700 9{u % 100000:05d}",
            date_of_birth=date(1980, 1, 1) + timedelta(days=u % 5000),
            address=f"{u % 300 + 1} Bench{tag}x{u} Road, Ely CB7 4AA",
        )
        child = Person(
            id=uuid.uuid4(),
            centre_id=centre.id,
            full_name=f"Child{tag}x{u} Parent{tag}x{u}",
            date_of_birth=date(2018, 1, 1),
        )
        add("person", other)
        add("person", child)
        referral = Referral(
            id=uuid.uuid4(),
            centre_id=centre.id,
            reference=f"{centre.code}-2025-{tag}{u}",
            source="court",
            contact_type="supervised",
            has_court_order=True,
            cafcass_involved=False,
            received_on=date(2025, 1, 2),
            status="active",
            decision="accepted",
        )
        add("referral", referral)
        for person, role in (
            (subject, "resident_parent"),
            (other, "non_resident_parent"),
            (child, "child"),
        ):
            add(
                "party",
                ReferralParty(
                    centre_id=centre.id, referral_id=referral.id, person_id=person.id, role=role
                ),
            )
        add(
            "pre_visit",
            PreVisit(
                centre_id=centre.id,
                referral_id=referral.id,
                person_id=subject.id,
                visited_on=date(2025, 1, 3),
                concerns=f"Worried {other.full_name} will be late",
                completed_by="Centre Coordinator",
            ),
        )
        for s in range(7):
            contact = ContactSession(
                id=uuid.uuid4(),
                centre_id=centre.id,
                referral_id=referral.id,
                starts_at=START + timedelta(days=7 * s, minutes=u),
                ends_at=START + timedelta(days=7 * s, minutes=u + 60),
                status="held",
                notes=(
                    f"{child.full_name} played. Mr Parent{tag}x{u} (call {other.phone} or "
                    f"+44 {other.phone[1:]}) said he lives at {other.address}; "
                    f"{subject.full_name} was calm."
                ),
            )
            add("session", contact)
            add(
                "attendance",
                Attendance(
                    centre_id=centre.id,
                    session_id=contact.id,
                    person_id=subject.id,
                    status="attended",
                ),
            )
        add(
            "other",
            Complaint(
                centre_id=centre.id,
                about="centre",
                kind="formal",
                channel="written",
                complainant_id=subject.id,
                summary=f"{other.full_name} was allowed in early ({other.email})",
                received_on=date(2025, 2, 1),
                status="received",
            ),
        )
        if u % 200 == 199:
            write()
    write()


def new_subject(session: Session, centre: Centre, name: str) -> Person:
    subject = Person(
        centre_id=centre.id,
        full_name=name,
        email=f"{name.split()[0].lower()}@example.org",
        phone="07700 900111",
        date_of_birth=date(1990, 3, 4),
        address="1 Mill Road, Cambridge CB1 2AB",
    )
    session.add(subject)
    session.commit()
    return subject


def access_request(session: Session, subject: Person) -> uuid.UUID:
    request = SubjectRequest(
        centre_id=subject.centre_id,
        subject_id=subject.id,
        kind="access",
        status="in_progress",
        requester="subject",
        channel="email",
        received_on=date(2026, 11, 2),
        identity_verified_on=date(2026, 11, 2),
        due_on=date(2026, 12, 2),
    )
    session.add(request)
    session.commit()
    return request.id


def package_time(
    sessions: sessionmaker[Session], request_id: uuid.UUID, repeat: int
) -> tuple[float, float]:
    """Median (wall seconds, this process's CPU seconds) of building and rendering the package.
    CPU time leaves out waiting for the database and for other processes on a shared machine."""
    walls, cpus = [], []
    for _ in range(repeat):
        with sessions() as session:
            request = session.get(SubjectRequest, request_id)
            assert request is not None
            wall, cpu = time.perf_counter(), time.process_time()
            built = packages.build_access(session, request)
            files = release.render(built.package)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            assert files["package.json"]
    return statistics.median(walls), statistics.median(cpus)


def report(label: str, measured: tuple[float, float], base: tuple[float, float] | None) -> None:
    wall, cpu = measured
    line = f"{label}: {wall:.3f} s wall, {cpu:.3f} s CPU"
    if base:
        line += f"  (ratio: {wall / base[0]:.2f}x wall, {cpu / base[1]:.2f}x CPU)"
    print(line)


def request_of(sessions: sessionmaker[Session], name: str) -> uuid.UUID:
    with sessions() as session:
        subject = session.scalar(select(Person.id).where(Person.full_name == name))
        found = session.scalar(
            select(SubjectRequest.id).where(SubjectRequest.subject_id == subject)
        )
        assert found is not None, f"no request of {name}: run without --reuse first"
        return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="ccr_bench_sar")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database a previous run left (grown)"
    )
    args = parser.parse_args(argv)
    keyring.configure([BENCH_KEY])
    if args.reuse:
        engine = create_engine(db_url(args.db))
        sessions = sessionmaker(engine, expire_on_commit=False)
        t1k = package_time(sessions, request_of(sessions, "Sally Small"), args.repeat)
        report("1k linked records, DB grown", t1k, None)
        t10k = package_time(sessions, request_of(sessions, "Linda Large"), args.repeat)
        report("10k linked records, DB grown", t10k, t1k)
        return

    recreate(args.db)
    migrate.upgrade(db_url(args.db))
    engine = create_engine(db_url(args.db))
    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions() as session:
        centre = Centre(name="Bench centre", code="BS")
        session.add(centre)
        session.commit()
        small = new_subject(session, centre, "Sally Small")
        large = new_subject(session, centre, "Linda Large")
        started = time.perf_counter()
        add_units(session, centre, small, 100, "s")
        add_units(session, centre, large, 1000, "l")
        print(f"loaded 1k + 10k linked records in {time.perf_counter() - started:.0f} s")
        small_request = access_request(session, small)
        large_request = access_request(session, large)
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")

    t1k = package_time(sessions, small_request, args.repeat)
    report("1k linked records", t1k, None)
    t10k = package_time(sessions, large_request, args.repeat)
    report("10k linked records", t10k, t1k)

    with sessions() as session:
        centre = session.get(Centre, centre.id)
        assert centre is not None
        started = time.perf_counter()
        for f in range(9):
            around = new_subject(session, centre, f"Fiona Family{f}")
            add_units(session, centre, around, 1100, f"f{f}")
        print(f"grew the database 10x in {time.perf_counter() - started:.0f} s")
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    grown = package_time(sessions, large_request, args.repeat)
    report("10k linked records, DB grown 10x", grown, t10k)
    target = "met" if t10k[0] <= 2.0 and t10k[0] / t1k[0] <= 12 else "NOT met"
    print(f"targets (10k <= 2 s and <= 12x the 1k time): {target}")
    engine.dispose()


if __name__ == "__main__":
    main()
