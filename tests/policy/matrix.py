"""Matrix rows of the privacy-policy routes."""

from __future__ import annotations

import uuid
from datetime import timedelta

from app.policy.models import PrivacyPolicy
from app.time import today_in_london
from tests.cases.factories import make_person
from tests.factories import World
from tests.matrix import Call, Row, centre_read, centre_write, staff_only

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
        "reduces_rights": False,
        "summary_of_changes": "Wording revised; no right changes.",
    }


def make_reducing_version(w: World, effective_in_days: int = 30) -> PrivacyPolicy:
    """A version that reduces rights, taking effect later than today."""
    today = today_in_london()
    policy = PrivacyPolicy(
        version=f"reduce-{uuid.uuid4().hex[:8]}",
        text="# Privacy Policy\n\nFewer rights.",
        effective_on=today + timedelta(days=effective_in_days),
        reviewed_by="Reviewer",
        reviewed_on=today,
        controller_name="Controller",
        controller_contact="privacy@example.org",
        reduces_rights=True,
        summary_of_changes="Session notes kept longer.",
    )
    w.session.add(policy)
    w.session.commit()
    return policy


def _person(w: World, centre: str = "a") -> str:
    person = make_person(w.session, w.centre_a if centre == "a" else w.centre_b)
    w.session.commit()
    return str(person.id)


def _consent(w: World, centre: str = "a") -> Call:
    policy = make_reducing_version(w)
    body = {
        "policy_id": str(policy.id),
        "method": "written",
        "consented_on": today_in_london().isoformat(),
    }
    return Call({"person_id": _person(w, centre)}, json=body)


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
    Row("GET", "/api/v1/public/privacy-policies", PUBLIC),
    Row(
        "GET",
        "/api/v1/privacy-policies/{policy_id}/people-to-notify",
        centre_read(),
        lambda w: Call({"policy_id": SEEDED_POLICY_ID}),
    ),
    Row(
        "GET",
        "/api/v1/people/{person_id}/privacy-policy",
        centre_read(),
        lambda w: Call({"person_id": _person(w)}),
        other_centre=lambda w: Call({"person_id": _person(w, "b")}),
    ),
    Row(
        "POST",
        "/api/v1/people/{person_id}/policy-consents",
        centre_write(201),
        _consent,
        other_centre=lambda w: _consent(w, "b"),
    ),
]
