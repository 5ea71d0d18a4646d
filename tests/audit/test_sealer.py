"""The sealer: rows appended without a lock are chained in order, whatever order their
transactions commit in; a killed run is finished by the next; nothing is sealed twice or
skipped; rotation keeps old seals verifying; the checkpoint catches truncation (DESIGN §6)."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, event, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from app import migrate
from app.audit import sealer
from app.audit import service as audit_service
from app.audit.models import AuditEvent, AuditSeal, AuditSealRun
from app.audit.service import AuditEntry
from app.audit_chain import AuditChain, ChainKeys, CheckpointFile
from app.db import make_engine, make_sessionmaker, utcnow
from app.single_runner import RunnerLease
from tests.conftest import TEST_AUDIT_KEYS, FreshDatabase, checkpoint_path

KEYS = ChainKeys.parse(TEST_AUDIT_KEYS)


def _chain(keys: ChainKeys = KEYS, path: Path | None = None) -> AuditChain:
    return AuditChain(keys, CheckpointFile(path or checkpoint_path()))


def _append(session: Session, action: str = "people_get", **extra: object) -> None:
    audit_service.append(session, [AuditEntry(action=action, **extra)])  # type: ignore[arg-type]


def _seal(app: FastAPI, **kwargs: object) -> sealer.SealResult:
    return sealer.seal(
        app.state.engine,
        app.state.sessionmaker,
        app.state.audit_chain,
        **kwargs,  # type: ignore[arg-type]
    )


def _chain_order(session: Session) -> list[int]:
    session.expire_all()
    return list(session.scalars(select(AuditSeal.event_seq).order_by(AuditSeal.position)))


def _assert_sealed_once_in_order(session: Session, chain: AuditChain, rows: int) -> None:
    seals = session.execute(select(AuditSeal.position, AuditSeal.event_seq)).all()
    assert sorted(p for p, _ in seals) == list(range(1, rows + 1)), "positions without gaps"
    events = set(session.scalars(select(AuditEvent.seq)))
    assert sorted(s for _, s in seals) == sorted(events), "every row sealed exactly once"
    result = audit_service.verify(session, chain)
    assert (result.ok, result.checked, result.unsealed) == (True, rows, 0), result.reason


@pytest.fixture
def live(fresh_database: FreshDatabase) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    """A migrated database of its own with a small pool: real, separate transactions."""
    migrate.upgrade(fresh_database.url)
    engine = make_engine(fresh_database.url, pool_size=4, max_overflow=2, pool_timeout=60)
    try:
        yield engine, make_sessionmaker(engine)
    finally:
        engine.dispose()


@pytest.fixture
def postgresql_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: transactions cannot commit out of order")


# --- the request path -----------------------------------------------------------------------


def test_appending_is_one_insert_and_reads_nothing(db: Session) -> None:
    statements: list[str] = []
    engine = db.get_bind().engine

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        _append(db)
        db.flush()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert [s for s in statements if s not in {"SAVEPOINT", "RELEASE", "BEGIN"}] == ["INSERT"]


# --- order and commit order -----------------------------------------------------------------


def test_a_row_committed_after_a_later_row_is_sealed_after_it_never_skipped(
    postgresql_only: None, live: tuple[Engine, sessionmaker[Session]]
) -> None:
    engine, sessions = live
    chain = _chain()
    early, late = sessions(), sessions()
    try:
        _append(early, "first_written")
        early.flush()  # seq taken, transaction still open
        _append(late, "second_written")
        late.commit()

        assert sealer.seal(engine, sessions, chain).sealed == 1
        with sessions() as session:
            lag = audit_service.sealing_lag(session)
            assert lag.unsealed == 0, "the open transaction's row is not visible yet"

        early.commit()
        with sessions() as session:
            assert audit_service.sealing_lag(session).unsealed == 1
        assert sealer.seal(engine, sessions, chain).sealed == 1
        with sessions() as session:
            seqs = dict(session.execute(select(AuditEvent.action, AuditEvent.seq)).all())
            assert _chain_order(session) == [seqs["second_written"], seqs["first_written"]]
            _assert_sealed_once_in_order(session, chain, 2)
    finally:
        early.close()
        late.close()


def test_a_run_looks_no_further_back_than_the_oldest_transaction_it_saw_running(
    postgresql_only: None, live: tuple[Engine, sessionmaker[Session]]
) -> None:
    """The floor a complete run records is the oldest running transaction, not the newest row:
    a long transaction's row still counts when it commits after many runs."""
    engine, sessions = live
    chain = _chain()
    long_running = sessions()
    try:
        _append(long_running, "long")
        long_running.flush()
        for n in range(3):
            with sessions() as session:
                _append(session, f"short_{n}")
                session.commit()
            sealer.seal(engine, sessions, chain)
        with sessions() as session:
            floors = list(session.scalars(select(AuditSealRun.floor_xact_id)))
            long_xact = session.scalar(
                text("SELECT xact_id FROM audit_event WHERE action = 'long'")
            )
            assert long_xact is None, "not visible before it commits"
            assert floors and all(f is not None for f in floors)
        long_running.commit()
        assert sealer.seal(engine, sessions, chain).sealed == 1
        with sessions() as session:
            long_xact = session.scalar(
                select(AuditEvent.xact_id).where(AuditEvent.action == "long")
            )
            assert all(long_xact >= f for f in floors)
            _assert_sealed_once_in_order(session, chain, 4)
    finally:
        long_running.close()


def test_rows_written_concurrently_by_more_threads_than_connections_all_verify(
    live: tuple[Engine, sessionmaker[Session]],
) -> None:
    """24 writers through a pool of 6, each holding its transaction open a random moment after
    its INSERT (so on PostgreSQL they commit out of `seq` order), while the sealer runs."""
    engine, sessions = live
    chain = _chain()
    writers, errors = 24, []
    done = threading.Event()
    start = threading.Barrier(writers + 1)

    def write(n: int) -> None:
        try:
            start.wait(timeout=30)
            with sessions() as session:
                _append(session, f"write_{n}")
                session.flush()
                threading.Event().wait(random.uniform(0, 0.05))
                session.commit()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def seal_meanwhile() -> None:
        start.wait(timeout=30)
        while not done.is_set():
            try:
                sealer.seal(engine, sessions, chain, batch=5)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    sealing = threading.Thread(target=seal_meanwhile)
    for thread in [*threads, sealing]:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    done.set()
    sealing.join(timeout=120)
    assert not errors, errors

    sealer.seal(engine, sessions, chain)
    with sessions() as session:
        _assert_sealed_once_in_order(session, chain, writers)
        assert len(chain.checkpoints.path.read_text().splitlines()) >= 1


def test_two_sealers_at_once_seal_each_row_once(
    live: tuple[Engine, sessionmaker[Session]],
) -> None:
    engine, sessions = live
    chain = _chain()
    with sessions() as session:
        for n in range(30):
            _append(session, f"row_{n}")
        session.commit()
    results: list[sealer.SealResult] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait(timeout=30)
        results.append(sealer.seal(engine, sessions, chain, batch=4))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(r.sealed for r in results) == 30
    with sessions() as session:
        _assert_sealed_once_in_order(session, chain, 30)


# --- crash safety ---------------------------------------------------------------------------


class Crash(Exception):
    pass


def test_a_run_failing_mid_way_is_finished_by_the_next(app: FastAPI, db: Session) -> None:
    for n in range(7):
        _append(db, f"row_{n}")
    db.commit()

    def crash_on_second(number: int) -> None:
        if number == 2:
            raise Crash

    with pytest.raises(Crash):
        _seal(app, batch=3, before_commit=crash_on_second)
    assert len(_chain_order(db)) == 3, "the first batch stays; the second is rolled back"
    assert app.state.audit_chain.checkpoints.newest().position == 3

    assert _seal(app, batch=3).sealed == 4
    _assert_sealed_once_in_order(db, app.state.audit_chain, 7)
    assert app.state.audit_chain.checkpoints.newest().position == 7


KILLED_SEALER = """
import os, signal, sys
from app.audit import sealer
from app.audit_chain import AuditChain, ChainKeys, CheckpointFile
from app.db import make_engine, make_sessionmaker

engine = make_engine(sys.argv[1])
chain = AuditChain(ChainKeys.parse(sys.argv[2].split(",")), CheckpointFile(sys.argv[3]))

def die(number):
    if number == 3:
        os.kill(os.getpid(), signal.SIGKILL)

sealer.seal(engine, make_sessionmaker(engine), chain, batch=4, before_commit=die)
"""


def test_a_sealer_killed_mid_way_leaves_whole_batches_and_the_next_run_finishes(
    fresh_database: FreshDatabase, live: tuple[Engine, sessionmaker[Session]]
) -> None:
    engine, sessions = live
    chain = _chain()
    with sessions() as session:
        for n in range(18):
            _append(session, f"row_{n}")
        session.commit()

    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(KILLED_SEALER),
            fresh_database.url,
            ",".join(TEST_AUDIT_KEYS),
            str(chain.checkpoints.path),
        ],
        capture_output=True,
        timeout=120,
        env={**os.environ, "CCR_ENV": "test"},
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    with sessions() as session:
        assert len(_chain_order(session)) == 8, "two whole batches, the third never committed"
    assert chain.checkpoints.newest().position == 8

    if fresh_database.backend == "sqlite":
        # The dead holder's lease stands until it expires.
        assert sealer.seal(engine, sessions, chain).ran is False
        with sessions() as session:
            session.execute(
                update(RunnerLease)
                .where(RunnerLease.name == sealer.SEAL_LOCK_NAME)
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
            session.commit()
    # PostgreSQL: the advisory lock died with the process's connection.
    result = sealer.seal(engine, sessions, chain)
    assert (result.ran, result.sealed, result.head_position) == (True, 10, 18)
    with sessions() as session:
        _assert_sealed_once_in_order(session, chain, 18)


# --- what a run writes ----------------------------------------------------------------------


def test_an_idle_sealer_writes_nothing(app: FastAPI, db: Session) -> None:
    _append(db)
    db.commit()
    _seal(app)
    runs = db.scalar(select(func.count()).select_from(AuditSealRun))
    lines = app.state.audit_chain.checkpoints.path.read_text()
    for _ in range(3):
        assert _seal(app).sealed == 0
    assert db.scalar(select(func.count()).select_from(AuditSealRun)) == runs
    assert app.state.audit_chain.checkpoints.path.read_text() == lines


def test_the_sealing_lag_counts_what_waits_and_since_when(app: FastAPI, db: Session) -> None:
    assert audit_service.sealing_lag(db).unsealed == 0
    assert audit_service.sealing_lag(db).seconds() == 0.0
    for _ in range(3):
        _append(db)
    db.commit()
    lag = audit_service.sealing_lag(db)
    assert lag.unsealed == 3
    assert lag.oldest_unsealed_at is not None
    assert lag.seconds(lag.oldest_unsealed_at + timedelta(seconds=7)) == 7.0
    _seal(app)
    assert audit_service.sealing_lag(db).unsealed == 0


def test_sealing_without_a_key_is_refused_before_anything_is_written(
    app: FastAPI, db: Session
) -> None:
    _append(db)
    db.commit()
    from app.audit_chain import ChainKeyError

    with pytest.raises(ChainKeyError, match="CCR_AUDIT_HMAC_KEYS"):
        sealer.seal(app.state.engine, app.state.sessionmaker, _chain(ChainKeys(())))
    assert _chain_order(db) == []


# --- keys -----------------------------------------------------------------------------------


def test_a_new_key_added_first_seals_and_the_old_seals_keep_verifying(
    app: FastAPI, db: Session
) -> None:
    old = ChainKeys.parse(["old:" + "o" * 40])
    rotated = ChainKeys.parse(["new:" + "n" * 40, "old:" + "o" * 40])
    path = checkpoint_path()
    for keys, rows in ((old, 3), (rotated, 2)):
        for _ in range(rows):
            _append(db)
        db.commit()
        sealer.seal(app.state.engine, app.state.sessionmaker, _chain(keys, path))
    key_ids = list(db.scalars(select(AuditSeal.key_id).order_by(AuditSeal.position)))
    assert key_ids == ["old"] * 3 + ["new"] * 2
    assert audit_service.verify(db, _chain(rotated, path)).ok

    dropped = audit_service.verify(db, _chain(ChainKeys.parse(["new:" + "n" * 40]), path))
    assert dropped.ok is False
    assert dropped.first_broken_seq == _chain_order(db)[0]
    assert "'old'" in (dropped.reason or "")

    wrong = audit_service.verify(db, _chain(ChainKeys.parse(["old:" + "x" * 40]), path))
    assert (wrong.ok, wrong.checked) == (False, 0)


# --- the checkpoint outside the database ---------------------------------------------------


def _delete_newest(db: Session, count: int) -> list[int]:
    """What only the owner can do on PostgreSQL (see test_roles.py): SQLite has no trigger."""
    newest = list(
        db.execute(
            select(AuditSeal.position, AuditSeal.event_seq)
            .order_by(AuditSeal.position.desc())
            .limit(count)
        )
    )
    for position, seq in newest:
        db.execute(text("DELETE FROM audit_seal WHERE position = :p"), {"p": position})
        db.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": seq})
    db.commit()
    return [seq for _, seq in newest]


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("on PostgreSQL only the owner can delete: tests/audit/test_roles.py")


def test_deleting_the_newest_rows_with_their_seals_is_found_by_the_checkpoint(
    sqlite_only: None, app: FastAPI, db: Session
) -> None:
    for _ in range(6):
        _append(db)
    db.commit()
    _seal(app)
    deleted = _delete_newest(db, 2)

    result = audit_service.verify(db, app.state.audit_chain)
    assert result.ok is False
    assert (result.sealed_through, result.checkpoint_position) == (4, 6)
    assert result.first_broken_seq == max(deleted)
    assert "removed" in (result.reason or "")

    # Without the checkpoint file the shortened chain would look whole.
    assert audit_service.verify(db, _chain(KEYS)).ok is True


def test_resealing_the_whole_chain_with_the_key_is_found_by_the_checkpoint(
    sqlite_only: None, app: FastAPI, db: Session
) -> None:
    for _ in range(4):
        _append(db)
    db.commit()
    _seal(app)
    for _ in range(3):
        _append(db)
    db.commit()
    _seal(app)
    first_changed = _chain_order(db)[4]

    # Someone holding the key edits row 5 and re-seals from there.
    db.execute(
        text("UPDATE audit_event SET action = 'forged' WHERE seq = :s"), {"s": first_changed}
    )
    db.execute(text("DELETE FROM audit_seal WHERE position > 4"))
    db.execute(text("DELETE FROM audit_seal_run"))
    db.commit()
    no_checkpoint = _chain(KEYS)  # a checkpoint file of its own: empty until now
    sealer.seal(app.state.engine, app.state.sessionmaker, no_checkpoint)
    assert audit_service.verify(db, no_checkpoint).ok, "the keyed chain alone cannot tell"

    result = audit_service.verify(db, app.state.audit_chain)
    assert result.ok is False
    assert result.first_broken_seq == first_changed
    assert "re-sealed after seal 4" in (result.reason or "")


def test_a_torn_last_checkpoint_line_is_skipped(tmp_path: Path) -> None:
    checkpoints = CheckpointFile(tmp_path / "checkpoints")
    assert checkpoints.newest() is None
    for position in range(1, 3001):
        checkpoints.append(position, position + 10, f"{position:064x}", utcnow())
    with checkpoints.path.open("ab") as handle:
        handle.write(b'{"position": 3001, "seq"')
    newest = checkpoints.newest()
    assert newest is not None and (newest.position, newest.event_seq) == (3000, 3010)
    assert [c.position for c in checkpoints.newest_first()] == list(range(3000, 0, -1))


@pytest.mark.parametrize(
    "entries",
    [["nocolon" + "x" * 40], ["bad id:" + "x" * 40], ["short:xxx"], ["a:" + "x" * 40] * 2],
    ids=["no-id", "bad-id", "short", "duplicate"],
)
def test_unusable_key_settings_are_refused(entries: list[str]) -> None:
    from app.audit_chain import ChainKeyError

    with pytest.raises(ChainKeyError):
        ChainKeys.parse(entries)


def test_the_key_parser_keeps_order_and_ids() -> None:
    keys = ChainKeys.parse(TEST_AUDIT_KEYS)
    assert keys.sealing_key_id == "test2"
    assert keys.get("test1") == b"j" * 40
    assert keys.get("nope") is None
    assert replace(keys, keys=()).keys == ()


# --- the app's scheduler ------------------------------------------------------------------


def test_the_app_scheduler_seals_what_requests_append(fresh_database: FreshDatabase) -> None:
    import time

    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.security import tokens
    from tests.conftest import settings_for
    from tests.factories import bearer, make_user

    migrate.upgrade(fresh_database.url)
    settings = settings_for(fresh_database.url, audit_seal_seconds=1)
    settings.scheduler_enabled = True
    app = create_app(settings)
    try:
        with app.state.sessionmaker() as session:
            admin = make_user(session, "naccc_staff")
            session.commit()
        headers = bearer(tokens.issue(settings, admin.id, "access")[0])
        with TestClient(app) as client:
            assert client.get("/api/v1/centres", headers=headers).status_code == 200
            deadline = time.monotonic() + 60
            while True:
                with app.state.sessionmaker() as session:
                    if _chain_order(session):
                        break
                assert time.monotonic() < deadline, "the scheduled sealer never sealed"
                time.sleep(0.2)
            assert app.state.audit_chain.checkpoints.newest() is not None
    finally:
        app.state.engine.dispose()


@pytest.mark.parametrize("seed", range(6))
def test_any_mix_of_appends_batch_sizes_and_failed_batches_seals_every_row_once(
    seed: int, app: FastAPI, db: Session
) -> None:
    """Random rounds (seeded, reproducible): append some rows, seal with some batch size, maybe
    fail some batch; after a final clean run every row is sealed once, in a verifying chain."""
    rng = random.Random(seed)
    written = 0
    for _ in range(rng.randint(2, 6)):
        for _ in range(rng.randint(0, 9)):
            _append(db, f"row_{written}")
            written += 1
        db.commit()
        failing = rng.choice([None, 1, 2, 3])

        def fail(number: int, failing: int | None = failing) -> None:
            if number == failing:
                raise Crash

        with contextlib.suppress(Crash):
            _seal(app, batch=rng.randint(1, 5), before_commit=fail)
        result = audit_service.verify(db, app.state.audit_chain)
        assert result.ok, result.reason
        assert result.checked + result.unsealed == written
    _seal(app)
    _assert_sealed_once_in_order(db, app.state.audit_chain, written)
