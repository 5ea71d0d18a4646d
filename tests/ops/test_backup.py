"""Backup and restore drill: back up, destroy, restore into a new database, and everything still
works: the audit chain verifies, documents decrypt, the next sweep disposes as before, and
`ccr reapply-erasures` applies again the erasures completed after the backup."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app import migrate
from app.audit import sealer
from app.audit.models import AuditEvent
from app.cli import main
from app.config import get_settings
from app.db import Base
from app.main import create_app
from app.ops import backup
from app.referrals.models import Referral
from app.retention import sweep as sweeps
from app.retention.models import Disposal
from app.security.encryption import keyring
from app.subject_requests.models import SubjectRequest
from tests.cases.factories import (
    PDF_BYTES,
    add_party,
    family,
    make_case_document,
    make_person,
    make_referral,
)
from tests.conftest import TEST_KEYS, FreshDatabase, settings_for
from tests.factories import World
from tests.subject_requests.test_erasure import (
    EMAIL,
    NAME,
    erasure_request,
    preview,
    settled_family_case,
    text_hits,
)
from tests.subject_requests.test_router import act

LONER_NAME, LONER_EMAIL = "Lena Loner", "lena.loner@example.com"

SWEEP_DAY = date(2026, 11, 30)


class Site:
    """An app on its own database, as a centre runs it."""

    def __init__(self, url: str, **settings: object) -> None:
        self.app = create_app(settings_for(url, **settings))
        self.client = TestClient(self.app)

    def close(self) -> None:
        self.client.close()
        self.app.state.engine.dispose()


@pytest.fixture
def source(fresh_database: FreshDatabase) -> Iterator[tuple[FreshDatabase, Site]]:
    migrate.upgrade(fresh_database.url)
    site = Site(fresh_database.url)
    yield fresh_database, site
    site.close()


def _restore_target(database: FreshDatabase, tmp_path: Path) -> FreshDatabase:
    """A name for a database that does not exist yet (restore creates it)."""
    target = object.__new__(FreshDatabase)
    target.backend = database.backend
    if database.backend == "sqlite":
        target.url = f"sqlite:///{tmp_path / 'restored.db'}"
    else:
        target.name = f"ccr_restored_{uuid.uuid4().hex[:8]}"
        target.url = database.url.rsplit("/", 1)[0] + "/" + target.name
    return target


def _destroy(database: FreshDatabase) -> None:
    if database.backend == "sqlite":
        Path(database.url.removeprefix("sqlite:///")).unlink()
    else:
        database.drop()


def _due(client: TestClient, world: World) -> dict[str, list[str]]:
    response = client.get("/api/v1/retention/due", headers=world.headers("naccc_staff"))
    assert response.status_code == 200, response.text
    return {
        rule["rule_key"]: sorted(item["record_id"] for item in rule["items"])
        for rule in response.json()["rules"]
    }


def _disposed(site: Site) -> set[tuple[str, str]]:
    with site.app.state.sessionmaker() as session:
        rows = session.execute(select(Disposal.record_type, Disposal.record_id)).all()
    return {(t, str(i)) for t, i in rows}


def _sweep(site: Site) -> None:
    sweeps.run(
        site.app.state.engine,
        site.app.state.sessionmaker,
        sweeps.SweepOptions(today=SWEEP_DAY, trigger="cli"),
    )


def test_restore_drill(source: tuple[FreshDatabase, Site], tmp_path: Path) -> None:
    database, site = source
    with site.app.state.sessionmaker() as session:
        world = World.build(session, site.app.state.settings)
        old_case = family(session, world.centre_a, status="closed", closed_on=date(2023, 1, 10))
        document = make_case_document(
            session, world.centre_a.id, {"referral_id": old_case.referral.id}
        )
        live_case = family(session, world.centre_a)
        live_document = make_case_document(
            session, world.centre_a.id, {"referral_id": live_case.referral.id}
        )
        session.commit()
        document_id, live_document_id = document.id, live_document.id
    headers = world.headers("naccc_staff")
    for doc in (document_id, live_document_id):
        assert site.client.get(f"/api/v1/documents/{doc}", headers=headers).status_code == 200
    due_before = _due(site.client, world)
    assert str(old_case.referral.id) in due_before["referral_no_court"]

    made = backup.backup(database.url, tmp_path / "backup", list(TEST_KEYS))
    assert json.loads((tmp_path / "backup" / "manifest.json").read_text())["dump_sha256"]
    # After the backup the original sweeps: these disposals are not in the backup.
    _sweep(site)
    disposed_after_backup = _disposed(site)
    assert ("referral", str(old_case.referral.id)) in disposed_after_backup
    site.close()
    _destroy(database)

    target = _restore_target(database, tmp_path)
    try:
        restored_manifest = backup.restore(tmp_path / "backup", target.url, list(TEST_KEYS))
        assert restored_manifest.created_at == made.created_at
        migrate.upgrade(target.url)
        restored = Site(target.url)
        try:
            verify = restored.client.get("/api/v1/audit-events/verify", headers=headers)
            assert verify.status_code == 200 and verify.json()["ok"] is True, verify.text
            content = restored.client.get(
                f"/api/v1/documents/{live_document_id}/content", headers=headers
            )
            assert content.status_code == 200 and content.content == PDF_BYTES
            # What the original disposed of after the backup is back, and due again.
            assert _due(restored.client, world) == due_before
            _sweep(restored)
            assert _disposed(restored) == disposed_after_backup
        finally:
            restored.close()
    finally:
        target.drop()


def _reapply(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], site: Site
) -> list[dict]:
    """`ccr reapply-erasures` against the site's database and journal: its JSON lines."""
    settings = site.app.state.settings
    for name, value in {
        "CCR_DATABASE_URL": settings.database_url,
        "CCR_JWT_SECRET": settings.jwt_secret,
        "CCR_ENCRYPTION_KEYS": ",".join(TEST_KEYS),
        "CCR_AUDIT_HMAC_KEYS": ",".join(settings.audit_hmac_keys),
        "CCR_AUDIT_CHECKPOINT_FILE": str(settings.checkpoint_path),
        "CCR_ERASURE_JOURNAL": str(settings.erasure_journal_path),
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    capsys.readouterr()
    try:
        main(["reapply-erasures"])
    finally:
        get_settings.cache_clear()
        keyring.configure(TEST_KEYS)
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_erasures_completed_after_the_backup_are_applied_again_after_a_restore(
    source: tuple[FreshDatabase, Site],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """UK GDPR Art 17 and the ICO's "put beyond use": a restore must not bring an erasure back."""
    database, site = source
    journal = site.app.state.erasure_journal
    with site.app.state.sessionmaker() as session:
        world = World.build(session, site.app.state.settings)
        case = settled_family_case(session, world, has_court_order=False)
        # Filed after the backup: their referral concerns only them and goes whole.
        loner = make_person(session, world.centre_a, full_name=LONER_NAME, email=LONER_EMAIL)
        referral = make_referral(
            session, world.centre_a, status="closed", closed_on=date(2026, 1, 20)
        )
        add_party(session, referral, loner, "referrer")
        session.commit()
    before_backup = erasure_request(site.client, world, case.mother)  # still open in the backup
    needles = [NAME, EMAIL, LONER_NAME, LONER_EMAIL]
    backup.backup(database.url, tmp_path / "backup", list(TEST_KEYS))

    after_backup = erasure_request(site.client, world, loner)
    for request in (before_backup, after_backup):
        plan = preview(site.client, world, request)
        done = act(site.client, world, request, "complete", plan_digest=plan["digest"])
        assert done.status_code == 200, done.text
    with site.app.state.sessionmaker() as session:
        assert text_hits(session, needles) == []
    assert [e.request_id for e in journal.entries()] == [
        uuid.UUID(before_backup["id"]),
        uuid.UUID(after_backup["id"]),
    ]
    site.close()
    _destroy(database)

    target = _restore_target(database, tmp_path)
    try:
        backup.restore(tmp_path / "backup", target.url, list(TEST_KEYS))
        migrate.upgrade(target.url)
        # The journal is kept apart from the dump: the restored site reads the same one.
        restored = Site(target.url, erasure_journal=journal.path)
        try:
            with restored.app.state.sessionmaker() as session:
                assert text_hits(session, needles)  # the erased data is back
                back = session.get(SubjectRequest, uuid.UUID(before_backup["id"]))
                assert back is not None and back.status == "in_progress"
                assert session.get(SubjectRequest, uuid.UUID(after_backup["id"])) is None

            first = _reapply(monkeypatch, capsys, restored)
            assert [(line.get("request_id"), line.get("outcome")) for line in first[:2]] == [
                (before_backup["id"], "reapplied"),
                (after_backup["id"], "reapplied"),
            ]
            # The second request itself is not in the backup, so its plan now lacks it.
            assert [line["same_plan"] for line in first[:2]] == [True, False]
            assert first[0]["counts"]["erased"]["person"] == 1
            assert first[1]["counts"]["erased"]["referral"] == 1
            assert first[-1] == {"entries": 2, "reapplied": 2}
            with restored.app.state.sessionmaker() as session:
                assert text_hits(session, needles) == []
                request = session.get(SubjectRequest, uuid.UUID(before_backup["id"]))
                assert request is not None and request.status == "completed"
                assert request.result is not None
                assert session.get(Referral, referral.id) is None
                events = session.scalars(
                    select(AuditEvent).where(
                        AuditEvent.action == "subject_requests_reapply_erasure"
                    )
                ).all()
                assert sorted(e.resource_id for e in events) == sorted(
                    [before_backup["id"], after_backup["id"]]
                )
                audited = json.dumps([e.details for e in events])
                assert all(needle not in audited for needle in needles)
                audit_rows = session.scalar(select(func.count()).select_from(AuditEvent))
            state = _rows(restored)

            second = _reapply(monkeypatch, capsys, restored)
            assert [line.get("outcome") for line in second[:2]] == ["already_applied"] * 2
            assert second[-1] == {"entries": 2, "already_applied": 2}
            assert _rows(restored) == state
            with restored.app.state.sessionmaker() as session:
                assert session.scalar(select(func.count()).select_from(AuditEvent)) == audit_rows

            sealer.seal(
                restored.app.state.engine,
                restored.app.state.sessionmaker,
                restored.app.state.audit_chain,
            )
            verify = restored.client.get(
                "/api/v1/audit-events/verify", headers=world.headers("naccc_staff")
            )
            assert verify.status_code == 200 and verify.json()["ok"] is True, verify.text
            assert verify.json()["unsealed"] == 0
        finally:
            restored.close()
    finally:
        target.drop()


def _rows(site: Site) -> dict[str, int]:
    """Row counts of every table: what a second run must leave as it is."""
    with site.app.state.sessionmaker() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def test_a_damaged_dump_or_a_missing_key_refuses_to_restore(
    source: tuple[FreshDatabase, Site], tmp_path: Path
) -> None:
    database, _site = source
    backup.backup(database.url, tmp_path / "b", list(TEST_KEYS))
    target = _restore_target(database, tmp_path)
    with pytest.raises(backup.BackupError, match="lacks keys"):
        backup.restore(tmp_path / "b", target.url, [TEST_KEYS[1]])
    dump = tmp_path / "b" / backup.read_manifest(tmp_path / "b").dump_file
    dump.write_bytes(dump.read_bytes() + b"tampered")
    with pytest.raises(backup.BackupError, match="damaged"):
        backup.restore(tmp_path / "b", target.url, list(TEST_KEYS))
    with pytest.raises(backup.BackupError, match="already holds a backup"):
        backup.backup(database.url, tmp_path / "b", list(TEST_KEYS))


def test_restore_refuses_a_database_that_is_not_empty(
    source: tuple[FreshDatabase, Site], tmp_path: Path
) -> None:
    database, _site = source
    backup.backup(database.url, tmp_path / "b", list(TEST_KEYS))
    with pytest.raises(backup.BackupError, match="restore into a new database"):
        backup.restore(tmp_path / "b", database.url, list(TEST_KEYS))
