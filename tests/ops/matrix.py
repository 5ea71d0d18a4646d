"""Matrix rows of the operations routes."""

from __future__ import annotations

from tests.matrix import Row, staff_only

ROWS = [Row("GET", "/metrics", staff_only(200))]
