"""The route class: one mapping of database errors, and the audit target a request names."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.api.routing import database_problem
from app.errors import Conflict, PreconditionFailed, Unprocessable
from app.kit import audit


@pytest.mark.parametrize(
    ("error", "problem"),
    [
        (IntegrityError("INSERT", {}, Exception("unique")), Conflict),
        (DataError("INSERT", {}, Exception("too long")), Unprocessable),
        (StaleDataError("UPDATE matched 0 rows"), PreconditionFailed),
    ],
)
def test_a_database_error_is_one_problem(error: Exception, problem: type) -> None:
    assert isinstance(database_problem(error), problem)


def test_any_other_error_is_not_a_database_problem() -> None:
    assert database_problem(ValueError("no")) is None


def test_touched_names_the_record_of_the_current_request_only() -> None:
    record, centre = uuid.uuid4(), uuid.uuid4()
    target = audit.begin_request()
    audit.touched(record, centre_id=centre)
    assert (target.resource_id, target.centre_id) == (str(record), centre)
    fresh = audit.begin_request()
    assert fresh.resource_id is None and fresh.centre_id is None
