"""Matrix rows of the work queue. Inspectors have no queue (no `tasks:read`)."""

from __future__ import annotations

from tests.matrix import Row

ROWS = [Row("GET", "/api/v1/tasks", {"naccc_staff": 200, "centre_staff": 200, "inspector": 403})]
