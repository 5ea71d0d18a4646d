"""Matrix rows of the finance routes: inspectors never see finance (403)."""

from __future__ import annotations

from tests.factories import World
from tests.matrix import Call, Row, centre_write
from tests.staff.factories import committed, make_finance_record

IF_MATCH = {"If-Match": '"1"'}
BASE = "/api/v1/finance-records"
NO_INSPECTOR = {"naccc_staff": 200, "centre_staff": 200, "inspector": 403}


def _record(centre: str, **call: object):  # type: ignore[no-untyped-def]
    def build(w: World) -> Call:
        record = committed(
            w.session, make_finance_record(w.session, getattr(w, f"centre_{centre}"))
        )
        return Call({"record_id": record.id}, **call)  # type: ignore[arg-type]

    return build


ROWS = [
    Row("GET", BASE, NO_INSPECTOR),
    Row(
        "POST",
        BASE,
        centre_write(201),
        lambda w: Call(
            json={
                "centre_id": str(w.centre_a.id),
                "reference": "INV-7",
                "amount": "99.99",
                "transaction_on": "2026-03-31",
            }
        ),
    ),
    Row("GET", BASE + "/{record_id}", NO_INSPECTOR, _record("a"), other_centre=_record("b")),
    Row(
        "PATCH",
        BASE + "/{record_id}",
        centre_write(200),
        _record("a", json={"hmrc_enquiry_open": True}, headers=IF_MATCH),
        other_centre=_record("b", json={"hmrc_enquiry_open": True}, headers=IF_MATCH),
    ),
]
