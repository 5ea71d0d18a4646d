"""Plain rows read as Core on the request's session (`app.db.column_rows`, page templates)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, PageTemplates
from app.centres.models import Centre
from app.db import column_rows


def test_column_rows_see_the_sessions_pending_changes(db: Session) -> None:
    """As `Session.execute` would, the read flushes first: a centre added in the same
    transaction is among the rows."""
    centre = Centre(id=uuid.uuid4(), name="Pending", code="PND")
    db.add(centre)
    rows = column_rows(db, select(Centre.id, Centre.code).where(Centre.id == centre.id), {})
    assert [(r.id, r.code) for r in rows] == [(centre.id, centre.code)]


def test_column_rows_do_not_flush_inside_no_autoflush(db: Session) -> None:
    centre = Centre(id=uuid.uuid4(), name="Held back", code="HBK")
    db.add(centre)
    with db.no_autoflush:
        assert column_rows(db, select(Centre.id).where(Centre.id == centre.id), {}) == []
    assert centre in db.new


def test_a_page_template_refuses_a_select_of_entities(db: Session) -> None:
    """A template runs as Core: a select of a mapped class would come back as loose columns,
    not instances, so it is refused when built."""
    with pytest.raises(TypeError, match="columns, not entities"):
        PageTemplates().paginate(
            db, "centres", lambda: select(Centre), {}, PageParams(10, None), [Centre.id]
        )
