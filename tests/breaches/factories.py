"""Builders for breaches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.breaches import service
from app.breaches.models import Breach
from app.centres.models import Centre
from app.db import utcnow


def make_breach(session: Session, centre: Centre, **fields: Any) -> Breach:
    """A breach the centre became aware of an hour ago (unless `aware_at` says otherwise)."""
    breach = Breach(
        centre_id=centre.id,
        aware_at=fields.pop("aware_at", utcnow() - timedelta(hours=1)),
        nature=fields.pop(
            "nature", "A referral form for the Example family was emailed to the wrong solicitor"
        ),
        subject_categories=fields.pop("subject_categories", ["parents", "children"]),
        data_categories=fields.pop("data_categories", ["contact_details", "court"]),
        approx_subjects=fields.pop("approx_subjects", 3),
        approx_records=fields.pop("approx_records", 1),
        **fields,
    )
    service.refresh_status(breach)
    session.add(breach)
    session.flush()
    return breach


def closed_breach(session: Session, centre: Centre, closed_on: Any, **fields: Any) -> Breach:
    aware = datetime(closed_on.year, closed_on.month, closed_on.day, tzinfo=UTC) - timedelta(
        days=10
    )
    return make_breach(
        session,
        centre,
        aware_at=aware,
        risk="unlikely",
        risk_reason="Encrypted laptop, key not lost",
        closed_on=closed_on,
        **fields,
    )
