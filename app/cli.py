"""The `ccr` command: serve, migrate, create-user, sweep, audit-seal, audit-verify, rotate-keys,
backup, restore, reapply-erasures, openapi."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from pathlib import Path

from app.config import ConfigError, Env, Settings, get_settings
from app.db import make_engine, make_sessionmaker

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def _settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        print(f"ccr: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def migrate_and_bootstrap(settings: Settings) -> None:
    """Bring the schema to head; on an empty database create the first naccc_staff account."""
    from app import migrate
    from app.security.encryption import keyring
    from app.users import service as users_service

    if settings.is_sqlite:
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    # As the owner role; then the app role gets what it needs and no more (DESIGN §6).
    migrate.upgrade(settings.migration_url)
    app_role = migrate.grant_app_role(settings.migration_url, settings.database_url)
    if app_role:
        print(f"granted the app role {app_role} its privileges (audit tables: INSERT, SELECT)")
    keyring.configure(settings.encryption_keys)
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            created = users_service.bootstrap_first_account(
                session, settings.bootstrap_email, settings.bootstrap_password
            )
            session.commit()
    finally:
        engine.dispose()
    if created is None:
        return
    user, one_time = created
    if one_time:
        print("=" * 72)
        print("First naccc_staff account created. This password is shown only once:")
        print(f"  email:    {user.email}")
        print(f"  password: {one_time}")
        print("=" * 72, flush=True)
    else:
        print(f"First naccc_staff account created for {user.email} (password from settings)")


def refuse_privileged_app_role(settings: Settings) -> None:
    """Production refuses an app role that could rewrite the audit trail; elsewhere a warning."""
    from app import migrate

    problems = migrate.app_role_problems(settings.database_url)
    if not problems:
        return
    message = (
        "; ".join(problems)
        + ": run the app as a role that may only INSERT and SELECT the audit tables "
        "(CCR_DATABASE_URL) and migrate as the owner (CCR_MIGRATION_DATABASE_URL)"
    )
    if settings.env == Env.prod:
        print(f"ccr: {message}; refusing to start", file=sys.stderr)
        raise SystemExit(2)
    logging.getLogger(__name__).warning("%s", message)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = _settings()
    migrate_and_bootstrap(settings)
    refuse_privileged_app_role(settings)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
        proxy_headers=False,
        # Our own access log carries request ids and no client addresses.
        access_log=False,
    )


def cmd_migrate(args: argparse.Namespace) -> None:
    migrate_and_bootstrap(_settings())


def cmd_create_user(args: argparse.Namespace) -> None:
    from sqlalchemy import select

    from app.centres.models import Centre
    from app.security.encryption import keyring
    from app.users import service as users_service
    from app.users.schemas import UserCreate

    settings = _settings()
    keyring.configure(settings.encryption_keys)
    password = getpass.getpass("Password (empty: generate one): ") if args.ask_password else None
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            centre_ids = [
                session.scalars(select(Centre.id).where(Centre.code == code)).one()
                for code in args.centre
            ]
            data = UserCreate(
                email=args.email,
                full_name=args.name,
                role=args.role,
                centre_ids=centre_ids,
                password=password or None,
            )
            user, one_time = users_service.create(session, data)
            session.commit()
    finally:
        engine.dispose()
    print(f"created {user.role} {user.id}")
    if one_time:
        print(f"one-time password (shown once): {one_time}")


def cmd_sweep(args: argparse.Namespace) -> None:
    """Run one retention sweep now, under the same lock as the scheduler and the API."""
    from app.retention import sweep as retention_sweep
    from app.retention.models import Sweep
    from app.security.encryption import keyring
    from app.time import today_in_london

    settings = _settings()
    keyring.configure(settings.encryption_keys)
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    try:
        options = retention_sweep.SweepOptions(
            today=today_in_london(), dry_run=args.dry_run, trigger="cli"
        )
        sweep_id = retention_sweep.run(engine, sessions, options)
        with sessions() as session:
            sweep = session.get(Sweep, sweep_id)
            assert sweep is not None
            print(
                json.dumps(
                    {
                        "id": str(sweep.id),
                        "status": sweep.status,
                        "dry_run": sweep.dry_run,
                        "counts": sweep.counts,
                    },
                    sort_keys=True,
                )
            )
    finally:
        engine.dispose()


def cmd_webhooks_deliver(args: argparse.Namespace) -> None:
    """Run the webhook worker on its own (the API's process need not): announce what fell due,
    send pending deliveries, purge the finished ones; once, or every interval with --loop until
    SIGINT or SIGTERM. One JSON line per run; `"ran": false` when another runner holds the lock."""
    import signal
    import threading

    import httpx

    from app.security.encryption import keyring
    from app.webhooks import worker

    settings = _settings()
    keyring.configure(settings.encryption_keys)
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    policy = worker.policy_for(settings)
    interval = args.interval or settings.webhook_interval_seconds
    if interval < 1:
        raise SystemExit("--interval must be at least 1 second")
    stop = threading.Event()
    if args.loop:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    try:
        with httpx.Client() as http:
            while not stop.is_set():
                result = worker.run_once(engine, sessions, http, policy=policy)
                report: dict[str, object] = {"ran": result is not None}
                if result is not None:
                    report.update(
                        {
                            name: getattr(result, name)
                            for name in (
                                "announced",
                                "attempted",
                                "delivered",
                                "failed_attempts",
                                "gave_up",
                                "purged",
                            )
                        }
                    )
                print(json.dumps(report, sort_keys=True), flush=True)
                if not args.loop:
                    break
                stop.wait(interval)
    finally:
        engine.dispose()


def cmd_audit_seal(args: argparse.Namespace) -> None:
    """Seal what requests appended, now, under the same lock as the scheduler's sealer."""
    from app.audit import sealer
    from app.main import audit_chain

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        result = sealer.seal(engine, make_sessionmaker(engine), audit_chain(settings))
    finally:
        engine.dispose()
    print(json.dumps({"ran": result.ran, "sealed": result.sealed, "head": result.head_position}))


def cmd_audit_verify(args: argparse.Namespace) -> None:
    """Verify the sealed chain; exit status 1 when it is broken."""
    from app.audit import service as audit_service
    from app.main import audit_chain

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            result = audit_service.verify(session, audit_chain(settings))
    finally:
        engine.dispose()
    print(
        json.dumps(
            {
                "ok": result.ok,
                "checked": result.checked,
                "first_broken_seq": result.first_broken_seq,
                "reason": result.reason,
                "sealed_through": result.sealed_through,
                "checkpoint_position": result.checkpoint_position,
                "unsealed": result.unsealed,
                "oldest_unsealed_at": (
                    result.oldest_unsealed_at.isoformat() if result.oldest_unsealed_at else None
                ),
            },
            sort_keys=True,
        )
    )
    if not result.ok:
        raise SystemExit(1)


def cmd_rotate_keys(args: argparse.Namespace) -> None:
    """Re-encrypt everything under the first key of CCR_ENCRYPTION_KEYS, in batches."""
    from app.ops import keys

    settings = _settings()
    tty = sys.stderr.isatty()

    def progress(column: keys.ColumnReport, total: int) -> None:
        line = f"{column.table}.{column.column}: {column.examined}/{total}"
        if tty:
            width = 30
            filled = width * column.examined // total if total else width
            print(f"\r[{'#' * filled}{'.' * (width - filled)}] {line}", end="", file=sys.stderr)
        else:
            print(line, file=sys.stderr)

    engine = make_engine(settings.database_url)
    try:
        report = keys.rotate(
            engine, settings.encryption_keys, batch_size=args.batch_size, progress=progress
        )
    except keys.UndecryptableError as exc:
        print(f"\nccr: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc
    finally:
        engine.dispose()
    if tty:
        print(file=sys.stderr)
    print(
        json.dumps(
            {
                "reencrypted": report.reencrypted,
                "columns": [vars(c) for c in report.columns],
            },
            sort_keys=True,
        )
    )


def cmd_backup(args: argparse.Namespace) -> None:
    """Dump the database and write its manifest (what else a restore needs)."""
    from app.ops import backup

    settings = _settings()
    out = Path(args.output) if args.output else settings.data_dir / "backups" / _stamp()
    try:
        manifest = backup.backup(
            settings.database_url, out, settings.encryption_keys, settings.audit_hmac_keys
        )
    except backup.BackupError as exc:
        print(f"ccr: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc
    print(json.dumps({"backup": str(out), "created_at": manifest.created_at}, sort_keys=True))


def cmd_restore(args: argparse.Namespace) -> None:
    """Restore a backup into a new database, then bring its schema to head."""
    from app import migrate
    from app.ops import backup

    settings = _settings()
    target = args.database_url or settings.database_url
    try:
        manifest = backup.restore(Path(args.backup), target, settings.encryption_keys)
    except backup.BackupError as exc:
        print(f"ccr: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc
    migrate.upgrade(target)
    print(
        json.dumps(
            {"restored": args.backup, "backup_created_at": manifest.created_at}, sort_keys=True
        )
    )


def cmd_reapply_erasures(args: argparse.Namespace) -> None:
    """Apply again the journaled erasures a restored database does not reflect (README
    "Backups"); one JSON line per journal entry, then the totals."""
    from collections import Counter
    from dataclasses import asdict

    from app.security.encryption import keyring
    from app.subject_requests import service as requests_service
    from app.subject_requests.journal import ErasureJournal

    settings = _settings()
    keyring.configure(settings.encryption_keys)
    journal = ErasureJournal(settings.erasure_journal_path)
    if not journal.path.is_file():
        print(f"ccr: no erasure journal at {journal.path} (CCR_ERASURE_JOURNAL)", file=sys.stderr)
        raise SystemExit(1)
    engine = make_engine(settings.database_url)
    totals: Counter[str] = Counter()
    try:
        sessions = make_sessionmaker(engine)
        for entry in journal.entries():
            # One transaction per erasure: an interrupted run is simply run again.
            with sessions() as session:
                done = requests_service.reapply_erasure(session, entry)
                session.commit()
            totals[done.outcome] += 1
            line = {k: v for k, v in asdict(done).items() if v is not None}
            print(json.dumps(line, default=str, sort_keys=True))
    finally:
        engine.dispose()
    print(json.dumps({"entries": sum(totals.values()), **totals}, sort_keys=True))


def _stamp() -> str:
    from app.db import utcnow

    return utcnow().strftime("%Y%m%dT%H%M%SZ")


def openapi_document() -> str:
    from cryptography.fernet import Fernet

    from app.main import create_app
    from app.security.encryption import keyring

    settings = Settings(env="test", jwt_secret="openapi", database_url="sqlite://")
    settings.encryption_keys = [Fernet.generate_key().decode()]
    previous_keys = keyring.snapshot()
    try:
        document = create_app(settings).openapi()
    finally:
        keyring.restore(previous_keys)
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def cmd_openapi(args: argparse.Namespace) -> None:
    document = openapi_document()
    if args.output == "-":
        sys.stdout.write(document)
        return
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(document)
    print(f"wrote {args.output}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="ccr", description="Contact Centre Records")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, bootstrap, and serve the API")
    serve.add_argument("--host", default=None, help="default: CCR_HOST")
    serve.add_argument("--port", type=int, default=None, help="default: CCR_PORT")
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    migrate = commands.add_parser("migrate", help="upgrade the database to the latest schema")
    migrate.set_defaults(func=cmd_migrate)

    create_user = commands.add_parser("create-user", help="create a user account")
    create_user.add_argument("--email", required=True)
    create_user.add_argument("--name", required=True)
    create_user.add_argument("--role", required=True, choices=["naccc_staff", "centre_staff"])
    create_user.add_argument("--centre", action="append", default=[], help="centre code (repeat)")
    create_user.add_argument("--ask-password", action="store_true", help="prompt for a password")
    create_user.set_defaults(func=cmd_create_user)

    sweep = commands.add_parser("sweep", help="run one retention sweep now")
    sweep.add_argument("--dry-run", action="store_true", help="count what is due; delete nothing")
    sweep.set_defaults(func=cmd_sweep)

    webhooks = commands.add_parser("webhooks", help="the webhook delivery worker")
    webhook_commands = webhooks.add_subparsers(dest="webhooks_command", required=True)
    deliver = webhook_commands.add_parser(
        "deliver", help="announce what fell due, send pending deliveries, purge finished ones"
    )
    deliver.add_argument(
        "--loop", action="store_true", help="run again every interval until stopped"
    )
    deliver.add_argument(
        "--interval",
        type=int,
        default=None,
        help="seconds between runs (CCR_WEBHOOK_INTERVAL_SECONDS)",
    )
    deliver.set_defaults(func=cmd_webhooks_deliver)

    audit_seal = commands.add_parser("audit-seal", help="seal the audit rows written so far")
    audit_seal.set_defaults(func=cmd_audit_seal)

    audit_verify = commands.add_parser("audit-verify", help="verify the sealed audit chain")
    audit_verify.set_defaults(func=cmd_audit_verify)

    rotate = commands.add_parser(
        "rotate-keys", help="re-encrypt every encrypted value under the first encryption key"
    )
    rotate.add_argument("--batch-size", type=int, default=500, help="rows per transaction")
    rotate.set_defaults(func=cmd_rotate_keys)

    backup = commands.add_parser("backup", help="dump the database with its manifest")
    backup.add_argument("--output", default=None, help="a new folder (default: var/backups/…)")
    backup.set_defaults(func=cmd_backup)

    restore = commands.add_parser("restore", help="restore a backup into a new database")
    restore.add_argument("backup", help="the backup's folder")
    restore.add_argument("--database-url", default=None, help="default: CCR_DATABASE_URL")
    restore.set_defaults(func=cmd_restore)

    reapply = commands.add_parser(
        "reapply-erasures",
        help="after a restore: apply again the erasures of the journal the database lacks",
    )
    reapply.set_defaults(func=cmd_reapply_erasures)

    openapi = commands.add_parser("openapi", help="write the OpenAPI contract")
    openapi.add_argument("--output", default=str(OPENAPI_PATH), help="path, or - for stdout")
    openapi.set_defaults(func=cmd_openapi)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
