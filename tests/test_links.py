"""The contract a client can drive: links from creates and lists to every operation that takes an
id, `Location` on every 201, and CORS for a page on another origin."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from app.api.links import created_resources
from app.cli import openapi_document
from app.main import create_app
from tests.conftest import settings_for
from tests.factories import World
from tests.matrix import Row, all_rows

DOCUMENT = json.loads(openapi_document())
# Operations with a path parameter that no link reaches, each with its reason. Empty: every one
# is reached from a create or a list.
NOT_LINKED: dict[str, str] = {}


def _link_targets() -> set[str]:
    return {
        link["operationId"]
        for operations in DOCUMENT["paths"].values()
        for operation in operations.values()
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
    }


def test_every_operation_taking_an_id_is_the_target_of_a_link() -> None:
    targets = _link_targets()
    unreached = {
        operation["operationId"]
        for path, operations in DOCUMENT["paths"].items()
        if "{" in path
        for operation in operations.values()
        if operation["operationId"] not in targets
    }
    assert unreached <= set(NOT_LINKED), sorted(unreached - set(NOT_LINKED))


def test_links_name_real_operations_and_fill_every_parameter() -> None:
    operations = {
        op["operationId"]: path for path, ops in DOCUMENT["paths"].items() for op in ops.values()
    }
    for path, ops in DOCUMENT["paths"].items():
        for op in ops.values():
            for response in op["responses"].values():
                for link in response.get("links", {}).values():
                    target = operations[link["operationId"]]
                    needed = {p[1:-1] for p in target.split("/") if p.startswith("{")}
                    assert set(link["parameters"]) == needed, (op["operationId"], link)


def test_every_201_documents_its_location() -> None:
    for ops in DOCUMENT["paths"].values():
        for op in ops.values():
            created = op["responses"].get("201")
            if created is not None:
                assert "Location" in created.get("headers", {}), op["operationId"]


CREATES = [row for row in all_rows() if row.method == "POST" and row.expected("naccc_staff") == 201]


@pytest.mark.parametrize("row", CREATES, ids=[r.id for r in CREATES])
def test_every_create_answers_with_a_location_that_can_be_read(
    client: TestClient, world: World, row: Row
) -> None:
    call = row.call(world)
    response = client.request(
        row.method,
        row.path.format(**call.path_params),
        json=call.json,
        data=call.data,
        files=call.files,
        params=call.params,
        headers={**world.headers("naccc_staff"), **call.headers},
    )
    assert response.status_code == 201, response.text
    location = response.headers.get("location")
    assert location, f"{row.id} answered 201 without Location"
    assert location.startswith("/api/v1/")
    created = next(
        c
        for op, c in created_resources(DOCUMENT).items()
        if c.location_path and (DOCUMENT["paths"][row.path]["post"]["operationId"] == op)
    )
    if created.item_path is not None and "get" in DOCUMENT["paths"][created.item_path]:
        read = client.get(location, headers=world.headers("naccc_staff"))
        assert read.status_code == 200, (location, read.text)
        assert read.json()["id"] == response.json()["id"]


ORIGIN = "https://app.centre.example.org"


@pytest.fixture
def cors_client() -> TestClient:
    app = create_app(settings_for("sqlite://", cors_origins=[ORIGIN]))
    return TestClient(app)


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
def test_a_preflight_from_an_allowed_origin_succeeds(cors_client: TestClient, method: str) -> None:
    response = cors_client.options(
        "/api/v1/people",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type, if-match, "
            "idempotency-key",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert method in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    for header in ("authorization", "if-match", "idempotency-key"):
        assert header in allowed


def test_an_allowed_page_can_read_etag_location_retry_after_and_request_id(
    cors_client: TestClient,
) -> None:
    response = cors_client.get("/healthz", headers={"Origin": ORIGIN})
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert {"etag", "location", "retry-after", "x-request-id"} <= exposed


def test_an_unlisted_origin_gets_no_cors_headers(cors_client: TestClient) -> None:
    preflight = cors_client.options(
        "/api/v1/people",
        headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"},
    )
    actual = cors_client.get("/healthz", headers={"Origin": "https://evil.example.com"})
    for response in (preflight, actual):
        assert not any(k.lower().startswith("access-control-") for k in response.headers)
