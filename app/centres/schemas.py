from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from app.api.schemas import JSON_INTEGER, Email, Name, RecordRead, ShortText, StrictModel

Code = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,8}$")]
Month = Annotated[int, Field(ge=1, le=12), JSON_INTEGER]
Day = Annotated[int, Field(ge=1, le=31), JSON_INTEGER]


class CentreCreate(StrictModel):
    name: Name
    code: Code = Field(description="Short code used in referral references, e.g. `CE`")
    accreditation_number: ShortText | None = None
    contact_email: Email | None = None
    year_end_month: Month = 3
    year_end_day: Day = 31


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
