"""Property-based fuzzing of the whole contract, in-process, with a naccc_staff token.

Every operation runs schemathesis' default checks (no server errors, documented status codes
and content types, response schemas, authentication not ignored, negative data rejected),
against the app bound to the test's transaction, on both databases.
"""

from __future__ import annotations

from typing import ClassVar

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import _openapi_positive_data_acceptance
from sqlalchemy import Connection

from app.main import create_app
from tests.conftest import settings_for
from tests.factories import World

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": 12},
        "checks": {
            # Run through `schema_valid_data_is_accepted` below (422 rule problems). Answers to
            # schema-valid input that the schema cannot foresee, each for its reason:
            # 401/403 the token's holder or role; 404 an id that does not exist (or is in a
            # centre the caller cannot see); 409 the record's current state (a closed referral,
            # a request already completed); 412 a well-formed version that is no longer current;
            # 413 a body over the size limit; 429 the login throttle.
            "positive_data_acceptance": {
                "enabled": False,
                "expected-statuses": ["2XX", "3XX", 401, 403, 404, 409, 412, 413, 429],
            },
            # 412: an If-Match that matches no version fails the precondition (RFC 9110 §13.1.1).
            "negative_data_rejection": {
                "expected-statuses": [
                    400,
                    401,
                    403,
                    404,
                    405,
                    406,
                    409,
                    412,
                    413,
                    415,
                    422,
                    428,
                    429,
                ]
            },
        },
    }
)
# The stateful phase: bounded and seeded (derandomize), so `make test` stays fast and repeatable.
STATEFUL_EXAMPLES = 30
STATEFUL_STEPS = 8
# Problem types that answer well-formed input breaking a rule the schema cannot express (a
# financial-year end of 31 February, an expiry in the past, a cursor the API never issued).
# `webhook-address-refused`: a webhook URL's host that is or resolves to an internal address
# (app/webhooks/addresses.py); what a name resolves to cannot be expressed in JSON Schema.
RULE_PROBLEMS = (
    "unprocessable",
    "invalid-cursor",
    "idempotency-key-reused",
    "webhook-address-refused",
)


@schemathesis.check
def schema_valid_data_is_accepted(ctx, response, case) -> bool | None:
    """schemathesis' positive_data_acceptance, except for documented business-rule problems:
    input the schema allows must never fail schema validation (`validation-error`) or parsing."""
    if response.status_code == 422:
        problem_type = response.json().get("type", "")
        if problem_type.rsplit("/", 1)[-1] in RULE_PROBLEMS:
            return None
    config = ctx.config.positive_data_acceptance
    enabled, config.enabled = config.enabled, True
    try:
        return _openapi_positive_data_acceptance(ctx, response, case)
    finally:
        config.enabled = enabled


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


class FamilyJourney(schema.as_state_machine()):  # type: ignore[misc]
    """Stateful phase: schemathesis follows the contract's links from creates to the reads,
    updates and actions of what they made (a centre, a person, a referral, its documents...)."""

    centre_id: ClassVar[str] = ""
    connection: ClassVar[Connection | None] = None

    def setup(self) -> None:
        # Each scenario starts from the same records (the test's world), so that Hypothesis can
        # replay and shrink it: everything a scenario writes is rolled back after it.
        assert FamilyJourney.connection is not None
        self._scenario = FamilyJourney.connection.begin_nested()

    def teardown(self) -> None:
        self._scenario.rollback()

    def before_call(self, case) -> None:  # type: ignore[no-untyped-def]
        # A centre the token can see, so that creates can succeed and their links be followed
        # (a random UUID is a 422 "unknown centre" the schema cannot foresee).
        meta = case.meta
        positive = meta is None or meta.generation.mode.is_positive
        if positive and isinstance(case.body, dict) and "centre_id" in case.body:
            case.body = {**case.body, "centre_id": FamilyJourney.centre_id}


def test_api_survives_a_stateful_journey(
    app: FastAPI, world: World, backend: str, connection: Connection
) -> None:
    if backend != "sqlite":
        pytest.skip("the stateful phase runs on SQLite (bounded; the stateless phase covers both)")
    current_app.target = app
    CurrentToken.token = world.tokens["naccc_staff"]
    FamilyJourney.centre_id = str(world.centre_a.id)
    FamilyJourney.connection = connection
    FamilyJourney.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
    )
