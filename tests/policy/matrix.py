"""Matrix rows of the privacy-policy routes."""

from __future__ import annotations

from tests.matrix import Call, Row, centre_read, staff_only

SEEDED_POLICY_ID = "6d0c0f10-e66a-481e-a5d5-5c0f10e66a81"
PUBLIC = {"naccc_staff": 200, "centre_staff": 200, "inspector": 200, "anonymous": 200}


def new_version(version: str = "2027-01-01") -> dict[str, str]:
    return {
        "version": version,
        "text": "# Privacy Policy\n\nRevised.",
        "effective_on": "2027-01-01",
        "reviewed_by": "Reviewer",
        "reviewed_on": "2026-12-01",
        "controller_name": "Controller",
        "controller_contact": "privacy@example.org",
    }


ROWS = [
    Row("GET", "/api/v1/privacy-policies", centre_read()),
    Row("POST", "/api/v1/privacy-policies", staff_only(201), lambda w: Call(json=new_version())),
    Row(
        "GET",
        "/api/v1/privacy-policies/{policy_id}",
        centre_read(),
        lambda w: Call({"policy_id": SEEDED_POLICY_ID}),
    ),
    Row("GET", "/api/v1/public/privacy-policy", PUBLIC),
]
