"""Statutory deadlines of subject requests (ICO guidance, England & Wales).

The clock starts at the later of receipt and identity verification. The request is due on the
same day of the next calendar month (the month's last day when that day does not exist), moved
by the days the clock was paused for clarification, then to the next working day past weekends
and England & Wales bank holidays. An extension makes it three months by the same rule.
"""

from __future__ import annotations

from datetime import date, timedelta

from app.kit.calendar import add_months, next_working_day

STANDARD_MONTHS = 1
EXTENDED_MONTHS = 3


def clock_start(received_on: date, identity_verified_on: date | None) -> date:
    if identity_verified_on is None:
        return received_on
    return max(received_on, identity_verified_on)


def due_on(start: date, *, extended: bool = False, paused_days: int = 0) -> date:
    months = EXTENDED_MONTHS if extended else STANDARD_MONTHS
    return next_working_day(add_months(start, months) + timedelta(days=paused_days))
