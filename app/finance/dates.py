"""Financial years: pure date functions, no database.

A centre's financial year ends on the same month and day every year (`Centre.year_end_month`,
`Centre.year_end_day`; default 31 March). A transaction belongs to the financial year whose end
is on or after its date: with a 31 March year end, 31 March 2026 belongs to the year ending
31 March 2026 and 1 April 2026 to the year ending 31 March 2027.

HMRC's rule (policy: finance records) keeps a record for 6 years from the end of the *last*
financial year it relates to; a transaction that covers several accounting periods (a three-year
lease, a grant paid in advance) relates to every year up to the one containing the end of the
period it covers.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

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
