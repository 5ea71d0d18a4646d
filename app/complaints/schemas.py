from __future__ import annotations

import uuid
from datetime import date

from pydantic import Field

from app.api.retention import Retention
from app.api.schemas import Day, Flag, Kept, LongText, RecordRead, StrictModel
from app.complaints.models import About, Channel, ComplaintKind, ComplaintStatus


class ComplaintCreate(StrictModel):
    centre_id: uuid.UUID
    about: About
    kind: ComplaintKind = Field(description="`intent` (an intention to complain) or `formal`")
    channel: Channel
    complainant_id: uuid.UUID | None = Field(
        default=None, description="The person who complains, of the same centre"
    )
    summary: LongText = Field(min_length=1, description="Encrypted at rest")
    received_on: Day = Field(description="Not in the future")
    referred_to_ico: Flag = False


class ComplaintUpdate(StrictModel):
    """Status, `resolved_on` and the follow-up due date are not set here: the transitions set
    the first two, and the due date follows from kind, channel and `received_on`."""

    about: Kept[About] = None
    kind: Kept[ComplaintKind] = None
    channel: Kept[Channel] = None
    complainant_id: uuid.UUID | None = None
    summary: Kept[LongText] = Field(default=None, min_length=1)
    received_on: Kept[Day] = None
    outcome: Kept[LongText] = Field(
        default=None, min_length=1, description="Only for a resolved complaint"
    )
    follow_up_done_on: Day | None = Field(
        default=None,
        description="Only for a complaint with a follow-up (formal and written); between "
        "`received_on` and today",
    )
    referred_to_ico: Kept[Flag] = None


class ComplaintRead(RecordRead):
    centre_id: uuid.UUID
    about: About
    kind: ComplaintKind
    channel: Channel
    complainant_id: uuid.UUID | None
    summary: str
    received_on: date
    status: ComplaintStatus
    acknowledged_on: date | None
    resolved_on: date | None
    closed_on: date | None = Field(
        description="The day it was resolved or withdrawn (retention counts from it)"
    )
    outcome: str | None
    follow_up_due_on: date | None = Field(
        description="Formal written (letter or email) complaints: `received_on` + the "
        "configured number of working days (default 20)"
    )
    follow_up_done_on: date | None
    referred_to_ico: bool
    retention: Retention


class TransitionDay(StrictModel):
    on: Day | None = Field(
        default=None, description="Default: today; not before the previous step, not after today"
    )


class ResolveRequest(StrictModel):
    outcome: LongText = Field(min_length=1, description="Encrypted at rest")
    on: Day | None = Field(
        default=None, description="`resolved_on`; default today, not before the previous step"
    )
    referred_to_ico: Flag | None = None
