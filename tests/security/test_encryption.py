"""Field encryption at rest and key rotation."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.security.encryption import KeyRing
from tests.factories import World


def test_every_configured_key_decrypts_and_the_first_encrypts() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = KeyRing()
    before.configure([old])
    token = before.encrypt(b"court order")

    after = KeyRing()
    after.configure([new, old])
    assert after.decrypt(token) == b"court order"
    rotated = after.rotate(token)
    only_new = KeyRing()
    only_new.configure([new])
    assert only_new.decrypt(rotated) == b"court order"
    assert only_new.decrypt(after.encrypt(b"x")) == b"x"
    with pytest.raises(RuntimeError):
        only_new.decrypt(token)


def test_a_keyring_needs_a_key() -> None:
    with pytest.raises(ValueError):
        KeyRing().configure([])


def test_replayable_responses_are_stored_encrypted(client: TestClient, world: World, db) -> None:
    response = client.post(
        "/api/v1/users",
        json={
            "email": "secret.person@example.org",
            "full_name": "Secret Person",
            "role": "centre_staff",
            "centre_ids": [str(world.centre_a.id)],
        },
        headers={**world.headers("naccc_staff"), "Idempotency-Key": "enc-1"},
    )
    assert response.status_code == 201
    raw = db.execute(text("SELECT body FROM idempotency_record")).scalars().all()
    assert raw and all(b"Secret Person" not in bytes(body) for body in raw)


def test_logs_carry_request_ids_and_no_personal_data(
    client: TestClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = client.post(
        "/api/v1/users",
        json={
            "email": "logged.person@example.org",
            "full_name": "Logged Person",
            "role": "centre_staff",
            "centre_ids": [str(world.centre_a.id)],
        },
        headers={**world.headers("naccc_staff"), "X-Request-ID": "req-abc-1"},
    )
    assert response.status_code == 201
    access = [r for r in caplog.records if r.name == "app.access"]
    assert access and access[-1].request_id == "req-abc-1"
    text_of_logs = "\n".join(r.getMessage() for r in caplog.records)
    assert "logged.person" not in text_of_logs and "Logged Person" not in text_of_logs
