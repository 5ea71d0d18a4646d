"""Matrix rows of the breach register. Inspectors do not see it (no `breaches:read`)."""

from __future__ import annotations

from typing import Any

from app.db import utcnow
from tests.breaches.factories import make_breach
from tests.factories import World
from tests.matrix import Call, Row, centre_write

IF_MATCH_1 = {"If-Match": '"1"'}
BASE = "/api/v1/breaches/{breach_id}"
STAFF_READ = {"naccc_staff": 200, "centre_staff": 200, "inspector": 403}


def _breach(centre: str, **fields: Any):  # type: ignore[no-untyped-def]
    def make(json: Any = None, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        def call(w: World) -> Call:
            breach = make_breach(w.session, getattr(w, f"centre_{centre}"), **fields)
            w.session.commit()
            body = json() if callable(json) else json
            return Call({"breach_id": breach.id}, json=body, headers=headers or {})

        return call

    return make


def _row(method: str, path: str, expect: dict[str, int], json: Any = None, **fields: Any) -> Row:
    headers = IF_MATCH_1 if method != "GET" else None
    return Row(
        method,
        path,
        expect,
        _breach("a", **fields)(json, headers),
        other_centre=_breach("b", **fields)(json, headers),
    )


def _now() -> str:
    return utcnow().isoformat()


CREATE = {
    "aware_at": "2026-01-05T09:00:00Z",
    "nature": "Letter sent to the wrong address",
    "approx_subjects": 2,
    "approx_records": 1,
}

ROWS = [
    Row("GET", "/api/v1/breaches", STAFF_READ),
    Row(
        "POST",
        "/api/v1/breaches",
        centre_write(201),
        lambda w: Call(json={**CREATE, "centre_id": str(w.centre_a.id)}),
    ),
    _row("GET", BASE, STAFF_READ),
    _row("PATCH", BASE, centre_write(200), {"approx_records": 4}),
    _row(
        "POST",
        BASE + "/assessment",
        centre_write(200),
        {"risk": "high", "reason": "Court papers with an address"},
    ),
    _row(
        "POST",
        BASE + "/ico-notification",
        centre_write(200),
        lambda: {"notified_at": _now(), "reference": "ICO/123"},
        risk="risk",
        risk_reason="Addresses",
    ),
    _row(
        "POST",
        BASE + "/people-notification",
        centre_write(200),
        lambda: {"notified_at": _now()},
        risk="high",
        risk_reason="Addresses",
    ),
    _row("POST", BASE + "/close", centre_write(200), risk="unlikely", risk_reason="Encrypted"),
]
