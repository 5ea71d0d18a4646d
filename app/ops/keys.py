"""Key rotation: re-encrypt every encrypted column under the first configured key.

Run `ccr rotate-keys` after putting a new key first in `CCR_ENCRYPTION_KEYS` (old keys after it).
Each batch is its own transaction, so a run killed part-way keeps what it finished; a rerun skips
values already under the first key and re-encrypts the rest. A value changed by the app while a
batch runs is left alone (the app wrote it under the first key already). When a run reports
nothing left under an old key, that key can be removed from the settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Column, Engine, LargeBinary, Table, and_, bindparam, func, select, tuple_
from sqlalchemy.sql import type_coerce

from app.db import Base
from app.security.encryption import EncryptedBytes, EncryptedText

DEFAULT_BATCH_SIZE = 500


class UndecryptableError(RuntimeError):
    """A stored value opens with none of the configured keys: removing a key would lose data."""


@dataclass
class ColumnReport:
    table: str
    column: str
    examined: int = 0
    reencrypted: int = 0
    already_current: int = 0


@dataclass
class RotationReport:
    columns: list[ColumnReport] = field(default_factory=list)

    @property
    def reencrypted(self) -> int:
        return sum(c.reencrypted for c in self.columns)


Progress = Callable[[ColumnReport, int], None]


def encrypted_columns() -> Iterator[tuple[Table, Column[bytes]]]:
    """Every column stored encrypted, found from the models (a new one is covered by itself)."""
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText | EncryptedBytes):
                yield table, column


def rotate(
    engine: Engine,
    keys: list[str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> RotationReport:
    if not keys:
        raise ValueError("at least one encryption key is needed")
    first = Fernet(keys[0].encode())
    ring = MultiFernet([Fernet(k.encode()) for k in keys])
    report = RotationReport()
    for table, column in encrypted_columns():
        column_report = ColumnReport(table.name, column.name)
        report.columns.append(column_report)
        _rotate_column(engine, table, column, first, ring, batch_size, column_report, progress)
    return report


def _rotate_column(
    engine: Engine,
    table: Table,
    column: Column[bytes],
    first: Fernet,
    ring: MultiFernet,
    batch_size: int,
    report: ColumnReport,
    progress: Progress | None,
) -> None:
    keys = list(table.primary_key.columns)
    raw = type_coerce(column, LargeBinary)
    with engine.connect() as conn:
        total = conn.scalar(select(func.count()).select_from(table).where(column.is_not(None)))
    after: tuple[object, ...] | None = None
    while True:
        stmt = select(*keys, raw).where(column.is_not(None)).order_by(*keys).limit(batch_size)
        if after is not None:
            stmt = stmt.where(tuple_(*keys) > tuple_(*after))
        with engine.begin() as conn:
            rows = conn.execute(stmt).all()
            if not rows:
                return
            changes = []
            for row in rows:
                *pk, token = row
                report.examined += 1
                if _is_current(first, token):
                    report.already_current += 1
                    continue
                try:
                    changes.append((pk, token, ring.rotate(token)))
                except InvalidToken as exc:
                    raise UndecryptableError(
                        f"{table.name}.{column.name}: a value opens with none of the configured"
                        " keys; add the key it was written with"
                    ) from exc
            for pk, old, new in changes:
                where = and_(*(k == v for k, v in zip(keys, pk, strict=True)))
                result = conn.execute(
                    table.update()
                    .where(where, raw == type_coerce(bindparam("old"), LargeBinary))
                    .values({column.name: type_coerce(bindparam("new"), LargeBinary)}),
                    {"old": old, "new": new},
                )
                # 0 rows: the app rewrote the value meanwhile, under the first key.
                report.reencrypted += result.rowcount
            after = tuple(rows[-1][: len(keys)])
        if progress is not None:
            progress(report, int(total or 0))


def _is_current(first: Fernet, token: bytes) -> bool:
    try:
        first.decrypt(token)
    except InvalidToken:
        return False
    return True
