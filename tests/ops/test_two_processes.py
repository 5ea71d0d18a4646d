"""Two `ccr serve` processes on one PostgreSQL, as in deploy/: both serve, the schedulers elect
one runner (one sweep per slot), and failed logins count across both."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app.db import make_engine, make_sessionmaker
from app.retention.models import Sweep
from tests.conftest import TEST_KEYS, FreshDatabase, require_postgres

ROOT = Path(__file__).resolve().parents[2]
EMAIL, PASSWORD = "owner@example.org", "a long enough password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(base: str, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{base} exited with {process.returncode}")
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{base} did not become ready")


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[list[str], list[Path], str]]:
    require_postgres()
    database = FreshDatabase("postgresql", tmp_path)
    env = {
        **os.environ,
        "CCR_ENV": "dev",
        "CCR_DATABASE_URL": database.url,
        "CCR_DATA_DIR": str(tmp_path / "data"),
        "CCR_JWT_SECRET": "two-processes-" + "x" * 40,
        "CCR_ENCRYPTION_KEYS": ",".join(TEST_KEYS),
        "CCR_BOOTSTRAP_EMAIL": EMAIL,
        "CCR_BOOTSTRAP_PASSWORD": PASSWORD,
        "CCR_SCHEDULER_ENABLED": "true",
        # Seconds first: a sweep slot every minute, fired every two seconds by both schedulers.
        "CCR_SWEEP_CRON": "*/2 * * * * *",
    }
    processes, bases, logs = [], [], []
    try:
        for n in range(2):
            port = _free_port()
            log_path = tmp_path / f"server-{n}.log"
            logs.append(log_path)
            processes.append(
                subprocess.Popen(  # noqa: S603
                    [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
                    cwd=ROOT,
                    env=env,
                    stdout=log_path.open("wb"),
                    stderr=subprocess.STDOUT,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        for base, process in zip(bases, processes, strict=True):
            _wait_ready(base, process)
        yield bases, logs, database.url
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        database.drop()


def test_two_processes_serve_one_database_and_elect_one_sweep_runner(
    servers: tuple[list[str], list[Path], str],
) -> None:
    bases, logs, url = servers
    tokens = []
    for base in bases:
        response = httpx.post(
            base + "/api/v1/auth/token",
            data={"grant_type": "password", "username": EMAIL, "password": PASSWORD},
        )
        assert response.status_code == 200, response.text
        tokens.append(response.json()["access_token"])
    # A token from one process works on the other: one database, one secret.
    me = httpx.get(bases[1] + "/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens[0]}"})
    assert me.status_code == 200

    engine = make_engine(url)
    try:
        deadline = time.monotonic() + 30
        scheduled: list[Sweep] = []
        while time.monotonic() < deadline and not scheduled:
            with make_sessionmaker(engine)() as session:
                scheduled = list(session.scalars(select(Sweep).where(Sweep.trigger == "schedule")))
            time.sleep(0.5)
        assert scheduled, "no scheduled sweep ran"
        time.sleep(4)  # both schedulers fire at least twice more
        with make_sessionmaker(engine)() as session:
            slots = list(session.scalars(select(Sweep.slot).where(Sweep.trigger == "schedule")))
    finally:
        engine.dispose()
    assert len(slots) == len(set(slots)), "a slot was swept twice"
    outcomes = [path.read_text() for path in logs]
    ran = [text.count("scheduled retention sweep: ran") for text in outcomes]
    assert sum(ran) == len(slots)
    # Exactly one process leads; the other answers "not-leader" every time it fires.
    assert sorted(min(count, 1) for count in ran) == [0, 1]
    assert any("scheduled retention sweep: not-leader" in text for text in outcomes)


def test_failed_logins_count_across_both_processes(
    servers: tuple[list[str], list[Path], str],
) -> None:
    bases, _logs, _url = servers
    statuses = []
    for attempt in range(5):
        response = httpx.post(
            bases[attempt % 2] + "/api/v1/auth/token",
            data={"grant_type": "password", "username": EMAIL, "password": "wrong password!"},
        )
        statuses.append(response.status_code)
    assert statuses == [401] * 5
    for base in bases:
        locked = httpx.post(
            base + "/api/v1/auth/token",
            data={"grant_type": "password", "username": EMAIL, "password": PASSWORD},
        )
        assert locked.status_code == 429, locked.text
        assert "retry-after" in locked.headers
