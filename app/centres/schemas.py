from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from app.api.schemas import JSON_INTEGER, Email, Kept, Name, RecordRead, ShortText, StrictModel

Code = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,8}$")]
Month = Annotated[int, Field(ge=1, le=12), JSON_INTEGER]
Day = Annotated[int, Field(ge=1, le=31), JSON_INTEGER]
YEAR_END_RULE = "The financial-year end is not a day of every year (29 February is not allowed)"
YEAR_END_DAY = (
    "With `year_end_month`, a day that exists every year: 29 February, or 31 of a shorter"
    " month, is refused (422)"
)


class CentreCreate(StrictModel):
    name: Name
    code: Code = Field(description="Short code used in referral references, e.g. `CE`")
    accreditation_number: ShortText | None = None
    contact_email: Email | None = None
    year_end_month: Month = 3
    year_end_day: Day = Field(default=31, description=YEAR_END_DAY)


class CentreUpdate(StrictModel):
    name: Kept[Name] = None
    accreditation_number: ShortText | None = None
    contact_email: Email | None = None
    year_end_month: Kept[Month] = None
    year_end_day: Kept[Day] = Field(default=None, description=YEAR_END_DAY)


class CentreRead(RecordRead):
    name: str
    code: str
    accreditation_number: str | None
    contact_email: str | None
    year_end_month: int
    year_end_day: int
