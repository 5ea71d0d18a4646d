"""Statutory deadlines of subject requests (ICO guidance, England & Wales).

The clock starts at the later of receipt and identity verification. The request is due on the
same day of the next calendar month (the month's last day when that day does not exist), moved
by the days the clock was paused for clarification, then to the next working day past weekends
and England & Wales bank holidays. An extension makes it three months by the same rule.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

from app.retention.dates import add_months

STANDARD_MONTHS = 1
EXTENDED_MONTHS = 3


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # England's list is England & Wales' (Wales adds none of its own).
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def next_working_day(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def clock_start(received_on: date, identity_verified_on: date | None) -> date:
    if identity_verified_on is None:
        return received_on
    return max(received_on, identity_verified_on)


def due_on(start: date, *, extended: bool = False, paused_days: int = 0) -> date:
    months = EXTENDED_MONTHS if extended else STANDARD_MONTHS
    return next_working_day(add_months(start, months) + timedelta(days=paused_days))
