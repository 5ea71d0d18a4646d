"""Calendar arithmetic for retention periods."""

from __future__ import annotations

import calendar
from datetime import date


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
