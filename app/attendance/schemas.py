from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic.json_schema import JsonDict

from app.api.schemas import Flag, Kept, LongText, RecordRead, StrictModel, Timestamp, only_when
from app.attendance.models import AbsenceReason, AttendanceStatus, SessionStatus

SAFEGUARDING = (
    "The notes are safeguarding or child-protection paperwork: kept indefinitely (retention rule "
    "`safeguarding_paperwork`), with the attendance, after the referral is disposed of"
)
# A session's time, written in the years 1970 to 2200 and not on their first or last day, which an
# offset can move out of them: so it stays within those years in UTC too (the one check of it, for
# bodies and list filters alike; it also keeps 0001-01-01T00:00+05:00 away from the database).
SESSION_YEARS = r"^(?!1970-01-01|2200-12-31)(19[7-9][0-9]|2[01][0-9]{2}|2200)-"


def _in_session_years(value: object) -> object:
    if isinstance(value, str) and not re.match(SESSION_YEARS, value):
        raise ValueError("a time from 2 January 1970 to 30 December 2200")
    return value


SessionTime = Annotated[
    Timestamp,
    BeforeValidator(_in_session_years),
    Field(json_schema_extra={"pattern": SESSION_YEARS}),
]
AbsenceDetail = Annotated[str, StringConstraints(max_length=1000, pattern=r"^[^\x00]*$")]


class SessionCreate(StrictModel):
    referral_id: uuid.UUID = Field(description="An active referral of the caller's centres")
    starts_at: SessionTime = Field(
        description="On a later day (Europe/London) than every visiting adult's pre-visit"
    )
    ends_at: SessionTime
    status: SessionStatus = SessionStatus.scheduled
    notes: LongText | None = Field(
        default=None,
        description="Supervised contact only (422 for supported contact); encrypted at rest",
    )
    safeguarding: Flag = Field(default=False, description=SAFEGUARDING)


class SessionUpdate(StrictModel):
    starts_at: Kept[SessionTime] = None
    ends_at: Kept[SessionTime] = None
    status: Kept[SessionStatus] = Field(
        default=None, description="`scheduled` → `held` or `cancelled`; anything else is 409"
    )
    notes: LongText | None = None
    safeguarding: Kept[Flag] = Field(default=None, description=SAFEGUARDING)


class SessionRead(RecordRead):
    centre_id: uuid.UUID
    referral_id: uuid.UUID | None = Field(
        description="Null once the referral is disposed of and the session, safeguarding "
        "paperwork, outlived it"
    )
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus
    notes: str | None
    safeguarding: bool


ABSENT = [AttendanceStatus.absent.value]
# An absence for another reason says what it was: a description that is not blank.
OTHER_NEEDS_DETAIL: JsonDict = {
    "if": {
        "properties": {"absence_reason": {"const": AbsenceReason.other.value}},
        "required": ["absence_reason"],
    },
    "then": {
        "properties": {"absence_detail": {"type": "string", "pattern": r"\S"}},
        "required": ["absence_detail"],
    },
}


class AttendanceCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                only_when("status", ABSENT, "absence_reason"),
                only_when("status", ABSENT, "absence_detail", required=False),
                OTHER_NEEDS_DETAIL,
            ]
        }
    )

    person_id: uuid.UUID = Field(description="A party of the session's referral")
    status: AttendanceStatus
    absence_reason: AbsenceReason | None = Field(
        default=None, description="Required when absent; only then"
    )
    absence_detail: AbsenceDetail | None = Field(
        default=None, description="Required when the reason is `other`"
    )


class AttendanceUpdate(StrictModel):
    status: Kept[AttendanceStatus] = None
    absence_reason: AbsenceReason | None = None
    absence_detail: AbsenceDetail | None = None


class AttendanceRead(RecordRead):
    centre_id: uuid.UUID
    session_id: uuid.UUID
    person_id: uuid.UUID
    status: AttendanceStatus
    absence_reason: AbsenceReason | None
    absence_detail: str | None


class AbsenceCounts(BaseModel):
    illness: int = 0
    transport: int = 0
    child_unwilling: int = 0
    no_show: int = 0
    cancelled_by_family: int = 0
    other: int = 0


class AttendanceCounts(BaseModel):
    attended: int = Field(description="Sessions attended, late arrivals included")
    late: int = Field(description="Of those attended, how many late")
    absences: int
    absences_by_reason: AbsenceCounts


class PersonCounts(AttendanceCounts):
    person_id: uuid.UUID


class PersonAttendanceSummary(PersonCounts):
    centre_id: uuid.UUID
    referral_id: uuid.UUID | None = Field(description="The referral the summary is limited to")


class SessionCounts(BaseModel):
    scheduled: int = 0
    held: int = 0
    cancelled: int = 0


class ReferralAttendanceSummary(AttendanceCounts):
    referral_id: uuid.UUID
    centre_id: uuid.UUID
    sessions: SessionCounts
    people: list[PersonCounts] = Field(description="Every party, and anyone else recorded")
