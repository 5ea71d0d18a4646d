"""The example script in scripts/ files an access request and downloads the package."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories import World
from tests.subject_requests.factories import family_case
from tests.subject_requests.test_router import URL, act, release_and_complete

SCRIPT = Path(__file__).parents[2] / "scripts" / "subject_access.py"


def load_script():
    spec = importlib.util.spec_from_file_location("subject_access", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_files_once_waits_and_downloads_the_package(
    client: TestClient, world: World, db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = load_script()
    case = family_case(db, world.centre_a)
    created = client.post(
        "/api/v1/service-clients",
        json={
            "name": "SAR script",
            "permissions": ["requests:read", "requests:write", "requests:export"],
        },
        headers=world.headers("naccc_staff"),
    ).json()
    monkeypatch.setenv("CCR_CLIENT_ID", created["client_id"])
    monkeypatch.setenv("CCR_CLIENT_SECRET", created["client_secret"])
    out = tmp_path / "package.json"
    argv = [
        "--subject-id",
        str(case.mother.id),
        "--received-on",
        "2026-11-02",
        "--wait-minutes",
        "0",
        "--out",
        str(out),
    ]

    assert script.main(argv, client=client) == 3  # filed; staff have not completed it yet
    assert not out.exists()
    staff = world.headers("centre_staff")
    [request] = client.get(URL, params={"subject_id": str(case.mother.id)}, headers=staff).json()[
        "items"
    ]
    request = act(client, world, request, "verify-identity", verified_on="2026-11-03").json()
    assert release_and_complete(client, world, request).status_code == 200

    assert script.main(argv, client=client) == 0  # the rerun finds the same request
    listed = client.get(URL, params={"subject_id": str(case.mother.id)}, headers=staff).json()
    assert len(listed["items"]) == 1
    package = json.loads(out.read_text())
    assert package["kind"] == "access" and package["subject"]["full_name"] == "Rita Resident"
    assert package["state"] == "released"
    released = client.get(f"{URL}/{request['id']}/release", headers=staff).json()
    assert hashlib.sha256(out.read_bytes()).hexdigest() == released["files"]["package.json"]

    bundle = tmp_path / "package.zip"
    zipped = [*argv[:-1], str(bundle), "--format", "zip"]
    assert script.main(zipped, client=client) == 0
    assert hashlib.sha256(bundle.read_bytes()).hexdigest() == released["sha256"]
