"""The statistics summary: small counts are suppressed (see app.stats.suppression)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

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


class StatsTable(BaseModel):
    """A two-way table: `cells[row][column]`, each row's total, each column's total, and the
    grand total. Suppression covers the rows, the columns and the margins together."""

    cells: dict[str, dict[str, StatsCell]]
    row_totals: dict[str, StatsCell]
    column_totals: dict[str, StatsCell]
    total: StatsCell


PeriodKind = Literal["month", "quarter", "year"]


class StatsPeriod(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    kind: PeriodKind = Field(description="A whole calendar month, quarter or year")


class ReferralStats(BaseModel):
    by_source_and_contact_type: StatsTable = Field(
        description="Rows: source; columns: contact type"
    )
    by_source: StatsGroup = Field(description="The row totals of `by_source_and_contact_type`")
    by_contact_type: StatsGroup = Field(
        description="The column totals of `by_source_and_contact_type`"
    )
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
    rounded: bool = Field(
        description="Shown counts rounded to the nearest multiple of 5 (always for service "
        "clients; on request with `rounded=true`); rounded figures need not add up"
    )
    referrals: ReferralStats
    sessions: SessionStats
    attendance: AttendanceStats
    incidents: IncidentStats
    complaints: ComplaintStats
    subject_requests: SubjectRequestStats
    disposals: DisposalStats
