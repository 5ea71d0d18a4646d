"""The statistics summary: small counts are suppressed (see app.stats.suppression)."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class StatsCell(BaseModel):
    """One count. `count` is null when `suppressed` (a small number, or hidden so that a small
    number cannot be worked out from the total)."""

    count: int | None
    suppressed: bool


class StatsGroup(BaseModel):
    """Counts that partition one population, and their total."""

    cells: dict[str, StatsCell]
    total: StatsCell


class StatsPeriod(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date | None = Field(default=None, alias="from")
    to: date | None = None


class ReferralStats(BaseModel):
    by_source: StatsGroup
    by_contact_type: StatsGroup
    by_decision: StatsGroup = Field(description="accepted, declined, undecided")
    acceptance_rate: float | None = Field(
        description="accepted / (accepted + declined); null when either is suppressed or zero"
    )


class SessionStats(BaseModel):
    held: StatsCell


class AttendanceStats(BaseModel):
    by_status: StatsGroup
    absences_by_reason: StatsGroup
    attendance_rate: float | None = Field(
        description="(attended + late) / all attendance; null when a part is suppressed"
    )


class SubjectRequestStats(BaseModel):
    by_kind: StatsGroup = Field(description="Requests received in the period")
    answered: StatsGroup = Field(
        description="Requests completed or refused in the period: on_time (closed on or before "
        "the due date) or late"
    )
    on_time_share: float | None


class IncidentStats(BaseModel):
    by_kind: StatsGroup = Field(description="Incidents that occurred in the period")


class ComplaintStats(BaseModel):
    by_status: StatsGroup = Field(description="Complaints received in the period")
    median_days_to_resolution: float | None = Field(
        description="Of those resolved; null when fewer than the suppression threshold"
    )


class DisposalStats(BaseModel):
    by_rule: StatsGroup = Field(description="Records disposed of in the period, per retention rule")


class StatsSummary(BaseModel):
    period: StatsPeriod
    centre_id: uuid.UUID | None
    suppression_threshold: int
    referrals: ReferralStats
    sessions: SessionStats
    attendance: AttendanceStats
    incidents: IncidentStats
    complaints: ComplaintStats
    subject_requests: SubjectRequestStats
    disposals: DisposalStats
