"""Matrix rows of the retention routes."""

from __future__ import annotations

from tests.matrix import Call, Row, staff_only

STAFF_READ = {"naccc_staff": 200, "centre_staff": 200, "inspector": 403}
PUBLIC = {"naccc_staff": 200, "centre_staff": 200, "inspector": 200, "anonymous": 200}

ROWS = [
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
