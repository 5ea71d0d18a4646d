"""Builders for staff, HR-file, DBS, parental-leave, document and finance records."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.centres.models import Centre
from app.documents.models import Document
from app.finance.models import FinanceRecord
from app.kit.calendar import financial_year_end_on, last_year_end_on
from app.staff.models import DBSCheck, HRFileEntry, ParentalLeave, StaffMember

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17


def make_staff(session: Session, centre: Centre, **fields: Any) -> StaffMember:
    staff = StaffMember(
        centre_id=centre.id,
        full_name=fields.pop("full_name", "Alex Volunteer"),
        engagement=fields.pop("engagement", "volunteer"),
        started_on=fields.pop("started_on", date(2024, 1, 8)),
        last_used_on=fields.pop("last_used_on", date(2024, 1, 8)),
        **fields,
    )
    session.add(staff)
    session.flush()
    return staff


def make_dbs_check(session: Session, staff: StaffMember, **fields: Any) -> DBSCheck:
    check = DBSCheck(
        centre_id=staff.centre_id,
        staff_member_id=staff.id,
        certificate_issued_on=fields.pop("certificate_issued_on", date(2024, 1, 2)),
        certificate_number=fields.pop("certificate_number", f"{uuid.uuid4().int % 10**12:012d}"),
        vetting_decision=fields.pop("vetting_decision", "suitable"),
        outcome=fields.pop("outcome", "appointed"),
        **fields,
    )
    session.add(check)
    session.flush()
    return check


def make_parental_leave(session: Session, staff: StaffMember, **fields: Any) -> ParentalLeave:
    leave = ParentalLeave(
        centre_id=staff.centre_id,
        staff_member_id=staff.id,
        child_birth_or_adoption_on=fields.pop("child_birth_or_adoption_on", date(2025, 5, 1)),
        disability_allowance=fields.pop("disability_allowance", False),
        starts_on=fields.pop("starts_on", date(2025, 5, 1)),
        **fields,
    )
    session.add(leave)
    session.flush()
    return leave


def make_hr_note(
    session: Session, staff: StaffMember, note: str = "Supervision: all well"
) -> HRFileEntry:
    entry = HRFileEntry(
        centre_id=staff.centre_id,
        staff_member_id=staff.id,
        title="Supervision",
        note=note,
        created_by_id=uuid.uuid4(),
    )
    session.add(entry)
    session.flush()
    return entry


def make_document(
    session: Session,
    staff: StaffMember,
    data: bytes = PDF_BYTES,
    content_type: str = "application/pdf",
    filename: str = "contract.pdf",
) -> Document:
    document = Document(
        centre_id=staff.centre_id,
        staff_member_id=staff.id,
        kind="hr",
        filename=filename,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
        uploaded_by_id=uuid.uuid4(),
    )
    session.add(document)
    session.flush()
    return document


def make_hr_document(session: Session, staff: StaffMember, **fields: Any) -> HRFileEntry:
    document = make_document(session, staff, **fields)
    entry = HRFileEntry(
        centre_id=staff.centre_id,
        staff_member_id=staff.id,
        title="Contract",
        document_id=document.id,
        created_by_id=uuid.uuid4(),
    )
    session.add(entry)
    session.flush()
    return entry


def make_finance_record(session: Session, centre: Centre, **fields: Any) -> FinanceRecord:
    transaction_on = fields.pop("transaction_on", date(2026, 4, 1))
    period_end_on = fields.pop("period_end_on", None)
    month, day = centre.year_end_month, centre.year_end_day
    record = FinanceRecord(
        centre_id=centre.id,
        reference=fields.pop("reference", "INV-1"),
        amount=fields.pop("amount", Decimal("125.50")),
        transaction_on=transaction_on,
        period_end_on=period_end_on,
        year_end_month=month,
        year_end_day=day,
        first_year_end_on=financial_year_end_on(transaction_on, month, day),
        last_year_end_on=last_year_end_on(transaction_on, period_end_on, month, day),
        **fields,
    )
    session.add(record)
    session.flush()
    return record


def committed(session: Session, obj: Any) -> Any:
    """Commit (a savepoint in tests) and hand the object back, for matrix calls."""
    session.commit()
    return obj
