"""Property-based fuzzing of the whole contract, in-process, with a naccc_staff token.

Every operation runs schemathesis' default checks (no server errors, documented status codes
and content types, response schemas, authentication not ignored, negative data rejected),
against the app bound to the test's transaction, on both databases.
"""

from __future__ import annotations

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import _openapi_positive_data_acceptance

from app.main import create_app
from tests.conftest import settings_for
from tests.factories import World

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": 12},
        "checks": {
            # A body over the size limit is refused with 413: a correct answer to bad data.
            "positive_data_acceptance": {"enabled": False},
            "negative_data_rejection": {
                "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]
            },
        },
    }
)
# Problem types that answer well-formed input breaking a rule the schema cannot express (a
# financial-year end of 31 February, an expiry in the past, a cursor the API never issued).
RULE_PROBLEMS = ("unprocessable", "invalid-cursor", "idempotency-key-reused")


@schemathesis.check
def schema_valid_data_is_accepted(ctx, response, case) -> bool | None:
    """schemathesis' positive_data_acceptance, except for documented business-rule problems:
    input the schema allows must never fail schema validation (`validation-error`) or parsing."""
    if response.status_code == 422:
        problem_type = response.json().get("type", "")
        if problem_type.rsplit("/", 1)[-1] in RULE_PROBLEMS:
            return None
    ctx.config.positive_data_acceptance.enabled = True
    return _openapi_positive_data_acceptance(ctx, response, case)


# Pydantic's EmailStr refuses special-use domains (.test, .local) that `format: email` allows.
schemathesis.openapi.format(
    "email",
    st.from_regex(r"\A[a-z][a-z0-9]{0,20}@example\.(com|org)\Z", fullmatch=True),
)


class CurrentApp:
    """An ASGI app that forwards to the app of the running test (bound to its transaction)."""

    def __init__(self) -> None:
        self.target = create_app(settings_for("sqlite://"))

    async def __call__(self, scope, receive, send) -> None:
        await self.target(scope, receive, send)


current_app = CurrentApp()
schema = schemathesis.openapi.from_asgi("/openapi.json", current_app, config=CONFIG)


@schema.auth(refresh_interval=None)
class CurrentToken:
    """The naccc_staff token of the running test's world; schemathesis drops it where a case
    tests a missing or invalid Authorization header."""

    token = ""

    def get(self, case: schemathesis.Case, ctx: object) -> str:
        return CurrentToken.token

    def set(self, case: schemathesis.Case, data: str, ctx: object) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=12)
def test_api_survives_fuzzing(case: schemathesis.Case, app: FastAPI, world: World) -> None:
    current_app.target = app
    CurrentToken.token = world.tokens["naccc_staff"]
    case.call_and_validate()
