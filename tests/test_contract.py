"""The committed contract is what the app serves; every operation is documented honestly."""

from __future__ import annotations

import json

from app.cli import OPENAPI_PATH, openapi_document


def test_committed_openapi_matches_the_app() -> None:
    committed = OPENAPI_PATH.read_text()
    assert committed == openapi_document(), "openapi/openapi.json is stale: run `make openapi`"


def test_every_operation_has_a_stable_id_a_tag_and_problem_responses() -> None:
    document = json.loads(openapi_document())
    seen = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            op_id = operation["operationId"]
            assert op_id not in seen and "_" in op_id, (method, path)
            seen.add(op_id)
            assert operation.get("tags"), (method, path)
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (path, status)
            if operation.get("security"):
                assert "401" in operation["responses"], (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= set(operation["responses"]), (method, path)


def test_bearer_security_scheme_is_declared() -> None:
    document = json.loads(openapi_document())
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }
