"""First start: migrate, then one naccc_staff account, its password printed once (§8)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.cli import migrate_and_bootstrap, openapi_document
from app.config import Settings
from app.db import make_engine, make_sessionmaker
from app.main import create_app
from app.security.encryption import keyring
from app.users.models import UserAccount
from tests.conftest import TEST_KEYS, FreshDatabase, settings_for

PASSWORD_LINE = re.compile(r"^\s*password:\s*(\S+)\s*$", re.MULTILINE)
EMAIL_LINE = re.compile(r"^\s*email:\s*(\S+)\s*$", re.MULTILINE)


@pytest.fixture(autouse=True)
def no_bootstrap_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("CCR_BOOTSTRAP_"):
            monkeypatch.delenv(name)


def _accounts(url: str) -> list[UserAccount]:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            return list(session.scalars(select(UserAccount)).all())
    finally:
        engine.dispose()


@contextmanager
def _client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.state.engine.dispose()


def _login(client: TestClient, username: str, password: str) -> int:
    response = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": username, "password": password},
    )
    if response.status_code == 200:
        token = response.json()["access_token"]
        me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["role"] == "naccc_staff"
    return response.status_code


def test_first_run_creates_one_naccc_staff_account_and_prints_its_password_once(
    fresh_database: FreshDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_for(fresh_database.url)
    migrate_and_bootstrap(settings)
    first = capsys.readouterr().out
    passwords = PASSWORD_LINE.findall(first)
    emails = EMAIL_LINE.findall(first)
    assert len(passwords) == 1, first
    assert len(emails) == 1, first

    accounts = _accounts(fresh_database.url)
    assert [(a.role, a.email, a.is_active) for a in accounts] == [("naccc_staff", emails[0], True)]
    assert passwords[0] not in accounts[0].password_hash, "stored in clear"
    with _client(settings) as client:
        assert _login(client, emails[0], passwords[0]) == 200

        migrate_and_bootstrap(settings)
        second = capsys.readouterr().out
        assert passwords[0] not in second
        assert not PASSWORD_LINE.search(second), second
        assert [a.id for a in _accounts(fresh_database.url)] == [accounts[0].id]
        assert _login(client, emails[0], passwords[0]) == 200, "the second run kept the password"


def test_bootstrap_email_and_password_from_settings_are_used_and_not_printed(
    fresh_database: FreshDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    password = "a long bootstrap password"
    settings = settings_for(
        fresh_database.url, bootstrap_email="First.Admin@example.com", bootstrap_password=password
    )
    migrate_and_bootstrap(settings)
    out = capsys.readouterr().out
    assert password not in out
    assert not PASSWORD_LINE.search(out), out

    accounts = _accounts(fresh_database.url)
    assert [(a.role, a.email) for a in accounts] == [("naccc_staff", "first.admin@example.com")]
    with _client(settings) as client:
        assert _login(client, "first.admin@example.com", password) == 200
        assert _login(client, "first.admin@example.com", "not the password") == 401


def test_openapi_document_is_deterministic_and_leaves_the_keyring_alone() -> None:
    keyring.configure(TEST_KEYS)
    before = keyring.snapshot()
    first, second = openapi_document(), openapi_document()
    assert keyring.snapshot() is before
    assert first == second
    document = json.loads(first)
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/auth/token" in document["paths"]


def test_ccr_sweep_runs_one_sweep_and_reports_counts(
    fresh_database: FreshDatabase,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from datetime import date

    from app import migrate
    from app.cli import main
    from app.config import get_settings
    from app.referrals.models import Referral
    from tests.factories import make_centre

    migrate.upgrade(fresh_database.url)
    engine = make_engine(fresh_database.url)
    try:
        with make_sessionmaker(engine)() as session:
            centre = make_centre(session, "SW")
            session.add(
                Referral(
                    centre_id=centre.id,
                    reference="SW-2019-0001",
                    source="self",
                    contact_type="supported",
                    received_on=date(2019, 1, 1),
                    status="closed",
                    closed_on=date(2019, 2, 1),
                )
            )
            session.commit()
    finally:
        engine.dispose()
    monkeypatch.setenv("CCR_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("CCR_JWT_SECRET", "x" * 40)
    monkeypatch.setenv("CCR_ENCRYPTION_KEYS", ",".join(TEST_KEYS))
    get_settings.cache_clear()
    try:
        main(["sweep", "--dry-run"])
        dry = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        main(["sweep"])
        real = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    finally:
        get_settings.cache_clear()
        keyring.configure(TEST_KEYS)
    assert (dry["dry_run"], dry["status"], dry["counts"]["referral_no_court"]) == (
        True,
        "completed",
        1,
    )
    assert (real["dry_run"], real["status"], real["counts"]["referral_no_court"]) == (
        False,
        "completed",
        1,
    )


def test_ccr_audit_seal_and_verify_report_and_fail_on_a_broken_chain(
    backend: str,
    fresh_database: FreshDatabase,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from sqlalchemy import text

    from app import migrate
    from app.audit import service as audit_service
    from app.cli import main
    from app.config import get_settings
    from tests.conftest import TEST_AUDIT_KEYS

    migrate.upgrade(fresh_database.url)
    engine = make_engine(fresh_database.url)
    try:
        with make_sessionmaker(engine)() as session:
            for _ in range(3):
                audit_service.append(session, [audit_service.AuditEntry(action="people_get")])
            session.commit()
        monkeypatch.setenv("CCR_DATABASE_URL", fresh_database.url)
        monkeypatch.setenv("CCR_JWT_SECRET", "x" * 40)
        monkeypatch.setenv("CCR_ENCRYPTION_KEYS", ",".join(TEST_KEYS))
        monkeypatch.setenv("CCR_AUDIT_HMAC_KEYS", ",".join(TEST_AUDIT_KEYS))
        monkeypatch.setenv("CCR_AUDIT_CHECKPOINT_FILE", str(tmp_path) + "/checkpoints")
        get_settings.cache_clear()
        try:
            main(["audit-seal"])
            assert json.loads(capsys.readouterr().out) == {"ran": True, "sealed": 3, "head": 3}
            main(["audit-verify"])
            verified = json.loads(capsys.readouterr().out)
            assert (verified["ok"], verified["checked"], verified["checkpoint_position"]) == (
                True,
                3,
                3,
            )
            with engine.begin() as conn:
                if backend == "postgresql":
                    conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
                conn.execute(text("UPDATE audit_event SET action = 'x' WHERE seq = 2"))
                if backend == "postgresql":
                    conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
            with pytest.raises(SystemExit) as broken:
                main(["audit-verify"])
            assert broken.value.code == 1
            assert json.loads(capsys.readouterr().out)["first_broken_seq"] == 2
        finally:
            get_settings.cache_clear()
            keyring.configure(TEST_KEYS)
    finally:
        engine.dispose()


def test_ccr_reapply_erasures_refuses_to_run_without_its_journal(
    fresh_database: FreshDatabase,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """A wrong CCR_ERASURE_JOURNAL would otherwise re-apply nothing and look like success."""
    from app import migrate
    from app.cli import main
    from app.config import get_settings

    migrate.upgrade(fresh_database.url)
    monkeypatch.setenv("CCR_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("CCR_JWT_SECRET", "x" * 40)
    monkeypatch.setenv("CCR_ENCRYPTION_KEYS", ",".join(TEST_KEYS))
    monkeypatch.setenv("CCR_ERASURE_JOURNAL", str(tmp_path / "missing"))
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as refused:
            main(["reapply-erasures"])
        assert refused.value.code == 1
        assert "no erasure journal" in capsys.readouterr().err
        (tmp_path / "missing").write_text("")
        main(["reapply-erasures"])
        assert json.loads(capsys.readouterr().out) == {"entries": 0}
    finally:
        get_settings.cache_clear()
        keyring.configure(TEST_KEYS)


def test_ccr_webhooks_deliver_runs_the_worker_once_or_in_a_loop(
    fresh_database: FreshDatabase,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import subprocess
    import sys
    import uuid

    from app import migrate
    from app.cli import main
    from app.config import get_settings
    from app.webhooks import outbox, signing
    from app.webhooks.models import EventType, WebhookSubscription
    from tests.factories import make_centre
    from tests.webhooks.receiver import receiver

    migrate.upgrade(fresh_database.url)
    environment = {
        "CCR_DATABASE_URL": fresh_database.url,
        "CCR_JWT_SECRET": "x" * 40,
        "CCR_ENCRYPTION_KEYS": ",".join(TEST_KEYS),
        "CCR_WEBHOOK_ALLOW_LOOPBACK": "true",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    keyring.configure(TEST_KEYS)
    engine = make_engine(fresh_database.url)
    with receiver() as hook:
        try:
            with make_sessionmaker(engine)() as session:
                centre = make_centre(session, "WH")
                session.add(
                    WebhookSubscription(
                        url=hook.url,
                        event_types=[EventType.breach_recorded.value],
                        secret=signing.new_secret(),
                        created_by_id=uuid.uuid4(),
                    )
                )
                session.flush()
                outbox.emit(session, EventType.breach_recorded, "breach", uuid.uuid4(), centre.id)
                session.commit()
            main(["webhooks", "deliver"])
            once = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
            assert (once["ran"], once["attempted"], once["delivered"]) == (True, 1, 1)
            assert len(hook.received) == 1
            with make_sessionmaker(engine)() as session:
                outbox.emit(session, EventType.breach_recorded, "breach", uuid.uuid4(), centre.id)
                session.commit()
            # --loop runs until SIGTERM, one report a run, and stops cleanly.
            loop = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "app.cli",
                    "webhooks",
                    "deliver",
                    "--loop",
                    "--interval",
                    "1",
                ],
                env={**os.environ, **environment},
                stdout=subprocess.PIPE,
                text=True,
            )
            try:
                first = json.loads(loop.stdout.readline())  # type: ignore[union-attr]
                second = json.loads(loop.stdout.readline())  # type: ignore[union-attr]
            finally:
                loop.terminate()
                code = loop.wait(timeout=30)
            assert (first["ran"], first["delivered"]) == (True, 1)
            assert (second["ran"], second["attempted"]) == (True, 0)
            assert code == 0 and len(hook.received) == 2
        finally:
            engine.dispose()
            get_settings.cache_clear()
            keyring.configure(TEST_KEYS)
