"""Logs carry request ids, principal ids and route templates: never names, emails or bodies."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from app.ops.logs import JsonFormatter, formatter
from tests.factories import World

NAME = "Philippa Zanzibar-Quill"
EMAIL = "philippa.quill@example.com"
PHONE = "07700 900461"


def _all_formatted(records: list[logging.LogRecord]) -> list[str]:
    json_lines = [JsonFormatter().format(r) for r in records]
    text_lines = [formatter("text").format(r) for r in records]
    return json_lines + text_lines


def test_a_request_full_of_personal_data_leaves_none_in_the_logs(
    client: TestClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    headers = world.headers("centre_staff")
    body = {
        "centre_id": str(world.centre_a.id),
        "full_name": NAME,
        "email": EMAIL,
        "phone": PHONE,
        "address": "12 Quill Lane, Ely ZE7 4XX",
    }
    created = client.post("/api/v1/people", json=body, headers=headers)
    assert created.status_code == 201
    client.post("/api/v1/people", json={**body, "date_of_birth": NAME}, headers=headers)
    client.get(f"/api/v1/people/{EMAIL}", headers=headers)
    client.get("/api/v1/people", params={"name": NAME, "email": EMAIL}, headers=headers)
    client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": EMAIL, "password": NAME},
    )
    lines = _all_formatted([r for r in caplog.records if r.name.startswith(("app", "uvicorn"))])
    assert lines, "the requests were not logged at all"
    for line in lines:
        for secret in (NAME, EMAIL, PHONE, "Zanzibar", "philippa", "Quill Lane", "ZE7 4XX"):
            assert secret.lower() not in line.lower(), line


def test_each_request_writes_one_json_access_line(
    client: TestClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.access")
    response = client.get(
        "/api/v1/centres", headers={**world.headers("centre_staff"), "X-Request-ID": "req-42"}
    )
    assert response.status_code == 200
    access = [r for r in caplog.records if r.name == "app.access"]
    assert len(access) == 1
    event = json.loads(JsonFormatter().format(access[0]))
    assert event["request_id"] == "req-42"
    assert event["principal_id"] == str(world.staff_a.id)
    assert event["route"] == "/api/v1/centres"
    assert event["method"] == "GET"
    assert event["status"] == 200
    assert isinstance(event["duration_ms"], float)
