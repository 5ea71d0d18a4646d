"""Property-based fuzzing of the whole contract, in-process, with a naccc_staff token.

Every operation runs schemathesis' default checks (no server errors, documented status codes
and content types, response schemas, authentication not ignored, negative data rejected),
against the app bound to the test's transaction, on both databases.
"""

from __future__ import annotations

import re
from typing import ClassVar
from unittest import mock

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi import stateful as openapi_stateful
from schemathesis.specs.openapi.checks import _openapi_positive_data_acceptance
from schemathesis.specs.openapi.stateful import classify_root_transitions
from sqlalchemy import Connection

from app.main import create_app
from tests.cases.factories import (
    family,
    make_attendance,
    make_complaint,
    make_disclosure,
    make_incident,
    make_session,
)
from tests.conftest import settings_for
from tests.factories import World

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": 12},
        # The stateful phase follows the contract's own links, not links schemathesis infers.
        "phases": {"stateful": {"inference": {"algorithms": []}}},
        "checks": {
            # Run through `schema_valid_data_is_accepted` below (422 rule problems). Answers to
            # schema-valid input that the schema cannot foresee, each for its reason:
            # 401/403 the token's holder or role; 404 an id that does not exist (or is in a
            # centre the caller cannot see); 409 the record's current state (a closed referral,
            # a request already completed); 412 a well-formed version that is no longer current;
            # 413 a body over the size limit; 415 an uploaded file whose bytes are not an accepted
            # type (read from its content, which a schema does not describe); 429 the login
            # throttle.
            "positive_data_acceptance": {
                "enabled": False,
                "expected-statuses": ["2XX", "3XX", 401, 403, 404, 409, 412, 413, 415, 429],
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
STATEFUL_EXAMPLES = 50
STATEFUL_STEPS = 10
# Problem types that answer well-formed input breaking a rule no JSON Schema can state; the
# contract documents each (the field's description and a 422 example on the operation).
RULE_PROBLEMS = (
    # A cursor is opaque: only one the API issued decodes to a place in the list.
    "invalid-cursor",
    # The key's first request is server state, not something this request's shape can show.
    "idempotency-key-reused",
    # A webhook URL's host that is or resolves to an internal address (app/webhooks/addresses.py):
    # what a name resolves to is not something JSON Schema can state.
    "webhook-address-refused",
)
# `unprocessable` problems are accepted only for these business rules (patterns of `detail`),
# each one a rule JSON Schema cannot state.
BUSINESS_RULES = (
    # Other records (database state): a record named in the body must exist in a centre the
    # caller may use, and what it is (a party of the referral, an adult, a child with a date of
    # birth, a session not cancelled, a request at the right step) decides what may be said.
    r"^Unknown [\w -]+$",
    r"^No such privacy policy version$",
    r"^No \w+ of this request's package has this id$",
    r"add it to the person first$",
    r"^A child party needs a date of birth",
    r"^A pre-visit is for an adult party",
    r"^Attendance is recorded for the parties",
    r"^Acceptance needs both parents",
    r"^Every visiting adult needs a pre-visit",
    r"^The person's data was erased$",
    r"^The person was 18 or over",
    r"^The child was not born when the incident occurred$",
    r"^The subject is not a third party to their own request$",
    r"^Sch 3 para 21 applies only when a parent asks",
    r"^Only an erasure request (has|is completed with) ",
    r"^Nobody attends a cancelled session",
    r"^Notes are kept only for supervised contact",
    r"^Only a formal written complaint has a follow-up$",
    r"^This complaint's follow-up was recorded",
    r"^Release the package before completing",
    r"^Record the UK GDPR Art 17\(1\) ground of this erasure request before",
    r"^Completing an erasure needs the digest",
    r"^The first version cannot reduce rights",
    # Against the server's clock ("today", "now") or a fixed day, which a schema cannot compare a
    # date with.
    r" is in the future$| must be in the future$|(and|than) today$| lasts at most ",
    r"2024-02-23$",
    # Between two fields' values (dates in order): JSON Schema compares no two values.
    r"^A session ends after it starts$",
    r"^A pause cannot be dated before",
    r"^A policy takes effect on or after its review$",
    r"^received_on would be after",
    # The parent named is not the child (requester_person_id and subject_id differ).
    r"^A child's request made by a parent names the parent$",
    # A whole calendar period that has ended: `from` and `to` together, and the clock.
    r"^Statistics are for one whole calendar month, quarter or year that has ended",
    # A day that exists in every year (no 29 February): a calendar rule, not a range.
    r"^The financial-year end is not a day of every year",
    # The bytes of an upload (a `format: binary` part has no length in JSON Schema).
    r"^The file is empty$",
)
# Rules a create's schema states (if/then on a kind or a status) that an update checks against the
# stored record: a PATCH may send one field of the pair, the other is the record's.
UPDATE_AGAINST_THE_RECORD = (
    r" names the child concerned$",
    r"^srs_reference is only for referrals from the Safe Referral System$",
    r"^An SRS referral needs its SRS reference$",
    r"^An absence needs a reason$|^An absence reason is recorded only for an absence$",
    r"^An absence for another reason needs a description$",
)


def is_documented_rule(problem: dict[str, object], method: str) -> bool:
    slug = str(problem.get("type", "")).rsplit("/", 1)[-1]
    detail = str(problem.get("detail") or "")
    if slug in RULE_PROBLEMS:
        return True
    rules = BUSINESS_RULES
    if method.upper() == "PATCH":
        rules += UPDATE_AGAINST_THE_RECORD
    return slug == "unprocessable" and any(re.search(rule, detail) for rule in rules)


@schemathesis.check
def schema_valid_data_is_accepted(ctx, response, case) -> bool | None:
    """schemathesis' positive_data_acceptance, except for the business rules listed above: input
    the schema allows must never fail schema validation (`validation-error`), parsing, or a rule
    the schema could have stated."""
    if response.status_code == 422 and is_documented_rule(response.json(), case.method):
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


# The family's journey: the case records of one centre (people, referrals and their parties and
# pre-visits, sessions and attendance, incidents, complaints, disclosures, documents, subject
# requests). Administration (users, centres, webhooks...) is covered by the stateless phase.
JOURNEY = (
    r"^/api/v1/(people|referrals|sessions|incidents|complaints|disclosures|documents"
    r"|subject-requests)"
)
# Where a request names a record (a body field, or a path parameter a link did not fill), the
# journey's record in the token's centre that it takes: a random UUID there is a 404, or a 422
# "unknown record", that no schema can foresee.
NAMED_RECORDS = {
    "centre_id": "centre",
    "centre_ids": "centre",
    "referral_id": "referral",
    "person_id": "resident",
    "person_ids": "resident",
    "requester_person_id": "resident",
    "subject_id": "resident",
    "complainant_id": "resident",
    "child_id": "child",
    "incident_id": "incident",
    "complaint_id": "complaint",
    "session_id": "session",
    "disclosure_id": "disclosure",
    "pre_visit_id": "pre_visit",
    "party_id": "party",
    "attendance_id": "attendance",
}
# The journey must follow links past the creates: at least this many distinct operations reached
# through a link answer 2xx (reads, updates with a real If-Match, actions, sub-resources). A run
# reaches 16 to 22 (link choices are not seeded); one that only creates reaches none.
MIN_LINKED_OPERATIONS = 10
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _journey_machine() -> type:
    """The state machine over the journey's operations, each scenario started by creates.

    schemathesis names the record an id field points to after the field (`centre_id`: Centre),
    and what an operation produces after its response schema (`CentreRead`); the two never meet
    in this contract, so it would trust no create as a place to start and begin every scenario
    with a document upload."""

    def every_root_is_reliable(*args):  # type: ignore[no-untyped-def]
        roots = classify_root_transitions(*args)
        roots.reliable |= {label for label in roots.fallback if label.startswith("POST ")}
        return roots

    with mock.patch.object(openapi_stateful, "classify_root_transitions", every_root_is_reliable):
        return schema.include(path_regex=JOURNEY).as_state_machine()


class FamilyJourney(_journey_machine()):  # type: ignore[misc]
    """Stateful phase: schemathesis follows the contract's links from creates to the reads,
    updates and actions of what they made (and on from lists), with a family of the test's world
    to name."""

    records: ClassVar[dict[str, str]] = {}
    connection: ClassVar[Connection | None] = None
    # Operations reached through a link that answered 2xx, over the whole run.
    followed: ClassVar[set[str]] = set()
    client: ClassVar[TestClient]

    def setup(self) -> None:
        # Each scenario starts from the same records (the test's world), so that Hypothesis can
        # replay and shrink it: everything a scenario writes is rolled back after it.
        assert FamilyJourney.connection is not None
        self._scenario = FamilyJourney.connection.begin_nested()
        # The current ETag of each record the scenario has read or written, by its id.
        self._etags: dict[str, str] = {}

    def teardown(self) -> None:
        self._scenario.rollback()

    def step(self, input):  # type: ignore[no-untyped-def]
        case = input.case
        positive = case.meta is None or case.meta.generation.mode.is_positive
        if positive:
            linked = {name for _, name in input.applied_parameters}
            unlinked = {k: v for k, v in (case.path_parameters or {}).items() if k not in linked}
            case.path_parameters = {**(case.path_parameters or {}), **_named(unlinked)}
            if isinstance(case.body, dict):
                case.body = {**case.body, **_named(case.body)}
            if any(p.name.lower() == "if-match" for p in case.operation.headers):
                etag = self._etag_for(case.formatted_path)
                if etag is not None:
                    case.headers = {**(case.headers or {}), "If-Match": etag}
        output = super().step(input)
        response = output.response
        if 200 <= response.status_code < 300:
            if input.transition is not None and input.is_applied:
                FamilyJourney.followed.add(case.operation.label)
            self._remember_etag(response)
        return output

    def _etag_for(self, path: str) -> str | None:
        """The current version of the record the path acts on (its last id: an action on a
        referral, `/referrals/{id}/decision`, sends the referral's), read first as a client
        would when the scenario has not seen it."""
        found = list(_UUID.finditer(path))
        if not found:
            return None
        record_id = found[-1].group()
        if record_id not in self._etags:
            read = FamilyJourney.client.get(
                path[: found[-1].end()], headers={"Authorization": f"Bearer {CurrentToken.token}"}
            )
            if read.status_code != 200 or "etag" not in read.headers:
                return None
            self._etags[record_id] = read.headers["etag"]
        return self._etags[record_id]

    def _remember_etag(self, response) -> None:  # type: ignore[no-untyped-def]
        etag = response.headers.get("etag")
        if not etag or "json" not in (response.headers.get("content-type") or [""])[0]:
            return
        body = response.json()
        if isinstance(body, dict) and "id" in body:
            self._etags[str(body["id"])] = etag[0]


def _named(values: dict) -> dict:  # type: ignore[type-arg]
    named = {}
    for name, record in NAMED_RECORDS.items():
        if values.get(name) is not None:
            value = FamilyJourney.records[record]
            named[name] = [value] if isinstance(values[name], list) else value
    return named


def test_api_survives_a_stateful_journey(
    app: FastAPI, world: World, backend: str, connection: Connection
) -> None:
    if backend != "sqlite":
        pytest.skip("the stateful phase runs on SQLite (bounded; the stateless phase covers both)")
    current_app.target = app
    CurrentToken.token = world.tokens["naccc_staff"]
    db, centre = world.session, world.centre_a
    journey = family(db, centre)
    session = make_session(db, journey.referral)
    FamilyJourney.records = {
        "centre": str(centre.id),
        "referral": str(journey.referral.id),
        "resident": str(journey.resident.id),
        "child": str(journey.child.id),
        "incident": str(make_incident(db, centre, child_id=journey.child.id).id),
        "complaint": str(make_complaint(db, centre).id),
        "session": str(session.id),
        "disclosure": str(make_disclosure(db, centre, [journey.resident]).id),
        "pre_visit": str(journey.pre_visits[0].id),
        "party": str(journey.parties["child"].id),
        "attendance": str(make_attendance(db, session, journey.child).id),
    }
    db.commit()
    FamilyJourney.connection = connection
    FamilyJourney.client = TestClient(app)
    FamilyJourney.followed = set()
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
    assert len(FamilyJourney.followed) >= MIN_LINKED_OPERATIONS, sorted(FamilyJourney.followed)
