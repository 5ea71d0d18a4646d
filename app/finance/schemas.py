from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    computed_field,
)

from app.api.retention import Retention
from app.api.schemas import Day, Kept, Name, RecordRead, StrictModel
from app.kit.calendar import accounting_periods

AMOUNT_PATTERN = r"^-?(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$"
_AMOUNT = re.compile(AMOUNT_PATTERN)


def _amount(value: object) -> object:
    # Amounts travel as decimal strings both ways: a JSON number would be read as a float.
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str) or not _AMOUNT.match(value):
        raise ValueError('expected a decimal string with at most 2 places, e.g. "125.50"')
    return Decimal(value)


Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": AMOUNT_PATTERN,
            "description": 'Pounds as a decimal string, at most 2 places (e.g. `"125.50"`)',
            "examples": ["125.50"],
        }
    ),
]
AmountOut = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str)]
Description = Annotated[str, StringConstraints(max_length=2000, pattern=r"^[^\x00]*$")]


class FinanceRecordCreate(StrictModel):
    centre_id: uuid.UUID
    reference: Name
    description: Description | None = None
    amount: Amount
    transaction_on: Day
    period_end_on: Day | None = Field(
        default=None,
        description="The last day the transaction covers, when it spans several accounting "
        "periods (e.g. a lease paid in advance); not before `transaction_on`",
    )
    hmrc_enquiry_open: bool = False


class FinanceRecordUpdate(StrictModel):
    reference: Kept[Name] = None
    description: Description | None = None
    amount: Kept[Amount] = None
    transaction_on: Kept[Day] = None
    period_end_on: Day | None = None
    hmrc_enquiry_open: Kept[bool] = None


class AccountingPeriodRead(StrictModel):
    starts_on: date
    ends_on: date


class FinanceRecordRead(RecordRead):
    centre_id: uuid.UUID
    reference: str
    description: str | None
    amount: AmountOut
    transaction_on: date
    period_end_on: date | None
    year_end_month: int = Field(description="The centre's financial-year end used (month)")
    year_end_day: int = Field(description="The centre's financial-year end used (day)")
    first_year_end_on: date
    last_year_end_on: date = Field(
        description="End of the last financial year the record relates to (retention clock)"
    )
    hmrc_enquiry_open: bool
    retention: Retention

    @computed_field(description="The financial years the record relates to")  # type: ignore[prop-decorator]
    @property
    def accounting_periods(self) -> list[AccountingPeriodRead]:
        return [
            AccountingPeriodRead(starts_on=p.starts_on, ends_on=p.ends_on)
            for p in accounting_periods(
                self.transaction_on, self.period_end_on, self.year_end_month, self.year_end_day
            )
        ]
