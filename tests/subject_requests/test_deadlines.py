"""ICO deadlines: calendar month, month-end clamp, weekends and England & Wales bank holidays."""

from __future__ import annotations

from datetime import date

import pytest

from app.subject_requests.deadlines import clock_start, due_on


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (date(2026, 1, 1), date(2026, 2, 2)),  # 1 Feb 2026 is a Sunday
        (date(2026, 1, 31), date(2026, 3, 2)),  # 28 Feb 2026 is a Saturday
        (date(2024, 11, 25), date(2024, 12, 27)),  # 25 and 26 Dec are bank holidays
        (date(2026, 3, 3), date(2026, 4, 7)),  # 3 Apr Good Friday, 6 Apr Easter Monday
        (date(2026, 4, 15), date(2026, 5, 15)),  # a plain working day
        (date(2024, 1, 31), date(2024, 2, 29)),  # leap year clamp, a Thursday
    ],
)
def test_due_is_the_same_day_next_month_on_a_working_day(start: date, due: date) -> None:
    assert due_on(start) == due


def test_the_clock_starts_when_identity_is_verified_if_later() -> None:
    start = clock_start(date(2026, 4, 1), date(2026, 4, 11))
    assert start == date(2026, 4, 11)
    assert due_on(start) == date(2026, 5, 11)
    assert clock_start(date(2026, 4, 11), date(2026, 4, 1)) == date(2026, 4, 11)
    assert clock_start(date(2026, 4, 11), None) == date(2026, 4, 11)


def test_a_pause_moves_the_due_date_by_the_days_paused() -> None:
    assert due_on(date(2026, 4, 15), paused_days=7) == date(2026, 5, 22)
    # 15 May + 9 days = Sunday 24 May; Monday 25 May 2026 is the spring bank holiday.
    assert due_on(date(2026, 4, 15), paused_days=9) == date(2026, 5, 26)


def test_an_extension_gives_three_months_by_the_same_rule() -> None:
    assert due_on(date(2026, 1, 1), extended=True) == date(2026, 4, 1)
    assert due_on(date(2025, 11, 30), extended=True) == date(
        2026, 3, 2
    )  # 28 Feb 2026 is a Saturday
