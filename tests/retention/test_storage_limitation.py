"""The storage-limitation proof (DESIGN §4, issue 11): a realistic family, a sweep dated 100 years
ahead, and every row left in every table that can refer to a person must be justified — an
indefinitely-kept record, a person such a record names, or a record whose trigger has not
happened (an open case, current staff) — or go with a record that is.

The tables are found from the schema's foreign keys, not from a hand-written list: every table
joined by foreign keys (either way) to `person` or `staff_member` without passing through
`centre`. A new table that refers to a person is checked here the day it is added, and must say
how the schedule covers it (`sources.COVERAGE`) before this test passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Table, and_, false, or_, select, true
from sqlalchemy.orm import Session

import app.models  # noqa: F401  (every table in the metadata)
from app.complaints.models import Complaint
from app.db import Base
from app.disclosures.models import Disclosure
from app.kit.calendar import add_months
from app.people.models import Person
from app.referrals.models import Referral
from app.retention.models import LegalHold
from app.retention.sources import COVERAGE
from app.staff.models import StaffMember
from app.subject_requests.models import OPEN_STATUSES, SubjectRequest, ThirdPartyDecision
from app.time import today_in_london
from tests.cases.factories import (
    add_party,
    make_attendance,
    make_case_document,
    make_child,
    make_complaint,
    make_disclosure,
    make_incident,
    make_person,
    make_pre_visit,
    make_referral,
    make_session,
)
from tests.factories import World
from tests.retention.test_sweep import sweep
from tests.staff.factories import (
    make_dbs_check,
    make_finance_record,
    make_hr_document,
    make_hr_note,
    make_parental_leave,
    make_staff,
)

ROOTS = ("person", "staff_member")
HUNDRED_YEARS_AHEAD = add_months(today_in_london(), 1200)


def tables_that_can_refer_to_a_person() -> list[Table]:
    """Every table joined by foreign keys (either way) to a data subject, not through `centre`."""
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    edges: dict[str, set[str]] = {name: set() for name in tables}
    for table in tables.values():
        for fk in table.foreign_keys:
            a, b = table.name, fk.column.table.name
            if "centre" not in (a, b) and a != b:
                edges[a].add(b)
                edges[b].add(a)
    found, todo = set(ROOTS), list(ROOTS)
    while todo:
        for neighbour in edges[todo.pop()] - found:
            found.add(neighbour)
            todo.append(neighbour)
    return [tables[name] for name in sorted(found)]


def kept_by_policy(table: Table, sweep_day: date, held: dict[str, set[Any]]) -> Any:
    """Rows kept in their own right: kept indefinitely, or their trigger has not happened."""
    c = table.c
    conditions = {
        "incident": lambda: true(),  # rule `safeguarding`
        # The policy's versions name no data subject; consents to them follow `policy_consent`.
        "privacy_policy": lambda: true(),
        "breach": lambda: c.closed_on.is_(None),  # an open breach (rule `breach` after closure)
        "pre_visit": lambda: c.safeguarding.is_(True),  # rule `safeguarding_paperwork`
        "contact_session": lambda: c.safeguarding.is_(True),
        "document": lambda: c.safeguarding.is_(True),
        "disclosure": lambda: c.lawful_basis == "safeguarding",
        "referral": lambda: c.closed_on.is_(None),  # an open case
        "complaint": lambda: c.status.not_in(["resolved", "withdrawn"]),  # unresolved
        "subject_request": lambda: c.status.in_([s.value for s in OPEN_STATUSES]),
        "staff_member": lambda: and_(  # current staff (started, not ended)
            c.started_on <= sweep_day, or_(c.ended_on.is_(None), c.ended_on > sweep_day)
        ),
    }
    condition = conditions.get(table.name, false)()
    if table.name in held:
        condition = or_(condition, c.id.in_(held[table.name]))
    return condition


def unjustified_rows(
    db: Session, sweep_day: date, held: dict[str, set[Any]] | None = None
) -> dict[str, list[Any]]:
    """Rows left in the person tables that nothing justifies, by table (empty when all are).
    `held`: records a legal hold keeps too (table name → ids)."""
    tables = tables_that_can_refer_to_a_person()
    key = {t.name: tuple(t.primary_key.columns) for t in tables}
    rows = {t.name: [r._mapping for r in db.execute(select(t))] for t in tables}
    justified: dict[str, set[tuple[Any, ...]]] = {}
    for t in tables:
        kept = select(*key[t.name]).where(kept_by_policy(t, sweep_day, held or {}))
        justified[t.name] = {tuple(r) for r in db.execute(kept)}

    def ident(table: Table, row: Any) -> tuple[Any, ...]:
        return tuple(row[col.name] for col in key[table.name])

    # A row goes with a justified record it belongs to (a foreign key to a kept record, other
    # than a person: a person never justifies a record, records justify people).
    changed = True
    while changed:
        changed = False
        for table in tables:
            if table.name == "person":
                continue
            for row in rows[table.name]:
                if ident(table, row) in justified[table.name]:
                    continue
                for fk in table.foreign_keys:
                    target = fk.column.table.name
                    if target in ("person", "centre") or target not in justified:
                        continue
                    if (row[fk.parent.name],) in justified[target]:
                        justified[table.name].add(ident(table, row))
                        changed = True
                        break
    # A person stays only while a justified record names them.
    for table in tables:
        for row in rows[table.name]:
            if ident(table, row) not in justified[table.name]:
                continue
            for fk in table.foreign_keys:
                if fk.column.table.name == "person" and row[fk.parent.name] is not None:
                    justified["person"].add((row[fk.parent.name],))
    return {
        t.name: [dict(r) for r in rows[t.name] if ident(t, r) not in justified[t.name]]
        for t in tables
        if any(ident(t, r) not in justified[t.name] for r in rows[t.name])
    }


@dataclass
class RealisticFamily:
    mother: Any
    father: Any
    child: Any
    grandmother: Any
    complainant: Any
    closed_referral: Any
    open_referral: Any
    incident: Any
    safeguarding_disclosure: Any
    fathers_disclosure: Any
    complaint: Any
    request: Any
    current_staff: Any
    former_staff: Any
    applicant: Any
    finance: Any


def realistic_family(db: Session, world: World) -> RealisticFamily:
    centre = world.centre_a
    mother = make_person(db, centre, full_name="Rita Resident")
    father = make_person(db, centre, full_name="Nick Nonresident")
    child = make_child(db, centre, full_name="Samuel Resident")
    grandmother = make_person(db, centre, full_name="Gwen Grandmother")
    complainant = make_person(db, centre, full_name="Carla Complainant")

    closed = make_referral(
        db, centre, status="closed", closed_on=date(2026, 1, 31), has_court_order=True
    )
    for person, role in ((mother, "resident_parent"), (father, "non_resident_parent")):
        add_party(db, closed, person, role)
        make_pre_visit(db, closed, person)
    add_party(db, closed, child, "child")
    concerned = make_pre_visit(
        db, make_referral(db, centre, status="closed", closed_on=date(2025, 6, 1)), grandmother
    )
    concerned.safeguarding = True
    # The father came to the first session; the second, flagged, was the mother's and child's.
    for flagged, attending in ((False, (mother, father, child)), (True, (mother, child))):
        contact = make_session(db, closed, status="held", safeguarding=flagged)
        for person in attending:
            make_attendance(db, contact, person)
    make_case_document(db, centre.id, {"referral_id": closed.id})
    incident = make_incident(db, centre, child_id=child.id, referral_id=closed.id)
    to_council = make_disclosure(
        db,
        centre,
        [child, mother],
        recipient_type="local_authority",
        lawful_basis="safeguarding",
        referral_id=closed.id,
    )
    make_disclosure(db, centre, [mother], lawful_basis="consent", referral_id=closed.id)
    fathers = make_disclosure(
        db,
        centre,
        [father],
        lawful_basis="legal_obligation",
        recipient_type="court",
        disclosed_at=incident.occurred_at,
    )

    open_case = make_referral(db, centre, status="active")
    add_party(db, open_case, grandmother, "other_adult")
    add_party(db, open_case, child, "child")

    complaint = make_complaint(
        db,
        centre,
        complainant_id=complainant.id,
        status="resolved",
        resolved_on=date(2026, 3, 2),
        closed_on=date(2026, 3, 2),
    )
    make_case_document(db, centre.id, {"complaint_id": complaint.id})
    request = SubjectRequest(
        centre_id=centre.id,
        subject_id=mother.id,
        kind="access",
        status="completed",
        requester="subject",
        channel="email",
        received_on=date(2026, 2, 2),
        identity_verified_on=date(2026, 2, 2),
        due_on=date(2026, 3, 2),
        closed_on=date(2026, 2, 20),
    )
    db.add(request)
    db.flush()
    db.add(
        ThirdPartyDecision(
            centre_id=centre.id,
            request_id=request.id,
            person_id=complainant.id,
            basis="consent",
            note="Agreed",
            decided_by_id=world.admin.id,
        )
    )

    current = make_staff(
        db, centre, engagement="paid", started_on=date(2015, 4, 1), last_used_on=date(2016, 1, 1)
    )
    make_dbs_check(db, current)
    make_hr_note(db, current)
    make_hr_document(db, current)
    make_parental_leave(db, current, child_birth_or_adoption_on=date(2017, 5, 5))
    former = make_staff(
        db, centre, engagement="volunteer", started_on=date(2012, 1, 9), ended_on=date(2019, 7, 31)
    )
    make_dbs_check(db, former)
    make_hr_note(db, former)
    make_parental_leave(
        db, former, child_birth_or_adoption_on=date(2014, 1, 1), disability_allowance=True
    )
    applicant = make_staff(db, centre, started_on=date(2999, 1, 1), last_used_on=date(2026, 1, 5))
    finance = make_finance_record(db, centre, transaction_on=date(2025, 5, 1))
    db.commit()
    return RealisticFamily(
        mother.id,
        father.id,
        child.id,
        grandmother.id,
        complainant.id,
        closed.id,
        open_case.id,
        incident.id,
        to_council.id,
        fathers.id,
        complaint.id,
        request.id,
        current.id,
        former.id,
        applicant.id,
        finance.id,
    )


def test_the_person_tables_are_found_from_the_schema_and_each_is_covered() -> None:
    names = {t.name for t in tables_that_can_refer_to_a_person()}
    assert {"referral_party", "attendance", "third_party_decision", "hr_file_entry"} <= names
    assert "finance_record" not in names and "centre" not in names
    assert names == set(COVERAGE), "say in sources.COVERAGE how the schedule covers each table"


def test_after_a_sweep_a_hundred_years_ahead_every_remaining_row_is_justified(
    app: FastAPI, db: Session, world: World
) -> None:
    family = realistic_family(db, world)
    sweep(app, HUNDRED_YEARS_AHEAD)
    db.expire_all()
    assert unjustified_rows(db, HUNDRED_YEARS_AHEAD) == {}
    # And it is not justified by keeping everything: what no kept record needs went.
    gone = [
        (Person, family.father),  # named by nothing kept
        (Person, family.complainant),
        (Complaint, family.complaint),
        (SubjectRequest, family.request),
        (StaffMember, family.former_staff),
        (StaffMember, family.applicant),
        (Disclosure, family.fathers_disclosure),
    ]
    assert [(m.__name__, i) for m, i in gone if db.get(m, i) is not None] == []
    for model, record_id in (
        (Person, family.mother),  # named by the safeguarding disclosure and session
        (Person, family.child),  # the incident's child
        (Person, family.grandmother),  # open case, and a safeguarding pre-visit
        (StaffMember, family.current_staff),
        (Disclosure, family.safeguarding_disclosure),
    ):
        assert db.get(model, record_id) is not None


def test_a_hold_on_one_person_keeps_exactly_their_records(
    app: FastAPI, db: Session, world: World
) -> None:
    family = realistic_family(db, world)
    hold = LegalHold(
        centre_id=world.centre_a.id,
        person_id=family.father,
        reason="claim",
        placed_by_id=world.admin.id,
    )
    db.add(hold)
    db.commit()
    sweep(app, HUNDRED_YEARS_AHEAD)
    db.expire_all()
    # The father's records: the referral he is a party to and the disclosure naming him. With
    # them (and what goes with them, and the people they name) everything left is justified...
    his = {"referral": {family.closed_referral}, "disclosure": {family.fathers_disclosure}}
    assert unjustified_rows(db, HUNDRED_YEARS_AHEAD, held=his) == {}
    assert db.get(Person, family.father) is not None
    assert db.get(Referral, family.closed_referral) is not None
    assert db.get(Disclosure, family.fathers_disclosure) is not None
    # ...and nobody else's records were frozen: the rest went as without the hold.
    for model, record_id in (
        (Complaint, family.complaint),
        (SubjectRequest, family.request),
        (StaffMember, family.former_staff),
        (Person, family.complainant),
    ):
        assert db.get(model, record_id) is None
