"""Calendar months clamped to the month's end, and England & Wales working days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.kit.calendar import add_months, due_cutoff, is_working_day


@pytest.mark.parametrize(
    ("start", "months", "due"),
    [
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2026, 3, 31), 72, date(2032, 3, 31)),
        (date(2008, 2, 29), 216, date(2026, 2, 28)),
    ],
)
def test_periods_are_calendar_months_clamped_to_month_end(
    start: date, months: int, due: date
) -> None:
    assert add_months(start, months) == due


def test_due_cutoff_agrees_with_adding_the_period_to_every_date() -> None:
    start = date(2023, 1, 1)
    triggers = [start + timedelta(days=n) for n in range(0, 3 * 366)]
    for today in (
        date(2025, 2, 28),
        date(2024, 2, 29),
        date(2025, 3, 31),
        date(2025, 3, 30),
        date(2025, 1, 31),
        date(2025, 12, 31),
        date(2025, 6, 15),
        date(2024, 3, 1),
    ):
        for months in (1, 12, 36, 60, 72, 216):
            cutoff = due_cutoff(today, months)
            for trigger in triggers:
                assert (add_months(trigger, months) <= today) == (trigger <= cutoff), (
                    today,
                    months,
                    trigger,
                )


def test_working_days() -> None:
    assert is_working_day(date(2026, 12, 24))
    assert not is_working_day(date(2026, 12, 25))
    assert not is_working_day(date(2026, 12, 28))  # Boxing Day substitute
    assert not is_working_day(date(2026, 8, 31))  # summer bank holiday
    assert not is_working_day(date(2026, 11, 28))  # a Saturday
