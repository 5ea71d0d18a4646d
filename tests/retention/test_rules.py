"""The retention schedule as data: seeded from the policy, editable by NACCC only, public."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.factories import World

POLICY_KEYS = {
    "complaint": 12,
    "referral_court": 36,
    "referral_no_court": 12,
    "safeguarding": None,
    "hr_file": 72,
    "parental_leave": 60,
    "parental_leave_disability": 216,
    "finance": 72,
    "staff_unused": 36,
}


def test_every_policy_row_is_seeded_with_its_text(client: TestClient, world: World) -> None:
    rules = client.get("/api/v1/retention/rules", headers=world.headers("centre_staff")).json()
    assert {r["key"]: r["period_months"] for r in rules} == POLICY_KEYS
    by_key = {r["key"]: r for r in rules}
    assert by_key["safeguarding"]["action"] == "keep"
    assert "one year following resolution" in by_key["complaint"]["policy_text"]
    assert by_key["hr_file"]["period"] == "6 years"


def test_naccc_can_lengthen_a_rule_and_the_change_is_audited(
    client: TestClient, world: World, db
) -> None:
    headers = {**world.headers("naccc_staff"), "If-Match": '"1"'}
    response = client.patch(
        "/api/v1/retention/rules/complaint", json={"period_months": 18}, headers=headers
    )
    assert response.status_code == 200
    assert (response.json()["period"], response.headers["etag"]) == ("1 year 6 months", '"2"')
    event = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "retention_rules_update")
        .order_by(AuditEvent.seq.desc())
    ).first()
    assert (event.resource_id, event.status_code) == ("complaint", 200)


@pytest.mark.parametrize("period", [0, -12, None, "12", 1.5, 1201])
def test_a_rule_cannot_get_an_empty_or_negative_period(
    client: TestClient, world: World, period
) -> None:
    headers = {**world.headers("naccc_staff"), "If-Match": '"1"'}
    response = client.patch(
        "/api/v1/retention/rules/complaint", json={"period_months": period}, headers=headers
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_a_keep_rule_has_no_period_to_change(client: TestClient, world: World) -> None:
    headers = {**world.headers("naccc_staff"), "If-Match": '"1"'}
    response = client.patch(
        "/api/v1/retention/rules/safeguarding", json={"period_months": 12}, headers=headers
    )
    assert response.status_code == 422


def test_rule_updates_need_the_current_version(client: TestClient, world: World) -> None:
    url = "/api/v1/retention/rules/finance"
    admin = world.headers("naccc_staff")
    assert client.patch(url, json={"period_months": 84}, headers=admin).status_code == 428
    assert (
        client.patch(
            url, json={"period_months": 84}, headers={**admin, "If-Match": '"9"'}
        ).status_code
        == 412
    )
    assert client.get("/api/v1/retention/rules/nope", headers=admin).status_code == 404


def test_public_schedule_needs_no_token_and_shows_only_the_schedule(
    client: TestClient, world: World
) -> None:
    response = client.get("/api/v1/public/retention-schedule")
    assert response.status_code == 200
    rules = response.json()["rules"]
    assert len(rules) == len(POLICY_KEYS)
    assert {"record", "condition", "kept_for", "after", "policy_text"} == set(rules[0])
    assert any(r["kept_for"] == "indefinitely" for r in rules)
    assert "Centre AA" not in response.text
