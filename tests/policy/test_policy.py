"""Privacy policy versions, the version in force, the three-yearly review, the public notice."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient

from app.db import utcnow
from app.policy import service
from app.policy.models import PrivacyPolicy
from tests.factories import World
from tests.policy.matrix import SEEDED_POLICY_ID, new_version


def _reviewed(on: date) -> PrivacyPolicy:
    return PrivacyPolicy(reviewed_on=on)


def test_a_review_is_due_three_years_on_and_overdue_the_day_after() -> None:
    policy = _reviewed(date(2023, 1, 1))
    assert service.next_review_due(policy) == date(2026, 1, 1)
    assert not service.review_overdue(policy, date(2025, 12, 31))
    assert not service.review_overdue(policy, date(2026, 1, 1))
    assert service.review_overdue(policy, date(2026, 1, 2))
    assert service.next_review_due(_reviewed(date(2024, 2, 29))) == date(2027, 2, 28)


def test_the_seeded_policy_is_the_centres_and_in_force(client: TestClient, world: World) -> None:
    response = client.get(
        f"/api/v1/privacy-policies/{SEEDED_POLICY_ID}", headers=world.headers("inspector")
    )
    body = response.json()
    assert response.status_code == 200
    assert body["reviewed_on"] == "2026-03-11" and body["next_review_due"] == "2029-03-11"
    assert body["in_force"] is True and body["review_overdue"] is False
    assert "Securely disposed of after one year following resolution" in body["text"]
    assert body["controller_contact"] == "Mary@ceccc.org.uk"


def test_public_policy_needs_no_token_and_shows_the_notice_only(client: TestClient) -> None:
    response = client.get("/api/v1/public/privacy-policy")
    assert response.status_code == 200
    assert set(response.json()) == {
        "version",
        "effective_on",
        "text",
        "controller_name",
        "controller_contact",
        "reviewed_on",
        "next_review_due",
    }
    assert response.json()["controller_name"].startswith("Phillip Parker")


def test_a_new_version_takes_over_on_its_effective_date(client: TestClient, world: World) -> None:
    admin = world.headers("naccc_staff")
    future = {
        **new_version("future"),
        "effective_on": (utcnow().date() + timedelta(days=30)).isoformat(),
    }
    assert client.post("/api/v1/privacy-policies", json=future, headers=admin).status_code == 201
    assert client.get("/api/v1/public/privacy-policy").json()["version"] == "2026-03-11"

    today = {
        **new_version("today"),
        "effective_on": utcnow().date().isoformat(),
        "reviewed_on": utcnow().date().isoformat(),
    }
    created = client.post("/api/v1/privacy-policies", json=today, headers=admin)
    assert created.status_code == 201 and created.json()["in_force"] is True
    assert client.get("/api/v1/public/privacy-policy").json()["version"] == "today"
    listed = client.get("/api/v1/privacy-policies", headers=admin).json()["items"]
    assert [p["version"] for p in listed if p["in_force"]] == ["today"]


def test_versions_are_unique_and_reviewed_before_they_take_effect(
    client: TestClient, world: World
) -> None:
    admin = world.headers("naccc_staff")
    assert (
        client.post(
            "/api/v1/privacy-policies", json=new_version("2026-03-11"), headers=admin
        ).status_code
        == 409
    )
    late_review = {**new_version("late"), "reviewed_on": "2027-02-01"}
    response = client.post("/api/v1/privacy-policies", json=late_review, headers=admin)
    assert (
        response.status_code == 422
        and response.headers["content-type"] == "application/problem+json"
    )
    assert (
        client.post(
            "/api/v1/privacy-policies", json={**new_version("x"), "text": ""}, headers=admin
        ).status_code
        == 422
    )
