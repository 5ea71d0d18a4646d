"""`ccr rotate-keys`: everything re-encrypted under the first key, resumable, old key removable."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, LargeBinary, select
from sqlalchemy.sql import type_coerce

from app import migrate
from app.api.models import IdempotencyRecord
from app.db import make_engine, make_sessionmaker
from app.ops import keys
from app.people.models import Person
from app.security.encryption import keyring
from tests.conftest import TEST_KEYS, FreshDatabase
from tests.factories import make_centre

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def engine(fresh_database: FreshDatabase) -> Iterator[Engine]:
    migrate.upgrade(fresh_database.url)
    engine = make_engine(fresh_database.url)
    yield engine
    engine.dispose()
    keyring.configure(list(TEST_KEYS))


def _write_under(engine: Engine, key: str, people: int) -> list[uuid.UUID]:
    keyring.configure([key])
    with make_sessionmaker(engine)() as session:
        centre = make_centre(session, "RK")
        made = [
            Person(centre_id=centre.id, full_name="P", sensitive=f"health note {i}")
            for i in range(people)
        ]
        session.add_all(made)
        session.add(
            IdempotencyRecord(
                principal_id=uuid.uuid4(),
                key="k",
                method="POST",
                path="/api/v1/people",
                body_sha256="0" * 64,
                status_code=201,
                body=b'{"stored": "response"}',
            )
        )
        session.commit()
        return [p.id for p in made]


def _read_all(engine: Engine, key_list: list[str]) -> tuple[list[str | None], list[bytes]]:
    keyring.configure(key_list)
    with make_sessionmaker(engine)() as session:
        notes = sorted(session.scalars(select(Person.sensitive)), key=str)
        bodies = list(session.scalars(select(IdempotencyRecord.body)))
    return notes, bodies


def test_after_rotation_the_old_key_can_be_removed(engine: Engine) -> None:
    _write_under(engine, OLD, people=5)
    with pytest.raises(RuntimeError, match="cannot be decrypted"):
        _read_all(engine, [NEW])

    report = keys.rotate(engine, [NEW, OLD], batch_size=2)

    assert report.reencrypted == 6
    notes, bodies = _read_all(engine, [NEW])
    assert notes == [f"health note {i}" for i in range(5)]
    assert bodies == [b'{"stored": "response"}']
    again = keys.rotate(engine, [NEW, OLD])
    assert again.reencrypted == 0


def test_a_killed_run_resumes_without_redoing_work(engine: Engine) -> None:
    _write_under(engine, OLD, people=7)

    class Killed(Exception):
        pass

    def kill_after_first_batch(column: keys.ColumnReport, total: int) -> None:
        if column.table == "person":
            raise Killed

    with pytest.raises(Killed):
        keys.rotate(engine, [NEW, OLD], batch_size=3, progress=kill_after_first_batch)
    # The first batch was committed before the kill.
    with engine.connect() as conn:
        tokens = conn.scalars(select(type_coerce(Person.sensitive, LargeBinary))).all()
    assert sum(1 for t in tokens if keys._is_current(Fernet(NEW.encode()), t)) == 3

    resumed = keys.rotate(engine, [NEW, OLD], batch_size=3)

    person = next(c for c in resumed.columns if c.table == "person")
    assert (person.reencrypted, person.already_current) == (4, 3)
    notes, _ = _read_all(engine, [NEW])
    assert len(notes) == 7


def test_a_value_no_key_opens_stops_the_run(engine: Engine) -> None:
    _write_under(engine, OLD, people=1)
    with pytest.raises(keys.UndecryptableError, match="none of the configured keys"):
        keys.rotate(engine, [NEW])


def test_every_encrypted_column_is_found_from_the_models() -> None:
    found = {f"{t.name}.{c.name}" for t, c in keys.encrypted_columns()}
    assert {"person.sensitive", "document.content", "incident.description"} <= found
