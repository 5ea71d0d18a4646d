"""Finance records over HTTP: the computed years, decimals, scoping, versions, inspectors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.factories import World, make_centre
from tests.staff.factories import make_finance_record

BASE = "/api/v1/finance-records"


def _create(client: TestClient, world: World, role: str = "centre_staff", **body: object):
    payload = {
        "centre_id": str(world.centre_a.id),
        "reference": "INV-1",
        "amount": "125.50",
        "transaction_on": "2026-03-31",
        **body,
    }
    return client.post(BASE, json=payload, headers=world.headers(role))


@pytest.mark.parametrize(
    ("transaction_on", "last_year_end_on"),
    [("2026-03-31", "2026-03-31"), ("2026-04-01", "2027-03-31")],
)
def test_march_year_end_on_the_day_and_the_day_after(
    client: TestClient, world: World, transaction_on: str, last_year_end_on: str
) -> None:
    response = _create(client, world, transaction_on=transaction_on)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["last_year_end_on"] == last_year_end_on
    assert (body["year_end_month"], body["year_end_day"]) == (3, 31)
    assert body["accounting_periods"] == [
        {"starts_on": f"{int(last_year_end_on[:4]) - 1}-04-01", "ends_on": last_year_end_on}
    ]


@pytest.mark.parametrize(
    ("transaction_on", "last_year_end_on"),
    [("2026-12-31", "2026-12-31"), ("2027-01-01", "2027-12-31")],
)
def test_december_year_end_on_the_day_and_the_day_after(
    client: TestClient, world: World, db, transaction_on: str, last_year_end_on: str
) -> None:
    centre = make_centre(db, "DEC", year_end_month=12, year_end_day=31)
    db.commit()
    response = _create(
        client, world, "naccc_staff", centre_id=str(centre.id), transaction_on=transaction_on
    )
    assert response.status_code == 201, response.text
    assert response.json()["last_year_end_on"] == last_year_end_on
    assert response.json()["first_year_end_on"] == last_year_end_on


def test_a_multi_period_record_says_which_periods_and_ends_with_the_last(
    client: TestClient, world: World
) -> None:
    response = _create(client, world, transaction_on="2026-03-01", period_end_on="2028-06-30")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["first_year_end_on"] == "2026-03-31"
    assert body["last_year_end_on"] == "2029-03-31"
    assert [p["ends_on"] for p in body["accounting_periods"]] == [
        "2026-03-31",
        "2027-03-31",
        "2028-03-31",
        "2029-03-31",
    ]


def test_changing_the_dates_recomputes_the_last_year_end(client: TestClient, world: World) -> None:
    created = _create(client, world).json()
    response = client.patch(
        f"{BASE}/{created['id']}",
        json={"period_end_on": "2027-04-01"},
        headers={**world.headers("centre_staff"), "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["last_year_end_on"] == "2028-03-31"
    assert response.headers["etag"] == '"2"'


def test_a_period_ending_before_the_transaction_is_refused(
    client: TestClient, world: World
) -> None:
    response = _create(client, world, period_end_on="2026-01-01")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "period_end_on"]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_implausible_dates_are_a_rule_problem_not_a_crash(
    client: TestClient, world: World, day: str
) -> None:
    response = _create(client, world, transaction_on=day)
    assert response.status_code == 422
    assert response.json()["type"].endswith("/unprocessable")


def test_amounts_are_exact_decimals_stored_as_pence(client: TestClient, world: World, db) -> None:
    response = _create(client, world, amount="-1234567890.99")
    assert response.status_code == 201, response.text
    assert response.json()["amount"] == "-1234567890.99"
    raw = db.execute(
        text("SELECT amount_pence FROM finance_record WHERE reference = 'INV-1'")
    ).scalar()
    assert raw == -123456789099 and isinstance(raw, int)


@pytest.mark.parametrize("amount", [125.5, 125, "125.555", "1e3", "NaN", "", None])
def test_an_amount_that_is_not_a_decimal_string_is_refused(
    client: TestClient, world: World, amount: object
) -> None:
    assert _create(client, world, amount=amount).status_code == 422


def test_inspectors_never_see_finance(client: TestClient, world: World, db) -> None:
    record = make_finance_record(db, world.centre_a)
    db.commit()
    headers = world.headers("inspector")
    assert client.get(BASE, headers=headers).status_code == 403
    assert client.get(f"{BASE}/{record.id}", headers=headers).status_code == 403


def test_centre_staff_see_and_change_only_their_centres_records(
    client: TestClient, world: World, db
) -> None:
    own = make_finance_record(db, world.centre_a, reference="A")
    other = make_finance_record(db, world.centre_b, reference="B")
    db.commit()
    headers = world.headers("centre_staff")
    listed = client.get(BASE, headers=headers).json()["items"]
    assert [r["id"] for r in listed] == [str(own.id)]
    assert client.get(f"{BASE}/{other.id}", headers=headers).status_code == 404
    response = client.patch(
        f"{BASE}/{other.id}", json={"reference": "X"}, headers={**headers, "If-Match": '"1"'}
    )
    assert response.status_code == 404
    response = _create(client, world, centre_id=str(world.centre_b.id))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "centre_id"]


def test_an_update_needs_the_current_version(client: TestClient, world: World, db) -> None:
    record = make_finance_record(db, world.centre_a)
    db.commit()
    headers = world.headers("centre_staff")
    url = f"{BASE}/{record.id}"
    assert client.patch(url, json={"reference": "X"}, headers=headers).status_code == 428
    stale = client.patch(url, json={"reference": "X"}, headers={**headers, "If-Match": '"7"'})
    assert stale.status_code == 412
    nulled = client.patch(url, json={"amount": None}, headers={**headers, "If-Match": '"1"'})
    assert nulled.status_code == 422


def test_hmrc_enquiry_filter(client: TestClient, world: World, db) -> None:
    open_enquiry = make_finance_record(db, world.centre_a, hmrc_enquiry_open=True)
    make_finance_record(db, world.centre_a)
    db.commit()
    response = client.get(
        BASE, params={"hmrc_enquiry_open": "true"}, headers=world.headers("centre_staff")
    )
    assert [r["id"] for r in response.json()["items"]] == [str(open_enquiry.id)]
    assert Decimal(response.json()["items"][0]["amount"]) == Decimal("125.50")
