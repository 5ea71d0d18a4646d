"""Matrix rows of the statistics route."""

from __future__ import annotations

from tests.factories import World
from tests.matrix import Call, Row, centre_read


def _other_centre(w: World) -> Call:
    return Call(params={"from": "2025-01-01", "to": "2025-12-31", "centre_id": str(w.centre_b.id)})


ROWS = [
    Row(
        "GET",
        "/api/v1/stats/summary",
        centre_read(200),
        lambda w: Call(params={"from": "2025-01-01", "to": "2025-12-31"}),
        other_centre=_other_centre,
    ),
]
