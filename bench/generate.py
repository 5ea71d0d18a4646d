"""Generate a PostgreSQL database for the retention benchmark.

    .venv/bin/python -m bench.generate [--db ccr_bench] [--scale 1.0] [--seed 20261128]

Drops and re-creates the database, migrates it to head (app.migrate.upgrade) and bulk-loads it
with COPY (foreign-key triggers off during the load; the data is consistent by construction),
then VACUUM ANALYZE. Deterministic for a seed, apart from the two Fernet tokens that stand in for
encrypted HR notes and documents (every other encrypted column is left NULL).

At scale 1.0: ~210,000 records due on `TODAY` across every rule (closed referrals with their
parties, pre-visits, sessions and attendance; ended and unused staff with DBS checks, HR notes
and documents; parental leave; finance records), as many live ones, people shared between due
and live referrals, a few people with no record at all, and some legal holds.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from cryptography.fernet import Fernet

from app import migrate

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TODAY = date(2026, 11, 28)  # the sweep's `today`: the due/live split below is relative to it
NOW = datetime(2026, 11, 28, 2, 30, tzinfo=UTC)
BENCH_KEY = b"YmVuY2gtb25seS1rZXktbm90LWEtc2VjcmV0LTAwMDA="  # a throwaway Fernet key

# Due records per type at scale 1.0 (live records: the same numbers again).
REFERRALS = 100_000
ENDED_STAFF = 25_000
UNUSED_STAFF = 5_000
PARENTAL_LEAVE = 20_000
FINANCE = 60_000
CENTRES = 4


def db_url(name: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


class Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def day(self, start: date, end: date) -> date:
        """A day in [start, end]."""
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


def years_before(years: int) -> date:
    return TODAY.replace(year=TODAY.year - years)


def build(seed: int, scale: float) -> dict[str, tuple[Sequence[str], list[tuple[Any, ...]]]]:
    g = Gen(seed)
    n = {
        k: int(v * scale)
        for k, v in {
            "ref": REFERRALS,
            "ended": ENDED_STAFF,
            "unused": UNUSED_STAFF,
            "pl": PARENTAL_LEAVE,
            "fin": FINANCE,
        }.items()
    }
    ts = NOW - timedelta(days=400)
    T: dict[str, tuple[Sequence[str], list[tuple[Any, ...]]]] = {}

    def table(name: str, columns: str) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        T[name] = (columns.split(), rows)
        return rows

    centre = table(
        "centre", "id version created_at updated_at name code year_end_month year_end_day"
    )
    centres = [g.uid() for _ in range(CENTRES)]
    for i, cid in enumerate(centres):
        centre.append((cid, 1, ts, ts, f"Bench centre {i}", f"BN{i}", 3, 31))

    person = table(
        "person",
        "id version created_at updated_at centre_id full_name "
        "date_of_birth processing_restricted objected do_not_disclose_address",
    )
    referral = table(
        "referral",
        "id version created_at updated_at centre_id reference source "
        "contact_type has_court_order cafcass_involved received_on status "
        "decision closed_on",
    )
    party = table("referral_party", "id centre_id referral_id person_id role created_at")
    pre_visit = table(
        "pre_visit",
        "id version created_at updated_at centre_id referral_id "
        "person_id visited_on ground_rules_explained ground_rules_signed "
        "risk_assessment_done child_prepared completed_by",
    )
    session = table(
        "contact_session",
        "id version created_at updated_at centre_id referral_id starts_at ends_at status",
    )
    attendance = table(
        "attendance", "id version created_at updated_at centre_id session_id person_id status"
    )
    holds = table(
        "legal_hold",
        "id centre_id record_type record_id person_id reason placed_by_id placed_at released_at",
    )

    def new_person(cid: uuid.UUID, adult: bool) -> uuid.UUID:
        pid = g.uid()
        born = (
            g.day(date(1970, 1, 1), date(2000, 1, 1))
            if adult
            else g.day(date(2008, 1, 1), date(2022, 1, 1))
        )
        person.append((pid, 1, ts, ts, cid, f"Person {len(person)}", born, False, False, False))
        return pid

    # People who never had a record: the sweep must leave them alone.
    for i in range(int(5_000 * scale)):
        new_person(centres[i % CENTRES], True)

    sources = [
        "self",
        "srs",
        "solicitor",
        "cafcass",
        "local_authority",
        "court",
        "mediator",
        "other",
    ]
    court_cutoff, no_court_cutoff = years_before(3), years_before(1)
    # Adults of live / due referrals per centre, for sharing people across referrals.
    live_adults: dict[uuid.UUID, list[uuid.UUID]] = {c: [] for c in centres}
    due_adults: dict[uuid.UUID, list[uuid.UUID]] = {c: [] for c in centres}
    due_refs: list[tuple[uuid.UUID, uuid.UUID]] = []
    due_ref_people: list[tuple[uuid.UUID, uuid.UUID]] = []
    for i in range(2 * n["ref"]):
        cid = centres[i % CENTRES]
        due = i % 2 == 0
        court = g.chance(0.4)
        has_order = court and g.chance(0.7)
        cafcass = court and not has_order or (court and g.chance(0.3))
        if due:
            status = "closed"
            closed = g.day(date(2015, 1, 1), (court_cutoff if court else no_court_cutoff))
        else:
            kind = g.rng.random()
            if kind < 0.5:
                status, closed = g.rng.choice(["received", "pre_visit", "active"]), None
            else:
                status = "closed"
                # Closed, but not yet due: inside its own rule's period.
                closed = g.day(
                    (court_cutoff if court else no_court_cutoff) + timedelta(days=1),
                    TODAY - timedelta(days=1),
                )
        received = (closed or TODAY) - timedelta(days=g.rng.randint(30, 700))
        rid = g.uid()
        referral.append(
            (
                rid,
                1,
                ts,
                ts,
                cid,
                f"BN-{i:08d}",
                g.rng.choice(sources),
                g.rng.choice(["supported", "supervised"]),
                has_order,
                cafcass,
                received,
                status,
                "accepted" if status in ("active", "closed") else None,
                closed,
            )
        )
        # Parties: two parents (sometimes one shared with another referral), often a child.
        adults = []
        for role in ("resident_parent", "non_resident_parent"):
            pool = live_adults[cid] if due else due_adults[cid]
            if role == "resident_parent" and pool and g.chance(0.15):
                pid = g.rng.choice(pool)  # shared between a due and a live referral
            elif role == "resident_parent" and due and due_adults[cid] and g.chance(0.05):
                pid = g.rng.choice(due_adults[cid])  # shared by two due referrals
            else:
                pid = new_person(cid, True)
            adults.append(pid)
            party.append((g.uid(), cid, rid, pid, role, ts))
        (due_adults if due else live_adults)[cid].extend(adults)
        people = list(adults)
        if g.chance(0.6):
            child = new_person(cid, False)
            party.append((g.uid(), cid, rid, child, "child", ts))
            people.append(child)
        if due:
            due_refs.append((rid, cid))
            due_ref_people.extend((pid, cid) for pid in people)
        if status in ("received",):
            continue
        for pid in adults:
            pre_visit.append(
                (
                    g.uid(),
                    1,
                    ts,
                    ts,
                    cid,
                    rid,
                    pid,
                    received + timedelta(days=7),
                    True,
                    True,
                    True,
                    False,
                    "Bench volunteer",
                )
            )
        if status in ("active", "closed"):
            for s in range(g.rng.randint(0, 4)):
                start = datetime.combine(
                    received + timedelta(days=14 + 7 * s), datetime.min.time(), UTC
                ) + timedelta(hours=10)
                sid = g.uid()
                session.append(
                    (sid, 1, ts, ts, cid, rid, start, start + timedelta(hours=2), "held")
                )
                for pid in people[:2] if len(people) < 3 or g.chance(0.5) else people:
                    attendance.append((g.uid(), 1, ts, ts, cid, sid, pid, "attended"))

    # Staff: ended (HR file clock), never started and unused, and live ones.
    staff = table(
        "staff_member",
        "id version created_at updated_at centre_id full_name "
        "engagement started_on ended_on last_used_on",
    )
    hr = table(
        "hr_file_entry",
        "id version created_at updated_at centre_id staff_member_id "
        "title note document_id created_by_id",
    )
    document = table(
        "document",
        "id version created_at updated_at centre_id staff_member_id "
        "kind filename content_type size sha256 content uploaded_by_id",
    )
    dbs = table(
        "dbs_check",
        "id version created_at updated_at centre_id staff_member_id "
        "certificate_issued_on certificate_number vetting_decision outcome",
    )
    leave = table(
        "parental_leave",
        "id version created_at updated_at centre_id "
        "staff_member_id child_birth_or_adoption_on disability_allowance starts_on "
        "ends_on",
    )
    fernet = Fernet(BENCH_KEY)
    # Fixed time and IV: deterministic tokens (the bench only needs valid, non-NULL ciphertext).
    note_token = fernet._encrypt_from_parts(b"Supervision: all well", 0, bytes(16))
    doc_token = fernet._encrypt_from_parts(b"%PDF-1.4 bench", 0, bytes(16))
    hr_cutoff, unused_cutoff = years_before(6), years_before(3)
    staff_ids: dict[str, list[tuple[uuid.UUID, uuid.UUID]]] = {"due": [], "live": []}
    plan = ["ended"] * n["ended"] + ["unused"] * n["unused"] + ["live"] * (n["ended"] + n["unused"])
    g.rng.shuffle(plan)
    for i, kind in enumerate(plan):
        cid = centres[i % CENTRES]
        sid = g.uid()
        ended: date | None
        if kind == "ended":
            ended = g.day(date(2010, 1, 1), hr_cutoff)
            used = ended
        elif kind == "unused":
            ended, used = None, g.day(date(2015, 1, 1), unused_cutoff)
        elif g.chance(0.3):
            ended = g.day(hr_cutoff + timedelta(days=1), TODAY)
            used = ended
        else:
            ended, used = None, g.day(unused_cutoff + timedelta(days=1), TODAY)
        staff_ids["live" if kind == "live" else "due"].append((sid, cid))
        started = (ended or used) - timedelta(days=g.rng.randint(200, 3000))
        if kind == "unused":
            # `staff_unused` is for applicants or volunteers who never started (their start
            # date is still ahead): current staff are never due (DESIGN §4).
            started = TODAY + timedelta(days=g.rng.randint(30, 400))
        staff.append(
            (
                sid,
                1,
                ts,
                ts,
                cid,
                f"Staff {i}",
                g.rng.choice(["paid", "volunteer"]),
                started,
                ended,
                used,
            )
        )
        dbs.append(
            (g.uid(), 1, ts, ts, cid, sid, started, f"{i + 1:012d}", "suitable", "appointed")
        )
        for _ in range(g.rng.randint(1, 2)):
            hr.append((g.uid(), 1, ts, ts, cid, sid, "Supervision", note_token, None, g.uid()))
        if g.chance(0.3):
            did = g.uid()
            document.append(
                (
                    did,
                    1,
                    ts,
                    ts,
                    cid,
                    sid,
                    "hr",
                    "contract.pdf",
                    "application/pdf",
                    14,
                    "0" * 64,
                    doc_token,
                    g.uid(),
                )
            )
            hr.append((g.uid(), 1, ts, ts, cid, sid, "Contract", None, did, g.uid()))

    # Parental leave: due ones (some of due staff: they wait for it; some of live staff), live
    # ones (some with a disability allowance, which keep an ended staff member waiting).
    pl_cutoff, pld_cutoff = years_before(5), years_before(18)
    for i in range(2 * n["pl"]):
        due = i % 2 == 0
        owners = (
            staff_ids["due"]
            if (due and g.chance(0.5)) or (not due and g.chance(0.1))
            else staff_ids["live"]
        )
        sid, cid = g.rng.choice(owners)
        disability = g.chance(0.2)
        if due:
            born = (
                g.day(date(2000, 1, 1), pld_cutoff)
                if disability
                else g.day(date(2012, 1, 1), pl_cutoff)
            )
        else:
            born = (
                g.day(pld_cutoff + timedelta(days=1), TODAY)
                if disability
                else g.day(pl_cutoff + timedelta(days=1), TODAY)
            )
        leave.append(
            (g.uid(), 1, ts, ts, cid, sid, born, disability, born, born + timedelta(days=180))
        )

    finance = table(
        "finance_record",
        "id version created_at updated_at centre_id reference "
        "amount_pence transaction_on year_end_month year_end_day first_year_end_on "
        "last_year_end_on hmrc_enquiry_open",
    )
    fin_cutoff = years_before(6)
    for i in range(2 * n["fin"]):
        cid = centres[i % CENTRES]
        due = i % 2 == 0
        if due:
            year_end = date(g.rng.randint(2010, fin_cutoff.year - 1), 3, 31)
            enquiry = False
        else:
            enquiry = g.chance(0.1)
            year_end = (
                date(g.rng.randint(2010, 2026), 3, 31)
                if enquiry
                else date(g.rng.randint(fin_cutoff.year + 1, 2027), 3, 31)
            )
        finance.append(
            (
                g.uid(),
                1,
                ts,
                ts,
                cid,
                f"INV-{i:08d}",
                g.rng.randint(100, 500_000),
                year_end - timedelta(days=g.rng.randint(1, 360)),
                3,
                31,
                year_end,
                year_end,
                enquiry,
            )
        )

    # Legal holds: active ones on due records and people (kept by both sweeps), released ones.
    staff_due = staff_ids["due"]
    fin_due = [(r[0], r[4]) for r in finance[::2]]
    for _ in range(max(1, int(50 * scale))):
        for rtype, pool in (
            ("referral", due_refs),
            ("staff_member", staff_due),
            ("finance_record", fin_due),
        ):
            rid, cid = g.rng.choice(pool)
            holds.append((g.uid(), cid, rtype, rid, None, "bench hold", g.uid(), NOW, None))
        pid, cid = g.rng.choice(due_ref_people)
        holds.append((g.uid(), cid, None, None, pid, "bench hold", g.uid(), NOW, None))
        rid, cid = g.rng.choice(due_refs)
        holds.append((g.uid(), cid, "referral", rid, None, "released", g.uid(), NOW, NOW))
    return T


# Load order: parents before children (FK triggers are off, but keep it readable).
ORDER = [
    "centre",
    "person",
    "referral",
    "referral_party",
    "pre_visit",
    "contact_session",
    "attendance",
    "staff_member",
    "document",
    "hr_file_entry",
    "dbs_check",
    "parental_leave",
    "finance_record",
    "legal_hold",
]


def copy_rows(
    conn: psycopg.Connection, name: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def recreate(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="ccr_bench", help="database to (re)create")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: ~210,000 due records")
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    recreate(args.db)
    migrate.upgrade(db_url(args.db))
    print(f"created and migrated {args.db} in {time.perf_counter() - started:.1f}s")

    t = time.perf_counter()
    tables = build(args.seed, args.scale)
    print(f"built rows in {time.perf_counter() - t:.1f}s")
    t = time.perf_counter()
    with psycopg.connect(db_url(args.db)) as conn:
        conn.execute("SET session_replication_role = replica")
        for name in ORDER:
            columns, rows = tables[name]
            copy_rows(conn, name, columns, rows)
            print(f"  {name:16} {len(rows):>9,}")
        conn.commit()
    print(f"loaded in {time.perf_counter() - t:.1f}s")
    t = time.perf_counter()
    with psycopg.connect(db_url(args.db), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(
        f"vacuum analyze in {time.perf_counter() - t:.1f}s; "
        f"total {time.perf_counter() - started:.1f}s"
    )


if __name__ == "__main__":
    main()
