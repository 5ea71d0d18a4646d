from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from app.db import Base, TimestampedMixin

PENNY = Decimal("0.01")


class Pence(TypeDecorator[Decimal]):
    """A sterling amount as a `Decimal`, stored as whole pence in an integer column: exact on
    every database (SQLite would keep a NUMERIC as a float)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> int | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError("amounts are Decimals, never floats")
        pence = value * 100
        if pence != pence.to_integral_value():
            raise ValueError("an amount has at most two decimal places")
        return int(pence)

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        return None if value is None else (Decimal(value) / 100).quantize(PENNY)


class FinanceRecord(TimestampedMixin, Base):
    """A finance record of a centre. `last_year_end_on` — the end of the last financial year it
    relates to — is computed from the centre's year end when it is written, and stored so that
    retention (6 years after it, unless an HMRC enquiry is open) can query it. The year end used
    is kept with it (`year_end_month`, `year_end_day`): a later change of the centre's year end
    does not rewrite the accounting periods a past record belonged to."""

    __tablename__ = "finance_record"
    __label__ = "Finance record"

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    reference: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(2000))
    amount: Mapped[Decimal] = mapped_column("amount_pence", Pence)
    transaction_on: Mapped[date] = mapped_column(index=True)
    # The last day the transaction covers, when it spans several accounting periods.
    period_end_on: Mapped[date | None] = mapped_column()
    year_end_month: Mapped[int] = mapped_column()
    year_end_day: Mapped[int] = mapped_column()
    first_year_end_on: Mapped[date] = mapped_column()
    last_year_end_on: Mapped[date] = mapped_column(index=True)
    hmrc_enquiry_open: Mapped[bool] = mapped_column(default=False)
