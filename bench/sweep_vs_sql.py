"""Time the retention sweep against a hand-written set-based SQL deletion of the same rows.

    .venv/bin/python -m bench.sweep_vs_sql [--db ccr_bench] [--batch-sizes 500,2000,5000]

The generated database (bench.generate) is left untouched and used as a template: every timed
run gets its own copy made with `CREATE DATABASE ... TEMPLATE` (nothing else may be connected to
the template meanwhile), so each batch size and the SQL start from identical data:

1. `<db>_sql`: a hand-written deletion in one transaction — the same due criteria per rule
   (the same cut-off dates, holds, the staff member waiting for their parental leave), the same
   attachments, the same orphaned people, and the same disposal-log rows (record type and id,
   rule, trigger and due dates, centre, facts) — in a few big statements.
2. `<db>_sweep`, once per batch size: `app.retention.sweep.run(...)`, with disposed rows
   counted from the disposal table.
3. Checks that every run ends with the same rows: per-table counts and a digest of the ids left,
   and the same disposal log (record, rule, dates, centre, facts) — except `facts.attachments`,
   which only the SQL writes (per record; see bench/README.md).
4. Prints rows/s and the ratio (sweep throughput / SQL throughput, i.e. SQL seconds / sweep
   seconds) and writes bench/results/sweep_vs_sql-<timestamp>.json (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
from cryptography.fernet import Fernet

import app.models  # noqa: F401  (every table: the engine finds person references from them)
from app.db import make_engine, make_sessionmaker
from app.kit.calendar import due_cutoff
from app.retention import sweep as retention_sweep
from app.security.encryption import keyring
from bench.generate import ADMIN_URL, TODAY, db_url

RESULTS = Path(__file__).resolve().parent / "results"
# The sweep's throughput as a share of the hand-written SQL's (issue 17; 0.5 before it).
TARGET = 0.8
# Tables whose rows the sweep may delete: compared by count and by a digest of their ids.
RECORD_TABLES = [
    "person",
    "referral",
    "referral_party",
    "pre_visit",
    "contact_session",
    "attendance",
    "staff_member",
    "hr_file_entry",
    "document",
    "dbs_check",
    "parental_leave",
    "finance_record",
    "legal_hold",
]


# --- databases ------------------------------------------------------------------------------


def copy_database(template: str, target: str) -> float:
    started = time.perf_counter()
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{target}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    return time.perf_counter() - started


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Not compared: the sweep announces its completion in the webhook outbox (one row), the SQL
# has nothing to announce.
NOT_COMPARED = {"webhook_event"}


def table_counts(name: str) -> dict[str, int]:
    with psycopg.connect(db_url(name)) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
            if row[0] not in NOT_COMPARED
        ]
        return {t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables}


def fingerprint(name: str) -> dict[str, Any]:
    """What must be identical after both deletions: the ids left in every record table, and
    the disposal log without its generated ids, timestamps and `facts.attachments`."""
    result: dict[str, Any] = {}
    with psycopg.connect(db_url(name)) as conn:
        for table in RECORD_TABLES:
            result[table] = conn.execute(
                f"SELECT md5(coalesce(string_agg(id::text, ',' ORDER BY id), '')) FROM {table}"
            ).fetchone()[0]
        result["disposal_log"] = conn.execute(
            """
            SELECT md5(coalesce(string_agg(
                concat_ws('|', record_type, record_id, rule_key, trigger_on, due_on, centre_id,
                          (facts::jsonb - 'attachments')::text),
                ',' ORDER BY record_type, record_id), ''))
            FROM disposal
            """
        ).fetchone()[0]
        result["disposal_by_type"] = dict(
            conn.execute(
                "SELECT record_type, count(*) FROM disposal GROUP BY 1 ORDER BY 1"
            ).fetchall()
        )
        result["disposal_by_rule"] = dict(
            conn.execute("SELECT rule_key, count(*) FROM disposal GROUP BY 1 ORDER BY 1").fetchall()
        )
    return result


def attachments_mismatch(sweep_db: str, sql_db: str) -> int:
    """Disposal rows whose `facts.attachments` differ from the per-record counts of the SQL."""
    with psycopg.connect(db_url(sql_db)) as conn:
        per_record = {
            (t, str(i)): a
            for t, i, a in conn.execute(
                "SELECT record_type, record_id, facts::jsonb -> 'attachments' FROM disposal"
                " WHERE record_type <> 'person'"
            )
        }
    with psycopg.connect(db_url(sweep_db)) as conn:
        return sum(
            1
            for t, i, a in conn.execute(
                "SELECT record_type, record_id, facts::jsonb -> 'attachments' FROM disposal"
                " WHERE record_type <> 'person'"
            )
            if per_record.get((t, str(i))) != a
        )


# --- the hand-written SQL -------------------------------------------------------------------

# Referral facts as the engine writes them (dates to the month), plus per-record attachments.
HAND_WRITTEN_SQL = """
INSERT INTO retention_sweep (id, trigger, dry_run, as_of, status, started_at, finished_at,
                             counts, batches)
VALUES (%(sweep)s, 'bench', false, %(today)s, 'completed', now(), now(), '{}', 1);

-- People whose records are not disposed of: held, restricted (UK GDPR Art 18(1)(c)), or the
-- subject of an open access or portability request.
CREATE TEMP TABLE frozen ON COMMIT DROP AS
    SELECT person_id FROM legal_hold WHERE released_at IS NULL AND person_id IS NOT NULL
    UNION SELECT id FROM person WHERE processing_restricted
    UNION SELECT subject_id FROM subject_request
          WHERE kind IN ('access', 'portability')
            AND status IN ('received', 'awaiting_identity', 'awaiting_clarification',
                           'in_progress');
CREATE TEMP TABLE held ON COMMIT DROP AS
    SELECT DISTINCT record_type, record_id FROM legal_hold
    WHERE released_at IS NULL AND record_id IS NOT NULL;

-- Referrals: closed, past their rule's period, not held, no linked person held.
CREATE TEMP TABLE due_ref ON COMMIT DROP AS
SELECT r.id, r.centre_id, r.closed_on AS trigger_on, c.court,
       CASE WHEN c.court THEN 'referral_court' ELSE 'referral_no_court' END AS rule_key,
       (r.closed_on + make_interval(months => CASE WHEN c.court THEN 36 ELSE 12 END))::date
           AS due_on,
       json_build_object('source', r.source, 'contact_type', r.contact_type, 'court', c.court,
                         'decision', r.decision, 'status', r.status,
                         'received_on', to_char(r.received_on, 'YYYY-MM'),
                         'sessions_held', st.sessions_held,
                         'attendance_attended', st.attended, 'attendance_absent', st.absent,
                         'attendance_late', st.late,
                         'absences_illness', st.illness, 'absences_transport', st.transport,
                         'absences_child_unwilling', st.child_unwilling,
                         'absences_no_show', st.no_show,
                         'absences_cancelled_by_family', st.cancelled_by_family,
                         'absences_other', st.other, 'objected', st.objected) AS facts
FROM referral r
CROSS JOIN LATERAL (SELECT (r.has_court_order OR r.cafcass_involved) AS court) c
-- The statistics facts (app.retention.sources.referral_statistics), per referral.
CROSS JOIN LATERAL (
    SELECT (SELECT count(*) FROM contact_session s
            WHERE s.referral_id = r.id AND s.status = 'held') AS sessions_held,
           count(*) FILTER (WHERE a.status = 'attended') AS attended,
           count(*) FILTER (WHERE a.status = 'absent') AS absent,
           count(*) FILTER (WHERE a.status = 'late') AS late,
           count(*) FILTER (WHERE a.status = 'absent' AND a.absence_reason = 'illness')
               AS illness,
           count(*) FILTER (WHERE a.status = 'absent' AND a.absence_reason = 'transport')
               AS transport,
           count(*) FILTER (WHERE a.status = 'absent' AND a.absence_reason = 'child_unwilling')
               AS child_unwilling,
           count(*) FILTER (WHERE a.status = 'absent' AND a.absence_reason = 'no_show')
               AS no_show,
           count(*) FILTER (WHERE a.status = 'absent'
                            AND a.absence_reason = 'cancelled_by_family') AS cancelled_by_family,
           count(*) FILTER (WHERE a.status = 'absent' AND a.absence_reason = 'other') AS other,
           (EXISTS (SELECT FROM referral_party p JOIN person x ON x.id = p.person_id
                    WHERE p.referral_id = r.id AND x.objected)
            OR EXISTS (SELECT FROM pre_visit v JOIN person x ON x.id = v.person_id
                       WHERE v.referral_id = r.id AND x.objected)
            OR EXISTS (SELECT FROM attendance a2 JOIN contact_session s2 ON s2.id = a2.session_id
                       JOIN person x ON x.id = a2.person_id
                       WHERE s2.referral_id = r.id AND x.objected)) AS objected
    FROM attendance a JOIN contact_session s ON s.id = a.session_id
    WHERE s.referral_id = r.id
) st
WHERE r.closed_on IS NOT NULL
  AND r.closed_on <= CASE WHEN c.court THEN %(referral_court)s::date
                          ELSE %(referral_no_court)s::date END
  AND NOT EXISTS (SELECT FROM held h WHERE h.record_type = 'referral' AND h.record_id = r.id)
  AND NOT EXISTS (SELECT FROM referral_party p JOIN frozen f USING (person_id)
                  WHERE p.referral_id = r.id)
  AND NOT EXISTS (SELECT FROM pre_visit v JOIN frozen f USING (person_id)
                  WHERE v.referral_id = r.id)
  AND NOT EXISTS (SELECT FROM attendance a JOIN contact_session s ON s.id = a.session_id
                  JOIN frozen f ON f.person_id = a.person_id WHERE s.referral_id = r.id);
ALTER TABLE due_ref ADD PRIMARY KEY (id);
ANALYZE due_ref;

-- Safeguarding paperwork outlives them: it loses only its link (with a kept session's
-- attendance); so do disclosures on the safeguarding basis or linked to an incident.
UPDATE pre_visit v SET referral_id = NULL FROM due_ref r
WHERE v.referral_id = r.id AND v.safeguarding;
UPDATE contact_session s SET referral_id = NULL FROM due_ref r
WHERE s.referral_id = r.id AND s.safeguarding;
UPDATE document x SET referral_id = NULL FROM due_ref r
WHERE x.referral_id = r.id AND x.safeguarding;
CREATE TEMP TABLE due_ref_disclosure ON COMMIT DROP AS
SELECT d.id, d.referral_id FROM disclosure d JOIN due_ref r ON r.id = d.referral_id
WHERE d.incident_id IS NULL AND d.lawful_basis <> 'safeguarding';
UPDATE disclosure d SET referral_id = NULL FROM due_ref r
WHERE d.referral_id = r.id AND d.id NOT IN (SELECT id FROM due_ref_disclosure);

-- Their attachments, remembering which people they named and how many rows each had.
CREATE TEMP TABLE gone (referral_id uuid, kind text, person_id uuid) ON COMMIT DROP;
WITH d AS (DELETE FROM disclosure_person p USING due_ref_disclosure x
           WHERE p.disclosure_id = x.id RETURNING x.referral_id, p.person_id)
INSERT INTO gone SELECT referral_id, 'disclosure_person', person_id FROM d;
DELETE FROM disclosure d USING due_ref_disclosure x WHERE d.id = x.id;
WITH d AS (DELETE FROM attendance a USING contact_session s, due_ref r
           WHERE a.session_id = s.id AND s.referral_id = r.id
           RETURNING s.referral_id, a.person_id)
INSERT INTO gone SELECT referral_id, 'attendance', person_id FROM d;
WITH d AS (DELETE FROM contact_session s USING due_ref r WHERE s.referral_id = r.id
           RETURNING s.referral_id)
INSERT INTO gone SELECT referral_id, 'contact_session', NULL FROM d;
WITH d AS (DELETE FROM pre_visit v USING due_ref r WHERE v.referral_id = r.id
           RETURNING v.referral_id, v.person_id)
INSERT INTO gone SELECT referral_id, 'pre_visit', person_id FROM d;
WITH d AS (DELETE FROM referral_party p USING due_ref r WHERE p.referral_id = r.id
           RETURNING p.referral_id, p.person_id)
INSERT INTO gone SELECT referral_id, 'referral_party', person_id FROM d;
DELETE FROM document x USING due_ref r WHERE x.referral_id = r.id;
UPDATE incident i SET referral_id = NULL FROM due_ref r WHERE i.referral_id = r.id;
DELETE FROM referral x USING due_ref r WHERE x.id = r.id;

INSERT INTO disposal (id, sweep_id, centre_id, record_type, record_id, rule_key, trigger_on,
                      due_on, disposed_at, facts)
SELECT gen_random_uuid(), %(sweep)s, r.centre_id, 'referral', r.id, r.rule_key, r.trigger_on,
       r.due_on, now(),
       (r.facts::jsonb || jsonb_build_object('attachments', coalesce(k.attachments, '{}')))::json
FROM due_ref r
LEFT JOIN (SELECT referral_id, jsonb_object_agg(kind, n) AS attachments
           FROM (SELECT referral_id, kind, count(*) AS n FROM gone GROUP BY 1, 2) c
           GROUP BY referral_id) k ON k.referral_id = r.id;
ANALYZE gone;

-- People no remaining record refers to, logged under the rule of the last record that needed
-- them (the engine does the court rule first, so a person of both goes with the other one).
CREATE TEMP TABLE orphan ON COMMIT DROP AS
SELECT c.person_id, p.centre_id, c.rule_key
FROM (SELECT g.person_id,
             CASE WHEN bool_or(NOT r.court) THEN 'referral_no_court' ELSE 'referral_court' END
                 AS rule_key
      FROM gone g JOIN due_ref r ON r.id = g.referral_id
      WHERE g.person_id IS NOT NULL
      GROUP BY g.person_id) c
JOIN person p ON p.id = c.person_id
WHERE c.person_id NOT IN (SELECT person_id FROM frozen)
  AND NOT EXISTS (SELECT FROM referral_party x WHERE x.person_id = c.person_id)
  AND NOT EXISTS (SELECT FROM pre_visit x WHERE x.person_id = c.person_id)
  AND NOT EXISTS (SELECT FROM attendance x WHERE x.person_id = c.person_id)
  AND NOT EXISTS (SELECT FROM incident x WHERE x.child_id = c.person_id)
  AND NOT EXISTS (SELECT FROM complaint x WHERE x.complainant_id = c.person_id)
  AND NOT EXISTS (SELECT FROM disclosure_person x WHERE x.person_id = c.person_id)
  AND NOT EXISTS (SELECT FROM subject_request x WHERE x.subject_id = c.person_id)
  AND NOT EXISTS (SELECT FROM third_party_decision x WHERE x.person_id = c.person_id);
DELETE FROM person p USING orphan o WHERE p.id = o.person_id;
INSERT INTO disposal (id, sweep_id, centre_id, record_type, record_id, rule_key, trigger_on,
                      due_on, disposed_at, facts)
SELECT gen_random_uuid(), %(sweep)s, centre_id, 'person', person_id, rule_key, NULL, NULL, now(),
       '{}'::json
FROM orphan;

-- Parental leave (before staff: a staff member waits for their leave records); never while
-- the staff member is current (started, not ended).
WITH d AS (
    DELETE FROM parental_leave l
    WHERE l.child_birth_or_adoption_on <= CASE WHEN l.disability_allowance
              THEN %(parental_leave_disability)s::date ELSE %(parental_leave)s::date END
      AND EXISTS (SELECT FROM staff_member s WHERE s.id = l.staff_member_id
                  AND ((s.ended_on IS NOT NULL AND s.ended_on <= %(today)s::date)
                       OR s.started_on > %(today)s::date))
      AND NOT EXISTS (SELECT FROM held h WHERE h.record_type = 'parental_leave'
                      AND h.record_id = l.id)
      -- A hold on the staff member covers their leave records (PARENTAL_LEAVE.held_through).
      AND NOT EXISTS (SELECT FROM held h WHERE h.record_type = 'staff_member'
                      AND h.record_id = l.staff_member_id)
    RETURNING l.id, l.centre_id, l.child_birth_or_adoption_on AS trigger_on,
              l.disability_allowance AS disability
)
INSERT INTO disposal (id, sweep_id, centre_id, record_type, record_id, rule_key, trigger_on,
                      due_on, disposed_at, facts)
SELECT gen_random_uuid(), %(sweep)s, centre_id, 'parental_leave', id,
       CASE WHEN disability THEN 'parental_leave_disability' ELSE 'parental_leave' END,
       trigger_on,
       (trigger_on + make_interval(months => CASE WHEN disability THEN 216 ELSE 60 END))::date,
       now(), json_build_object('disability_allowance', disability, 'attachments', '{}'::json)
FROM d;

-- Staff: ended six years ago, or never started (start still ahead) and unused for three; no
-- leave record left. Current staff are never due.
CREATE TEMP TABLE due_staff ON COMMIT DROP AS
SELECT s.id, s.centre_id,
       CASE WHEN s.ended_on IS NOT NULL THEN 'hr_file' ELSE 'staff_unused' END AS rule_key,
       coalesce(s.ended_on, s.last_used_on) AS trigger_on,
       (coalesce(s.ended_on, s.last_used_on)
           + make_interval(months => CASE WHEN s.ended_on IS NOT NULL THEN 72 ELSE 36 END))::date
           AS due_on,
       s.engagement, to_char(s.started_on, 'YYYY-MM') AS started_on
FROM staff_member s
WHERE ((s.ended_on IS NOT NULL AND s.ended_on <= %(hr_file)s::date)
       OR (s.ended_on IS NULL AND s.started_on > %(today)s::date
           AND s.last_used_on <= %(staff_unused)s::date))
  AND NOT EXISTS (SELECT FROM parental_leave l WHERE l.staff_member_id = s.id)
  AND NOT EXISTS (SELECT FROM held h WHERE h.record_type = 'staff_member'
                  AND h.record_id = s.id);
ALTER TABLE due_staff ADD PRIMARY KEY (id);
CREATE TEMP TABLE staff_gone (staff_member_id uuid, kind text) ON COMMIT DROP;
WITH d AS (DELETE FROM hr_file_entry e USING due_staff s WHERE e.staff_member_id = s.id
           RETURNING e.staff_member_id)
INSERT INTO staff_gone SELECT staff_member_id, 'hr_file_entry' FROM d;
UPDATE document x SET staff_member_id = NULL FROM due_staff s
WHERE x.staff_member_id = s.id AND x.safeguarding;
WITH d AS (DELETE FROM document x USING due_staff s WHERE x.staff_member_id = s.id
           RETURNING x.staff_member_id)
INSERT INTO staff_gone SELECT staff_member_id, 'document' FROM d;
WITH d AS (DELETE FROM dbs_check x USING due_staff s WHERE x.staff_member_id = s.id
           RETURNING x.staff_member_id)
INSERT INTO staff_gone SELECT staff_member_id, 'dbs_check' FROM d;
DELETE FROM staff_member x USING due_staff s WHERE x.id = s.id;
INSERT INTO disposal (id, sweep_id, centre_id, record_type, record_id, rule_key, trigger_on,
                      due_on, disposed_at, facts)
SELECT gen_random_uuid(), %(sweep)s, s.centre_id, 'staff_member', s.id, s.rule_key,
       s.trigger_on, s.due_on, now(),
       json_build_object('engagement', s.engagement, 'started_on', s.started_on,
                         'attachments', coalesce(k.attachments, '{}'::json))
FROM due_staff s
LEFT JOIN (SELECT staff_member_id, json_object_agg(kind, n) AS attachments
           FROM (SELECT staff_member_id, kind, count(*) AS n FROM staff_gone GROUP BY 1, 2) c
           GROUP BY staff_member_id) k ON k.staff_member_id = s.id;

-- Finance records: six years after the last year end, no HMRC enquiry open.
WITH d AS (
    DELETE FROM finance_record f
    WHERE f.hmrc_enquiry_open IS false AND f.last_year_end_on <= %(finance)s::date
      AND NOT EXISTS (SELECT FROM held h WHERE h.record_type = 'finance_record'
                      AND h.record_id = f.id)
    RETURNING f.id, f.centre_id, f.last_year_end_on
)
INSERT INTO disposal (id, sweep_id, centre_id, record_type, record_id, rule_key, trigger_on,
                      due_on, disposed_at, facts)
SELECT gen_random_uuid(), %(sweep)s, centre_id, 'finance_record', id, 'finance',
       last_year_end_on, (last_year_end_on + make_interval(months => 72))::date, now(),
       json_build_object('last_year_end_on', to_char(last_year_end_on, 'YYYY-MM'),
                         'attachments', '{}'::json)
FROM d;

-- Subject requests: two years after closure, with their third-party decisions. (The generator
-- makes none; kept so that the SQL does what the engine does.)
CREATE TEMP TABLE due_request ON COMMIT DROP AS
SELECT q.id, q.centre_id, q.subject_id, q.closed_on, q.kind, q.status, q.requester,
       q.extended, q.received_on
FROM subject_request q
WHERE q.status IN ('completed', 'refused', 'withdrawn') AND q.closed_on IS NOT NULL
  AND q.closed_on <= %(subject_request)s::date
  AND NOT EXISTS (SELECT FROM held h WHERE h.record_type = 'subject_request'
                  AND h.record_id = q.id)
  AND q.subject_id NOT IN (SELECT person_id FROM frozen)
  AND NOT EXISTS (SELECT FROM third_party_decision t JOIN frozen f USING (person_id)
                  WHERE t.request_id = q.id);
DELETE FROM third_party_decision t USING due_request q WHERE t.request_id = q.id;
DELETE FROM subject_request x USING due_request q WHERE x.id = q.id;
INSERT INTO disposal (id, sweep_id, centre_id, record_type, record_id, rule_key, trigger_on,
                      due_on, disposed_at, facts)
SELECT gen_random_uuid(), %(sweep)s, centre_id, 'subject_request', id, 'subject_request',
       closed_on, (closed_on + make_interval(months => 24))::date, now(),
       json_build_object('kind', kind, 'status', status, 'requester', requester,
                         'extended', extended, 'received_on', to_char(received_on, 'YYYY-MM'),
                         'closed_on', to_char(closed_on, 'YYYY-MM'), 'attachments', '{}'::json)
FROM due_request;

-- Disclosures linked to no kept record, not on the safeguarding basis: three years.
CREATE TEMP TABLE due_disclosure ON COMMIT DROP AS
SELECT d.id, d.centre_id, (d.disclosed_at AT TIME ZONE 'UTC')::date AS trigger_on,
       d.recipient_type, d.lawful_basis, d.subject_informed
FROM disclosure d
WHERE d.referral_id IS NULL AND d.incident_id IS NULL AND d.lawful_basis <> 'safeguarding'
  AND (d.disclosed_at AT TIME ZONE 'UTC')::date <= %(disclosure)s::date
  AND NOT EXISTS (SELECT FROM held h WHERE h.record_type = 'disclosure' AND h.record_id = d.id)
  AND NOT EXISTS (SELECT FROM disclosure_person p JOIN frozen f USING (person_id)
                  WHERE p.disclosure_id = d.id);
DELETE FROM disclosure_person p USING due_disclosure d WHERE p.disclosure_id = d.id;
DELETE FROM disclosure x USING due_disclosure d WHERE x.id = d.id;
INSERT INTO disposal (id, sweep_id, centre_id, record_type, record_id, rule_key, trigger_on,
                      due_on, disposed_at, facts)
SELECT gen_random_uuid(), %(sweep)s, centre_id, 'disclosure', id, 'disclosure', trigger_on,
       (trigger_on + make_interval(months => 36))::date, now(),
       json_build_object('recipient_type', recipient_type, 'lawful_basis', lawful_basis,
                         'subject_informed', subject_informed, 'attachments', '{}'::json)
FROM due_disclosure;
"""

RULE_MONTHS = {
    "referral_court": 36,
    "referral_no_court": 12,
    "parental_leave": 60,
    "parental_leave_disability": 216,
    "hr_file": 72,
    "staff_unused": 36,
    "finance": 72,
    "subject_request": 24,
    "disclosure": 36,
}


def check_rule_months(name: str) -> None:
    """The SQL hard-codes the seeded periods: make sure the database still has them."""
    with psycopg.connect(db_url(name)) as conn:
        found = dict(conn.execute("SELECT key, period_months FROM retention_rule").fetchall())
    wrong = {k: (v, found.get(k)) for k, v in RULE_MONTHS.items() if found.get(k) != v}
    if wrong:
        raise SystemExit(f"retention rules differ from the SQL's periods: {wrong}")


def run_sql(name: str, today: date) -> float:
    params: dict[str, Any] = {k: due_cutoff(today, m) for k, m in RULE_MONTHS.items()}
    params.update(sweep=uuid.uuid4(), today=today)
    with psycopg.connect(db_url(name)) as conn:
        started = time.perf_counter()
        # One statement at a time (psycopg sends parameters with one statement only).
        for statement in split_sql(HAND_WRITTEN_SQL):
            conn.execute(statement, {k: v for k, v in params.items() if f"%({k})s" in statement})
        conn.commit()
        return time.perf_counter() - started


def split_sql(script: str) -> list[str]:
    statements, current = [], []
    for line in script.splitlines():
        if line.strip().startswith("--"):
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            statements.append("\n".join(current).strip())
            current = []
    return [s for s in statements if s]


# --- the sweep ------------------------------------------------------------------------------


def run_sweep(name: str, today: date, batch_size: int) -> float:
    engine = make_engine(db_url(name))
    sessions = make_sessionmaker(engine)
    try:
        started = time.perf_counter()
        sweep_id = retention_sweep.run(
            engine,
            sessions,
            retention_sweep.SweepOptions(today=today, trigger="cli", batch_size=batch_size),
        )
        elapsed = time.perf_counter() - started
        assert sweep_id is not None
        return elapsed
    finally:
        engine.dispose()


# --- the run --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    def read(cmd: list[str]) -> str:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    with psycopg.connect(ADMIN_URL) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        settings = dict(
            conn.execute(
                "SELECT name, current_setting(name) FROM pg_settings WHERE name IN "
                "('shared_buffers', 'work_mem', 'synchronous_commit', 'max_wal_size')"
            ).fetchall()
        )
    return {
        "nproc": read(["nproc"]),
        "memory": read(["free", "-h"]).splitlines()[1].split()[1],
        "cpu": cpu,
        "postgresql": version,
        "pg_settings": settings,
        "python": platform.python_version(),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="ccr_bench", help="the generated database (a template)")
    parser.add_argument("--batch-sizes", default="500,2000,5000")
    parser.add_argument("--today", type=date.fromisoformat, default=TODAY)
    parser.add_argument("--keep", action="store_true", help="keep the copies afterwards")
    parser.add_argument(
        "--sql-runs",
        type=int,
        default=2,
        help="time the SQL this many times (first before the sweeps, the others after them);"
        " ratios use the fastest, the SQL's best case (the machine's load varies)",
    )
    args = parser.parse_args(argv)
    batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b]

    # Nothing encrypted is written by a sweep, but the app's rule: keys before any write.
    keyring.configure([Fernet.generate_key().decode()])
    check_rule_months(args.db)
    before = table_counts(args.db)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")

    sql_db = f"{args.db}_sql"
    copy_s = copy_database(args.db, sql_db)
    print(f"copied {args.db} -> {sql_db} in {copy_s:.1f}s")
    sql_s = run_sql(sql_db, args.today)
    sql_counts = table_counts(sql_db)
    sql_print = fingerprint(sql_db)
    logged = sum(sql_print["disposal_by_type"].values())
    deleted = sum(before[t] - sql_counts[t] for t in RECORD_TABLES)
    print(f"hand-written SQL: {logged:,} logged, {deleted:,} rows deleted in {sql_s:.2f}s")
    print(f"  by type: {sql_print['disposal_by_type']}")
    print(f"  by rule: {sql_print['disposal_by_rule']}")

    runs = []
    sweep_db = f"{args.db}_sweep"
    for batch_size in batch_sizes:
        copy_database(args.db, sweep_db)
        seconds = run_sweep(sweep_db, args.today, batch_size)
        counts = table_counts(sweep_db)
        printed = fingerprint(sweep_db)
        same_counts = counts == sql_counts
        same_rows = printed == sql_print
        mismatch = attachments_mismatch(sweep_db, sql_db)
        with psycopg.connect(db_url(sweep_db)) as conn:
            status, batches = conn.execute("SELECT status, batches FROM retention_sweep").fetchone()
        s_logged = sum(printed["disposal_by_type"].values())
        run = {
            "batch_size": batch_size,
            "seconds": seconds,
            "status": status,
            "batches": batches,
            "logged": s_logged,
            "rows_deleted": sum(before[t] - counts[t] for t in RECORD_TABLES),
            "logged_per_s": s_logged / seconds,
            "same_table_counts": same_counts,
            "same_rows_and_log": same_rows,
            "log_rows_with_batch_attachment_totals": mismatch,
        }
        runs.append(run)
        print(
            f"sweep batch {batch_size:>5}: {seconds:8.2f}s  {s_logged / seconds:9,.0f} logged/s"
            f"  batches {batches}  status {status}"
            f"  same counts {same_counts}  same rows+log {same_rows}"
        )
        if not (same_counts and same_rows):
            diff = {
                t: (counts[t], sql_counts.get(t)) for t in counts if counts[t] != sql_counts.get(t)
            }
            print(f"  DIFFERENT: counts {diff}")
            print(f"  sweep by rule {printed['disposal_by_rule']}")
        if not args.keep:
            drop_database(sweep_db)
    if not args.keep:
        drop_database(sql_db)

    sql_times = [sql_s]
    for n in range(2, args.sql_runs + 1):
        again = f"{args.db}_sql{n}"
        copy_database(args.db, again)
        sql_times.append(run_sql(again, args.today))
        same = table_counts(again) == sql_counts and fingerprint(again) == sql_print
        print(f"hand-written SQL again: {sql_times[-1]:.2f}s (same rows {same})")
        if not args.keep:
            drop_database(again)
    sql_s = min(sql_times)
    sql_result = {
        "seconds": sql_s,
        "all_seconds": sql_times,
        "logged": logged,
        "rows_deleted": deleted,
        "logged_per_s": logged / sql_s,
        "deleted_per_s": deleted / sql_s,
    }
    for run in runs:
        run["ratio"] = sql_s / run["seconds"]
        run["deleted_per_s"] = run["rows_deleted"] / run["seconds"]
        print(
            f"sweep batch {run['batch_size']:>5}: {run['seconds']:8.2f}s"
            f"  {run['logged_per_s']:9,.0f} logged/s  {run['deleted_per_s']:9,.0f} deleted/s"
            f"  ratio {run['ratio']:.3f}"
        )
    best = min(runs, key=lambda r: r["seconds"])
    print(
        f"\nSQL (best of {len(sql_times)}) {sql_result['logged_per_s']:,.0f} logged rows/s"
        f" ({deleted:,} rows deleted,"
        f" {sql_result['deleted_per_s']:,.0f}/s); best sweep (batch {best['batch_size']})"
        f" {best['logged_per_s']:,.0f} logged rows/s; ratio {best['ratio']:.3f}"
        f" -> target {TARGET} {'met' if best['ratio'] >= TARGET else 'NOT met'}"
    )
    result = {
        "when": stamp,
        "database": args.db,
        "today": args.today.isoformat(),
        "machine": machine(),
        "rows_before": before,
        "rows_after": sql_counts,
        "disposal_by_type": sql_print["disposal_by_type"],
        "disposal_by_rule": sql_print["disposal_by_rule"],
        "sql": sql_result,
        "sweeps": runs,
        "best": best,
        "target": TARGET,
        "target_met": best["ratio"] >= TARGET,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"sweep_vs_sql-{stamp}.json"
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
