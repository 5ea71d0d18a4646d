"""Backups and restores, with a manifest of what else a restore needs.

PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore` into a new, empty database.
SQLite: the online backup API (a consistent copy while the app runs).

The manifest names the schema revision, the dump's sha256, and fingerprints (never values) of
the keys the data needs: a restore without them is a database nobody can read. Restoring an older
backup brings back what was disposed of or erased since: the next sweep disposes again, and
`ccr reapply-erasures` erases again from the erasure journal; see README "Backups".
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from app.db import make_engine, utcnow

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why."""


@dataclass
class Manifest:
    format_version: int
    created_at: str
    backend: str
    dump_file: str
    dump_sha256: str
    dump_bytes: int
    schema_revision: str | None
    # sha256 of each key, first 16 hex digits: enough to match keys, useless to an attacker.
    encryption_key_fingerprints: list[str]
    # The audit chain's HMAC key ids (never the secrets): every one must be configured again.
    audit_key_ids: list[str]
    needs: list[str]

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)


NEEDS = [
    "CCR_ENCRYPTION_KEYS: a key list holding every fingerprint above (the data cannot be read"
    " without them)",
    "CCR_AUDIT_HMAC_KEYS: every audit key id listed above (a seal made with a key you no longer"
    " hold fails verify)",
    "the audit checkpoint file (CCR_AUDIT_CHECKPOINT_FILE), copied with this dump: it records the"
    " chain's head; after restoring an older backup archive it and start a new one",
    "the erasure journal (CCR_ERASURE_JOURNAL), kept apart from the dumps and never rolled back"
    " with them: after a restore `ccr reapply-erasures` applies again the erasures completed"
    " since this backup (UK GDPR Art 17)",
    "CCR_JWT_SECRET or the RS256 key files (otherwise every issued token stops working, which is"
    " safe)",
]


def key_fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def backup(
    database_url: str,
    out_dir: Path,
    encryption_keys: list[str],
    audit_hmac_keys: list[str] | None = None,
) -> Manifest:
    """Write a dump and its manifest into `out_dir` (created; must not hold a manifest yet)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if (out_dir / MANIFEST_NAME).exists():
        raise BackupError(f"{out_dir} already holds a backup; choose a new folder")
    url = make_url(database_url)
    created = utcnow()
    revision = _revision(database_url)
    if url.get_backend_name() == "sqlite":
        dump = out_dir / "ccr.sqlite3"
        _sqlite_copy(Path(url.database or ""), dump)
        backend = "sqlite"
    elif url.get_backend_name() == "postgresql":
        dump = out_dir / "ccr.pgdump"
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", _libpq(url)])
        backend = "postgresql"
    else:
        raise BackupError(f"no backup method for {url.get_backend_name()}")
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        created_at=created.isoformat(),
        backend=backend,
        dump_file=dump.name,
        dump_sha256=_sha256(dump),
        dump_bytes=dump.stat().st_size,
        schema_revision=revision,
        encryption_key_fingerprints=[key_fingerprint(k) for k in encryption_keys],
        audit_key_ids=[k.partition(":")[0] for k in audit_hmac_keys or []],
        needs=NEEDS,
    )
    (out_dir / MANIFEST_NAME).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    return manifest


def read_manifest(backup_dir: Path) -> Manifest:
    try:
        raw = json.loads((backup_dir / MANIFEST_NAME).read_text())
        manifest = Manifest(**raw)
    except (OSError, ValueError, TypeError) as exc:
        raise BackupError(f"{backup_dir} holds no readable {MANIFEST_NAME}") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise BackupError(f"unknown backup format {manifest.format_version}")
    return manifest


def restore(backup_dir: Path, database_url: str, encryption_keys: list[str]) -> Manifest:
    """Restore into a new, empty database; checks the dump's digest and the keys first."""
    manifest = read_manifest(backup_dir)
    dump = backup_dir / manifest.dump_file
    if not dump.is_file() or _sha256(dump) != manifest.dump_sha256:
        raise BackupError("the dump does not match its manifest's sha256; it is damaged")
    have = {key_fingerprint(k) for k in encryption_keys}
    missing = [f for f in manifest.encryption_key_fingerprints if f not in have]
    if missing:
        raise BackupError(
            "CCR_ENCRYPTION_KEYS lacks keys the backup was made with (fingerprints "
            + ", ".join(missing)
            + "); without them its encrypted data cannot be read"
        )
    url = make_url(database_url)
    if url.get_backend_name() != manifest.backend:
        raise BackupError(f"a {manifest.backend} backup restores into {manifest.backend} only")
    if manifest.backend == "sqlite":
        target = Path(url.database or "")
        if target.exists() and target.stat().st_size > 0:
            raise BackupError(f"{target} exists; restore into a new database file")
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(dump, target)
    else:
        _create_empty_postgres(url)
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={_libpq(url)}",
                str(dump),
            ]
        )
    return manifest


def _revision(database_url: str) -> str | None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _sqlite_copy(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        src.close()
        dst.close()


def _create_empty_postgres(url: URL) -> None:
    target = url.set(drivername="postgresql+psycopg")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            found = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
            )
            if not found:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()
    engine = create_engine(target)
    try:
        with engine.connect() as conn:
            if inspect(conn).get_table_names():
                raise BackupError(
                    f"database {target.database} is not empty; restore into a new database"
                )
    finally:
        engine.dispose()


def _libpq(url: URL) -> str:
    """The URL as pg_dump and pg_restore read it (no SQLAlchemy driver suffix)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL client tools)")
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:500]}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
