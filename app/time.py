"""The centres' calendar: every centre is in England and Wales."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def today_in_london() -> date:
    return datetime.now(LONDON).date()


def local_day(moment: datetime) -> date:
    """The calendar day of a timestamp in England and Wales."""
    return moment.astimezone(LONDON).date()
