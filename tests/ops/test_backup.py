"""Backup and restore drill: back up, destroy, restore into a new database, and everything still
works: the audit chain verifies, documents decrypt, and the next sweep disposes as before."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app import migrate
from app.main import create_app
from app.ops import backup
from app.retention import sweep as sweeps
from app.retention.models import Disposal
from tests.cases.factories import PDF_BYTES, family, make_case_document
from tests.conftest import TEST_KEYS, FreshDatabase, settings_for
from tests.factories import World

SWEEP_DAY = date(2026, 11, 30)


class Site:
    """An app on its own database, as a centre runs it."""

    def __init__(self, url: str) -> None:
        self.app = create_app(settings_for(url))
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
