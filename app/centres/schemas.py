from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from app.api.schemas import Email, Name, RecordRead, ShortText, StrictModel

Code = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,8}$")]
Month = Annotated[int, Field(ge=1, le=12)]
Day = Annotated[int, Field(ge=1, le=31)]
_DAYS_IN_MONTH = {1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


def check_year_end(month: int | None, day: int | None) -> None:
    if month is not None and day is not None and day > _DAYS_IN_MONTH[month]:
        raise ValueError("year_end_day does not exist in year_end_month (29 February is not allowed)")


class CentreCreate(StrictModel):
    name: Name
    code: Code = Field(description="Short code used in referral references, e.g. `CE`")
    accreditation_number: ShortText | None = None
    contact_email: Email | None = None
    year_end_month: Month = 3
    year_end_day: Day = 31

    @model_validator(mode="after")
    def _year_end(self) -> CentreCreate:
        check_year_end(self.year_end_month, self.year_end_day)
        return self


class CentreUpdate(StrictModel):
    name: Name | None = None
    accreditation_number: ShortText | None = None
    contact_email: Email | None = None
    year_end_month: Month | None = None
    year_end_day: Day | None = None


class CentreRead(RecordRead):
    name: str
    code: str
    accreditation_number: str | None
    contact_email: str | None
    year_end_month: int
    year_end_day: int
