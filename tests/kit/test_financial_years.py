"""The financial year a transaction belongs to, and the last one a record relates to."""

from __future__ import annotations

from datetime import date

import pytest

from app.kit.calendar import (
    AccountingPeriod,
    accounting_periods,
    financial_year_end_on,
    last_year_end_on,
)

MARCH = (3, 31)
DECEMBER = (12, 31)


@pytest.mark.parametrize(
    ("on", "year_end", "expected"),
    [
        # 31 March year end: the year-end day itself, and the day after.
        (date(2026, 3, 31), MARCH, date(2026, 3, 31)),
        (date(2026, 4, 1), MARCH, date(2027, 3, 31)),
        (date(2026, 1, 15), MARCH, date(2026, 3, 31)),
        (date(2025, 12, 31), MARCH, date(2026, 3, 31)),
        # 31 December year end: the year-end day itself, and the day after.
        (date(2026, 12, 31), DECEMBER, date(2026, 12, 31)),
        (date(2027, 1, 1), DECEMBER, date(2027, 12, 31)),
        (date(2026, 1, 1), DECEMBER, date(2026, 12, 31)),
        # 30 June, and a 29 February transaction with a 28 February year end.
        (date(2026, 6, 30), (6, 30), date(2026, 6, 30)),
        (date(2026, 7, 1), (6, 30), date(2027, 6, 30)),
        (date(2024, 2, 29), (2, 28), date(2025, 2, 28)),
        (date(2024, 2, 28), (2, 28), date(2024, 2, 28)),
    ],
)
def test_financial_year_end_is_the_first_year_end_on_or_after_the_date(
    on: date, year_end: tuple[int, int], expected: date
) -> None:
    assert financial_year_end_on(on, *year_end) == expected


def test_a_single_period_record_relates_to_its_transactions_year() -> None:
    assert last_year_end_on(date(2026, 3, 31), None, *MARCH) == date(2026, 3, 31)
    assert last_year_end_on(date(2026, 4, 1), None, *MARCH) == date(2027, 3, 31)
    assert accounting_periods(date(2026, 4, 1), None, *MARCH) == [
        AccountingPeriod(date(2026, 4, 1), date(2027, 3, 31))
    ]


def test_a_multi_period_record_relates_to_the_year_its_period_ends_in() -> None:
    # A three-year lease paid on 1 March 2026, covering to 28 February 2029.
    assert last_year_end_on(date(2026, 3, 1), date(2029, 2, 28), *MARCH) == date(2029, 3, 31)
    assert accounting_periods(date(2026, 3, 1), date(2029, 2, 28), *MARCH) == [
        AccountingPeriod(date(2025, 4, 1), date(2026, 3, 31)),
        AccountingPeriod(date(2026, 4, 1), date(2027, 3, 31)),
        AccountingPeriod(date(2027, 4, 1), date(2028, 3, 31)),
        AccountingPeriod(date(2028, 4, 1), date(2029, 3, 31)),
    ]


def test_a_period_ending_on_a_year_end_does_not_reach_into_the_next_year() -> None:
    assert last_year_end_on(date(2026, 1, 10), date(2026, 12, 31), *DECEMBER) == date(2026, 12, 31)
    assert last_year_end_on(date(2026, 1, 10), date(2027, 1, 1), *DECEMBER) == date(2027, 12, 31)
    assert len(accounting_periods(date(2026, 1, 10), date(2027, 1, 1), *DECEMBER)) == 2


def test_a_period_end_before_the_transaction_changes_nothing() -> None:
    assert last_year_end_on(date(2026, 5, 1), date(2026, 1, 1), *MARCH) == date(2027, 3, 31)
