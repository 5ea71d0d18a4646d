"""Matrix rows of the retention routes."""

from __future__ import annotations

from datetime import date

from app.retention.models import LegalHold, RetentionReview, Sweep
from tests.cases.factories import make_referral
from tests.factories import World
from tests.matrix import Call, Row, staff_only

STAFF_READ = {"naccc_staff": 200, "centre_staff": 200, "inspector": 403}
PUBLIC = {"naccc_staff": 200, "centre_staff": 200, "inspector": 200, "anonymous": 200}

HOLD_WRITE = {"naccc_staff": 201, "centre_staff": 201, "inspector": 403}
HOLD_RELEASE = {"naccc_staff": 200, "centre_staff": 200, "inspector": 403}


def _hold(w: World, centre: str = "a") -> LegalHold:
    target = w.centre_a if centre == "a" else w.centre_b
    referral = make_referral(w.session, target, status="closed", closed_on=date(2020, 1, 1))
    hold = LegalHold(
        centre_id=target.id,
        record_type="referral",
        record_id=referral.id,
        reason="claim",
        placed_by_id=w.admin.id,
    )
    w.session.add(hold)
    w.session.commit()
    return hold


def _new_hold(w: World) -> Call:
    referral = make_referral(w.session, w.centre_a)
    w.session.commit()
    return Call(json={"record_type": "referral", "record_id": str(referral.id), "reason": "claim"})


def _sweep(w: World) -> Call:
    sweep = Sweep(trigger="api", as_of=date(2026, 1, 1), status="completed", counts={})
    w.session.add(sweep)
    w.session.commit()
    return Call({"sweep_id": sweep.id})


def _review(w: World, centre: str = "a") -> RetentionReview:
    target = w.centre_a if centre == "a" else w.centre_b
    referral = make_referral(w.session, target, status="closed", closed_on=date(2020, 1, 1))
    item = RetentionReview(
        centre_id=target.id,
        rule_key="referral_no_court",
        record_type="referral",
        record_id=referral.id,
        due_on=date(2021, 1, 1),
        reason="Rule referral_no_court requires review before disposal",
    )
    w.session.add(item)
    w.session.commit()
    return item


def _decision(w: World, centre: str = "a") -> Call:
    item = _review(w, centre)
    return Call({"review_id": item.id}, json={"decision": "approve"}, headers={"If-Match": '"1"'})


ROWS = [
    Row("GET", "/api/v1/retention/reviews", STAFF_READ),
    Row(
        "GET",
        "/api/v1/retention/reviews/{review_id}",
        STAFF_READ,
        lambda w: Call({"review_id": _review(w).id}),
        other_centre=lambda w: Call({"review_id": _review(w, "b").id}),
    ),
    Row(
        "POST",
        "/api/v1/retention/reviews/{review_id}/decision",
        staff_only(200),
        _decision,
        other_centre=lambda w: _decision(w, "b"),
    ),
    Row("GET", "/api/v1/retention/due", STAFF_READ),
    Row("GET", "/api/v1/retention/sweeps", staff_only(200)),
    Row(
        "POST", "/api/v1/retention/sweeps", staff_only(202), lambda w: Call(json={"dry_run": True})
    ),
    Row("GET", "/api/v1/retention/sweeps/{sweep_id}", staff_only(200), _sweep),
    Row("GET", "/api/v1/retention/disposals", STAFF_READ),
    Row("GET", "/api/v1/legal-holds", STAFF_READ),
    Row("POST", "/api/v1/legal-holds", HOLD_WRITE, _new_hold),
    Row(
        "GET",
        "/api/v1/legal-holds/{hold_id}",
        STAFF_READ,
        lambda w: Call({"hold_id": _hold(w).id}),
        other_centre=lambda w: Call({"hold_id": _hold(w, "b").id}),
    ),
    Row(
        "DELETE",
        "/api/v1/legal-holds/{hold_id}",
        HOLD_RELEASE,
        lambda w: Call({"hold_id": _hold(w).id}),
        other_centre=lambda w: Call({"hold_id": _hold(w, "b").id}),
    ),
    Row("GET", "/api/v1/retention/rules", STAFF_READ),
    Row("GET", "/api/v1/retention/rules/{key}", STAFF_READ, lambda w: Call({"key": "complaint"})),
    Row(
        "PATCH",
        "/api/v1/retention/rules/{key}",
        staff_only(200),
        lambda w: Call(
            {"key": "complaint"}, json={"period_months": 24}, headers={"If-Match": '"1"'}
        ),
    ),
    Row("GET", "/api/v1/public/retention-schedule", PUBLIC),
]
