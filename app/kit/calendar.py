"""The calendar of England and Wales: calendar months, working days, financial years.

Pure date functions, no database; every domain that counts days counts them here.

Calendar months: `add_months` keeps the day of the month and clamps a day the target month
lacks to its last day (retention periods, the ICO's "one calendar month").

Working days: Monday to Friday except England & Wales bank holidays.

Financial years: a centre's financial year ends on the same month and day every year
(`Centre.year_end_month`, `Centre.year_end_day`; default 31 March). A transaction belongs to the
financial year whose end is on or after its date: with a 31 March year end, 31 March 2026
belongs to the year ending 31 March 2026 and 1 April 2026 to the year ending 31 March 2027.

HMRC's rule (policy: finance records) keeps a record for 6 years from the end of the *last*
financial year it relates to; a transaction that covers several accounting periods (a three-year
lease, a grant paid in advance) relates to every year up to the one containing the end of the
period it covers.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

# Dates outside this range are mistakes, and later arithmetic (year ends, retention periods of
# up to 18 years) must never overflow `date`.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2199, 12, 31)


def year_end_in(year: int, month: int, day: int) -> date:
    """The year end of `year` (a day past the month's end, e.g. 29 February, means its last day)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def financial_year_end_on(on: date, month: int, day: int) -> date:
    """The end of the financial year that contains `on`: the first year end on or after it."""
    this_year = year_end_in(on.year, month, day)
    return this_year if on <= this_year else year_end_in(on.year + 1, month, day)


@dataclass(frozen=True)
class AccountingPeriod:
    starts_on: date
    ends_on: date


def accounting_periods(
    transaction_on: date, period_end_on: date | None, month: int, day: int
) -> list[AccountingPeriod]:
    """The financial years a record relates to: from the one containing the transaction to the
    one containing the end of the period it covers (just one without `period_end_on`)."""
    last_day = max(transaction_on, period_end_on or transaction_on)
    end = financial_year_end_on(transaction_on, month, day)
    last_end = financial_year_end_on(last_day, month, day)
    periods = []
    while True:
        previous_end = year_end_in(end.year - 1, month, day)
        periods.append(AccountingPeriod(previous_end + timedelta(days=1), end))
        if end >= last_end:
            return periods
        end = year_end_in(end.year + 1, month, day)


def last_year_end_on(
    transaction_on: date, period_end_on: date | None, month: int, day: int
) -> date:
    """The end of the last financial year the record relates to (the retention clock)."""
    return financial_year_end_on(max(transaction_on, period_end_on or transaction_on), month, day)


# --- calendar months ---------------------------------------------------------------------


def add_months(start: date, months: int) -> date:
    """`start` plus whole calendar months; a day that does not exist clamps to the month's end
    (29 Feb 2024 + 12 months = 28 Feb 2025; 31 Jan + 1 month = 28/29 Feb)."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last_day))


def describe_months(months: int) -> str:
    years, rest = divmod(months, 12)
    parts = []
    if years:
        parts.append(f"{years} year{'s' if years != 1 else ''}")
    if rest:
        parts.append(f"{rest} month{'s' if rest != 1 else ''}")
    return " ".join(parts) or "0 months"


def due_cutoff(today: date, months: int) -> date:
    """The latest trigger date whose `add_months(trigger, months)` is on or before `today`.

    `add_months` never decreases as its start grows, so "due by today" is simply
    `trigger <= due_cutoff(today, months)`: one comparison a database can index. When `today`
    is a month's last day, every later day of the cutoff's month clamps onto it as well.
    """
    cutoff = add_months(today, -months)
    if today.day == calendar.monthrange(today.year, today.month)[1]:
        last = calendar.monthrange(cutoff.year, cutoff.month)[1]
        cutoff = cutoff.replace(day=last)
    return cutoff


# --- working days ------------------------------------------------------------------------


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
