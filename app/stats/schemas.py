"""The statistics summary: small counts are suppressed (see app.stats.suppression)."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class Cell(BaseModel):
    """One count. `count` is null when `suppressed` (a small number, or hidden so that a small
    number cannot be worked out from the total)."""

    count: int | None
    suppressed: bool


class Group(BaseModel):
    """Counts that partition one population, and their total."""

    cells: dict[str, Cell]
    total: Cell


class Period(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date | None = Field(default=None, alias="from")
    to: date | None = None


class ReferralStats(BaseModel):
    by_source: Group
    by_contact_type: Group
    by_decision: Group = Field(description="accepted, declined, undecided")
    acceptance_rate: float | None = Field(
        description="accepted / (accepted + declined); null when either is suppressed or zero"
    )


class SessionStats(BaseModel):
    held: Cell


class AttendanceStats(BaseModel):
    by_status: Group
    absences_by_reason: Group
    attendance_rate: float | None = Field(
        description="(attended + late) / all attendance; null when a part is suppressed"
    )


class SubjectRequestStats(BaseModel):
    by_kind: Group = Field(description="Requests received in the period")
    answered: Group = Field(
        description="Requests completed or refused in the period: on_time (closed on or before "
        "the due date) or late"
    )
    on_time_share: float | None


class DisposalStats(BaseModel):
    by_rule: Group = Field(description="Records disposed of in the period, per retention rule")


class StatsSummary(BaseModel):
    period: Period
    centre_id: uuid.UUID | None
    suppression_threshold: int
    referrals: ReferralStats
    sessions: SessionStats
    attendance: AttendanceStats
    subject_requests: SubjectRequestStats
    disposals: DisposalStats
