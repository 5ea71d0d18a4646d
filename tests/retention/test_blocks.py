"""Retention blocks: every record read says its rule, trigger and due date, or why there is none.

Each case is checked through `retention_blocks` and through the API (GET one and the list), and
the blocks are checked against the sweep itself: a record is in the preview on its
`dispose_after` and not the day before; a record with a reason is not due even in 2199.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.api.retention import RetentionBlock
from app.people.models import Person
from app.retention import blocks
from app.retention import sweep as retention_sweep
from app.retention.blocks import retention_blocks
from app.retention.models import LegalHold, RetentionRule
from tests.cases.factories import add_party, make_person, make_referral
from tests.factories import World
from tests.staff.factories import (
    make_dbs_check,
    make_finance_record,
    make_hr_note,
    make_parental_leave,
    make_staff,
)

API = "/api/v1"


def block(rule_key: str, trigger_on: date | None, dispose_after: date | None, reason: Any = None):
    return {
        "rule_key": rule_key,
        "trigger_on": trigger_on.isoformat() if trigger_on else None,
        "dispose_after": dispose_after.isoformat() if dispose_after else None,
        "reason": reason,
    }


def as_json(found: RetentionBlock) -> dict[str, Any]:
    return found.model_dump(mode="json")


def api_block(client: TestClient, world: World, path: str, list_path: str, record_id: Any) -> Any:
    """The record's block from GET one, checked to be the same in the list."""
    headers = world.headers("centre_staff")
    one = client.get(f"{API}{path}", headers=headers)
    assert one.status_code == 200, one.text
    listed = client.get(f"{API}{list_path}", params={"limit": 200}, headers=headers)
    assert listed.status_code == 200, listed.text
    in_list = [item for item in listed.json()["items"] if item["id"] == str(record_id)]
    assert [item["retention"] for item in in_list] == [one.json()["retention"]]
    return one.json()["retention"]


def listed_blocks(client: TestClient, world: World, list_path: str) -> dict[str, Any]:
    listed = client.get(f"{API}{list_path}", headers=world.headers("centre_staff"))
    assert listed.status_code == 200, listed.text
    return {item["id"]: item["retention"] for item in listed.json()["items"]}


def closed_referral(db: Session, world: World, closed_on: date, **fields: Any) -> Any:
    return make_referral(
        db,
        world.centre_a,
        status="closed",
        closed_on=closed_on,
        received_on=date(2020, 1, 2),
        **fields,
    )


def hold(db: Session, world: World, **target: Any) -> LegalHold:
    placed = LegalHold(
        centre_id=world.centre_a.id, reason="claim", placed_by_id=world.admin.id, **target
    )
    db.add(placed)
    db.flush()
    return placed


def assert_sweep_agrees(db: Session, world: World, record: Any, found: RetentionBlock) -> None:
    """The sweep disposes of the record exactly from its `dispose_after` (never, with a reason)."""

    def due(today: date) -> bool:
        centres = frozenset({world.centre_a.id})
        return any(
            item.record_id == record.id
            for rule in retention_sweep.preview(db, today, centres, 1000)
            for item in rule.records
        )

    if found.dispose_after is None:
        assert not due(date(2199, 1, 1))
    else:
        assert not due(found.dispose_after - timedelta(days=1))
        assert due(found.dispose_after)


# --- referrals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "closed_on", "expected"),
    [
        ({}, date(2025, 3, 10), block("referral_no_court", date(2025, 3, 10), date(2026, 3, 10))),
        (
            {"has_court_order": True},
            date(2025, 3, 10),
            block("referral_court", date(2025, 3, 10), date(2028, 3, 10)),
        ),
        (
            {"cafcass_involved": True, "source": "srs"},
            date(2025, 3, 10),
            block("referral_court", date(2025, 3, 10), date(2028, 3, 10)),
        ),
        # 29 Feb + 1 year is 28 Feb; + 3 years as well
        ({}, date(2024, 2, 29), block("referral_no_court", date(2024, 2, 29), date(2025, 2, 28))),
        (
            {"has_court_order": True},
            date(2024, 2, 29),
            block("referral_court", date(2024, 2, 29), date(2027, 2, 28)),
        ),
    ],
)
def test_closed_referrals_are_due_a_rule_period_after_closure(
    client: TestClient, db: Session, world: World, fields: Any, closed_on: date, expected: Any
) -> None:
    referral = closed_referral(db, world, closed_on, **fields)
    db.commit()
    [found] = retention_blocks(db, [referral])
    assert as_json(found) == expected
    path = f"/referrals/{referral.id}"
    assert api_block(client, world, path, "/referrals", referral.id) == expected
    assert_sweep_agrees(db, world, referral, found)


def test_an_open_referral_has_no_due_date(client: TestClient, db: Session, world: World) -> None:
    referral = make_referral(db, world.centre_a, status="active", has_court_order=True)
    db.commit()
    expected = block("referral_court", None, None, "open")
    assert as_json(retention_blocks(db, [referral])[0]) == expected
    assert api_block(client, world, f"/referrals/{referral.id}", "/referrals", referral.id) == (
        expected
    )


def test_a_held_referral_or_a_held_party_stops_the_clock_until_released(
    client: TestClient, db: Session, world: World
) -> None:
    own = closed_referral(db, world, date(2025, 1, 10))
    via_party = closed_referral(db, world, date(2025, 1, 10))
    free = closed_referral(db, world, date(2025, 1, 10))
    parent = make_person(db, world.centre_a)
    add_party(db, via_party, parent, "resident_parent")
    record_hold = hold(db, world, record_type="referral", record_id=own.id)
    person_hold = hold(db, world, person_id=parent.id)
    # A hold on another record type with the same id, or a released one, holds nothing.
    hold(db, world, record_type="finance_record", record_id=free.id)
    hold(
        db, world, record_type="referral", record_id=free.id
    ).released_at = retention_sweep.utcnow()
    db.commit()

    held = block("referral_no_court", date(2025, 1, 10), None, "held")
    due = block("referral_no_court", date(2025, 1, 10), date(2026, 1, 10))
    blocks = retention_blocks(db, [own, via_party, free])
    assert [as_json(b) for b in blocks] == [held, held, due]
    listed = listed_blocks(client, world, "/referrals")
    assert [listed[str(r.id)] for r in (own, via_party, free)] == [held, held, due]
    assert api_block(client, world, f"/referrals/{own.id}", "/referrals", own.id) == held
    for referral, found in zip((own, via_party, free), blocks, strict=True):
        assert_sweep_agrees(db, world, referral, found)

    record_hold.released_at = person_hold.released_at = retention_sweep.utcnow()
    db.commit()
    assert [as_json(b) for b in retention_blocks(db, [own, via_party])] == [due, due]


def test_a_frozen_party_holds_the_referral(db: Session, world: World) -> None:
    """The subject of an open access request is frozen: their referral counts as held."""
    from app.subject_requests.models import SubjectRequest

    referral = closed_referral(db, world, date(2025, 1, 10))
    subject = make_person(db, world.centre_a)
    add_party(db, referral, subject, "child")
    db.add(
        SubjectRequest(
            centre_id=world.centre_a.id,
            subject_id=subject.id,
            kind="access",
            status="received",
            requester="parent",
            requester_basis="parental responsibility",
            channel="email",
            received_on=date(2026, 11, 2),
            due_on=date(2026, 12, 2),
        )
    )
    db.flush()
    [found] = retention_blocks(db, [referral])
    assert as_json(found) == block("referral_no_court", date(2025, 1, 10), None, "frozen")
    assert_sweep_agrees(db, world, referral, found)


def test_an_edited_period_shows_at_once_with_calendar_months(db: Session, world: World) -> None:
    rule = db.get(RetentionRule, "referral_no_court")
    assert rule is not None
    rule.period_months = 1
    referral = closed_referral(db, world, date(2025, 1, 31))
    leap = closed_referral(db, world, date(2024, 1, 31))
    db.flush()
    assert [b.dispose_after for b in retention_blocks(db, [referral, leap])] == [
        date(2025, 2, 28),
        date(2024, 2, 29),
    ]


def test_a_list_costs_two_queries_whatever_its_length(db: Session, world: World) -> None:
    referrals = [closed_referral(db, world, date(2025, 1, day)) for day in range(1, 21)]
    db.commit()
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        blocks = retention_blocks(db, referrals)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert [b.trigger_on for b in blocks] == [r.closed_on for r in referrals]
    assert len(statements) == 2, statements  # the rules, then every block at once
    assert retention_blocks(db, []) == []


# --- staff, their HR file and DBS checks, parental leave ---------------------------------------


def test_ended_staff_keep_six_years_and_their_hr_file_and_dbs_checks_go_with_them(
    client: TestClient, db: Session, world: World
) -> None:
    staff = make_staff(db, world.centre_a, engagement="paid", ended_on=date(2024, 2, 29))
    check = make_dbs_check(db, staff)
    entry = make_hr_note(db, staff)
    db.commit()
    expected = block("hr_file", date(2024, 2, 29), date(2030, 2, 28))
    assert [as_json(b) for b in retention_blocks(db, [staff])] == [expected]
    assert [as_json(b) for b in retention_blocks(db, [check])] == [expected]
    assert [as_json(b) for b in retention_blocks(db, [entry, entry])] == [expected, expected]
    assert api_block(client, world, f"/staff/{staff.id}", "/staff", staff.id) == expected
    checks = f"/staff/{staff.id}/dbs-checks"
    assert api_block(client, world, f"{checks}/{check.id}", checks, check.id) == expected
    assert listed_blocks(client, world, f"/staff/{staff.id}/hr-files") == {str(entry.id): expected}
    assert_sweep_agrees(db, world, staff, retention_blocks(db, [staff])[0])


def test_applicants_who_never_started_are_due_three_years_after_last_use(
    client: TestClient, db: Session, world: World
) -> None:
    staff = make_staff(
        db, world.centre_a, started_on=date(2099, 1, 4), last_used_on=date(2025, 6, 30)
    )
    check = make_dbs_check(db, staff)
    db.commit()
    expected = block("staff_unused", date(2025, 6, 30), date(2028, 6, 30))
    assert as_json(retention_blocks(db, [staff])[0]) == expected
    assert api_block(client, world, f"/staff/{staff.id}", "/staff", staff.id) == expected
    checks = f"/staff/{staff.id}/dbs-checks"
    assert api_block(client, world, f"{checks}/{check.id}", checks, check.id) == expected
    assert_sweep_agrees(db, world, staff, retention_blocks(db, [staff])[0])


def test_staff_with_parental_leave_wait_for_it_and_each_leave_has_its_own_date(
    client: TestClient, db: Session, world: World
) -> None:
    staff = make_staff(db, world.centre_a, engagement="paid", ended_on=date(2020, 4, 30))
    check = make_dbs_check(db, staff)
    plain = make_parental_leave(db, staff, child_birth_or_adoption_on=date(2024, 2, 29))
    allowance = make_parental_leave(
        db, staff, child_birth_or_adoption_on=date(2024, 2, 29), disability_allowance=True
    )
    db.commit()
    waiting = block("hr_file", date(2020, 4, 30), None, "waiting")
    assert [as_json(b) for b in retention_blocks(db, [staff])] == [waiting]
    assert api_block(client, world, f"/staff/{staff.id}", "/staff", staff.id) == waiting
    checks = f"/staff/{staff.id}/dbs-checks"
    assert api_block(client, world, f"{checks}/{check.id}", checks, check.id) == waiting

    expected = [
        block("parental_leave", date(2024, 2, 29), date(2029, 2, 28)),
        block("parental_leave_disability", date(2024, 2, 29), date(2042, 2, 28)),
    ]
    assert [as_json(b) for b in retention_blocks(db, [plain, allowance])] == expected
    leave = f"/staff/{staff.id}/parental-leave"
    assert [
        api_block(client, world, f"{leave}/{record.id}", leave, record.id)
        for record in (plain, allowance)
    ] == expected
    for record, found in zip((plain, allowance), retention_blocks(db, [plain, allowance])):
        assert_sweep_agrees(db, world, record, found)
    assert_sweep_agrees(db, world, staff, retention_blocks(db, [staff])[0])


def test_a_held_staff_member_holds_their_hr_file_and_dbs_checks(
    client: TestClient, db: Session, world: World
) -> None:
    staff = make_staff(db, world.centre_a, engagement="paid", ended_on=date(2019, 1, 31))
    check = make_dbs_check(db, staff)
    hold(db, world, record_type="staff_member", record_id=staff.id)
    db.commit()
    held = block("hr_file", date(2019, 1, 31), None, "held")
    assert [as_json(b) for b in retention_blocks(db, [staff])] == [held]
    checks = f"/staff/{staff.id}/dbs-checks"
    assert api_block(client, world, f"{checks}/{check.id}", checks, check.id) == held
    assert_sweep_agrees(db, world, staff, retention_blocks(db, [staff])[0])


# --- finance ------------------------------------------------------------------------------------


def test_finance_records_are_due_six_years_after_their_last_year_end(
    client: TestClient, db: Session, world: World
) -> None:
    record = make_finance_record(db, world.centre_a, transaction_on=date(2024, 6, 1))
    spanning = make_finance_record(
        db, world.centre_a, transaction_on=date(2024, 6, 1), period_end_on=date(2025, 6, 30)
    )
    enquiry = make_finance_record(
        db, world.centre_a, transaction_on=date(2024, 6, 1), hmrc_enquiry_open=True
    )
    db.commit()
    assert record.last_year_end_on == date(2025, 3, 31)
    assert spanning.last_year_end_on == date(2026, 3, 31)
    expected = [
        block("finance", date(2025, 3, 31), date(2031, 3, 31)),
        block("finance", date(2026, 3, 31), date(2032, 3, 31)),
        block("finance", date(2025, 3, 31), None, "hmrc_enquiry"),
    ]
    records = [record, spanning, enquiry]
    assert [as_json(b) for b in retention_blocks(db, records)] == expected
    assert [
        api_block(client, world, f"/finance-records/{r.id}", "/finance-records", r.id)
        for r in records
    ] == expected
    for r, found in zip(records, retention_blocks(db, records), strict=True):
        assert_sweep_agrees(db, world, r, found)


def test_a_type_under_a_keep_rule_needs_only_its_spec(
    monkeypatch: pytest.MonkeyPatch, db: Session, world: World
) -> None:
    """How incidents join: one `Spec` with the keep rule (a person stands in for an incident)."""
    monkeypatch.setitem(
        blocks.SPECS, Person, blocks.Spec(Person, "incident", fixed_rule="safeguarding")
    )
    people = [make_person(db, world.centre_a), make_person(db, world.centre_a)]
    expected = block("safeguarding", None, None, "kept_indefinitely")
    assert [as_json(b) for b in retention_blocks(db, people)] == [expected, expected]


def test_a_keep_rule_keeps_indefinitely(db: Session, world: World) -> None:
    rule = db.get(RetentionRule, "finance")
    assert rule is not None
    rule.action, rule.period_months = "keep", None
    record = make_finance_record(db, world.centre_a)
    db.flush()
    [found] = retention_blocks(db, [record])
    assert as_json(found) == block("finance", date(2027, 3, 31), None, "kept_indefinitely")
    assert_sweep_agrees(db, world, record, found)


def test_complaints_and_incidents_carry_their_blocks(
    client: TestClient, db: Session, world: World
) -> None:
    from tests.cases.factories import make_complaint, make_incident

    open_complaint = make_complaint(db, world.centre_a)
    resolved = make_complaint(
        db,
        world.centre_a,
        status="resolved",
        resolved_on=date(2025, 1, 10),
        closed_on=date(2025, 1, 10),
    )
    incident = make_incident(db, world.centre_a)
    db.commit()
    found = retention_blocks(db, [open_complaint, resolved])
    assert [as_json(b) for b in found] == [
        block("complaint", None, None, "open"),
        block("complaint", date(2025, 1, 10), date(2026, 1, 10)),
    ]
    assert as_json(retention_blocks(db, [incident])[0]) == block(
        "safeguarding", None, None, "kept_indefinitely"
    )
    staff = world.headers("centre_staff")
    body = client.get(f"/api/v1/complaints/{resolved.id}", headers=staff).json()
    assert body["retention"]["dispose_after"] == "2026-01-10"
    listed = client.get("/api/v1/incidents", headers=staff).json()["items"]
    assert listed[0]["retention"]["reason"] == "kept_indefinitely"
