"""Disposition review (DESIGN §12): a rule that requires review queues its due records until
NACCC staff approve disposal, extend retention or place a hold; the sweep disposes of approved
records only and logs who approved."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.referrals.models import Referral
from app.retention import sweep as retention_sweep
from app.retention.models import Disposal, LegalHold, RetentionReview, RetentionRule
from app.time import today_in_london
from tests.cases.factories import make_referral
from tests.factories import World
from tests.helpers import assert_problem

RULES = "/api/v1/retention/rules"
REVIEWS = "/api/v1/retention/reviews"
DUE = "/api/v1/retention/due"
TASKS = "/api/v1/tasks"


def require_review(client: TestClient, world: World, key: str = "referral_no_court") -> None:
    admin = world.headers("naccc_staff")
    etag = client.get(f"{RULES}/{key}", headers=admin).headers["ETag"]
    answer = client.patch(
        f"{RULES}/{key}", json={"requires_review": True}, headers={**admin, "If-Match": etag}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["requires_review"] is True


def old_referral(db: Session, world: World, centre: str = "a") -> Referral:
    target = world.centre_a if centre == "a" else world.centre_b
    referral = make_referral(db, target, status="closed", closed_on=date(2020, 1, 1))
    db.commit()
    return referral


def sweep(app: FastAPI, today: date) -> None:
    options = retention_sweep.SweepOptions(today=today)
    assert retention_sweep.run(app.state.engine, app.state.sessionmaker, options) is not None


def still_there(db: Session, referral: Referral) -> bool:
    referral_id = inspect(referral).identity[0]
    db.expire_all()
    return db.get(Referral, referral_id) is not None


def the_item(client: TestClient, world: World, referral: Referral) -> dict:
    items = client.get(REVIEWS, headers=world.headers("naccc_staff")).json()["items"]
    [item] = [i for i in items if i["record_id"] == str(referral.id)]
    return item


def decide(client: TestClient, world: World, item: dict, **body: object):
    url = f"{REVIEWS}/{item['id']}/decision"
    headers = {**world.headers("naccc_staff"), "If-Match": f'"{item["version"]}"'}
    return client.post(url, json=body, headers=headers)


def test_no_rule_requires_review_by_default(db: Session) -> None:
    # DESIGN §4 and the policy name no rule whose disposal needs a person's decision.
    assert not db.scalars(select(RetentionRule).where(RetentionRule.requires_review)).all()


def test_due_records_wait_for_review_and_the_sweep_leaves_them(
    app: FastAPI, client: TestClient, world: World, db: Session
) -> None:
    referral = old_referral(db, world)
    require_review(client, world)
    item = the_item(client, world, referral)
    assert item["status"] == "pending" and item["rule_key"] == "referral_no_court"
    assert item["due_on"] == "2021-01-01" and item["centre_id"] == str(world.centre_a.id)
    rule = {
        r["rule_key"]: r
        for r in client.get(DUE, headers=world.headers("centre_staff")).json()["rules"]
    }["referral_no_court"]
    assert rule["total"] == 0 and rule["items"] == []
    assert rule["awaiting_review_total"] == 1
    assert rule["awaiting_review"][0]["record_id"] == str(referral.id)
    block = client.get(
        f"/api/v1/referrals/{referral.id}", headers=world.headers("centre_staff")
    ).json()["retention"]
    # The block gives the day it became due (for review); the queue item says it waits.
    assert block["dispose_after"] == "2021-01-01"
    sweep(app, today_in_london())
    assert still_there(db, referral)
    # Enqueued once: the sweep does not queue it twice.
    assert len(db.scalars(select(RetentionReview)).all()) == 1


def test_an_approved_record_is_disposed_of_and_the_log_names_the_approver(
    app: FastAPI, client: TestClient, world: World, db: Session
) -> None:
    referral = old_referral(db, world)
    require_review(client, world)
    tasks = client.get(TASKS, headers=world.headers("naccc_staff")).json()["items"]
    assert [t["record"]["type"] for t in tasks if t["kind"] == "records_awaiting_review"] == [
        "retention_review"
    ]
    answer = decide(client, world, the_item(client, world, referral), decision="approve")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "approved"
    assert answer.json()["decided_by_id"] == str(world.admin.id)
    tasks = client.get(TASKS, headers=world.headers("naccc_staff")).json()["items"]
    assert not [t for t in tasks if t["kind"] == "records_awaiting_review"]
    audit = db.scalars(
        select(AuditEvent).where(AuditEvent.resource_id == answer.json()["id"])
    ).all()
    assert [a.details["decision"] for a in audit if a.details] == ["approve"]
    sweep(app, today_in_london())
    referral_id = inspect(referral).identity[0]
    assert not still_there(db, referral)
    logged = db.scalars(select(Disposal).where(Disposal.record_id == referral_id)).one()
    assert logged.approved_by_id == world.admin.id and logged.rule_key == "referral_no_court"


def test_an_extension_needs_a_later_day_and_a_reason_and_ends(
    app: FastAPI, client: TestClient, world: World, db: Session
) -> None:
    referral = old_referral(db, world)
    require_review(client, world)
    item = the_item(client, world, referral)
    today = today_in_london()
    for body, field in (
        ({"decision": "extend", "reason": "claim"}, "until"),
        ({"decision": "extend", "until": today.isoformat(), "reason": "claim"}, "until"),
        ({"decision": "extend", "until": (today + timedelta(days=30)).isoformat()}, "reason"),
        ({"decision": "approve", "until": (today + timedelta(days=30)).isoformat()}, "until"),
    ):
        problem = assert_problem(decide(client, world, item, **body), 422)
        assert problem["errors"][0]["loc"] == ["body", field]
    assert_problem(decide(client, world, item, decision="destroy"), 422)
    until = today + timedelta(days=30)
    answer = decide(client, world, item, decision="extend", until=until.isoformat(), reason="x")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "extended"
    assert answer.json()["extended_until"] == until.isoformat()
    sweep(app, today)
    assert still_there(db, referral)
    assert the_item(client, world, referral)["status"] == "extended"
    # The day the extension ends, the record is back in the queue, not disposed of.
    sweep(app, until)
    assert still_there(db, referral)
    back = the_item(client, world, referral)
    assert back["status"] == "pending" and back["decided_by_id"] is None
    assert until.isoformat() in back["reason"]


def test_a_hold_decision_places_a_legal_hold_and_its_release_brings_the_record_back(
    app: FastAPI, client: TestClient, world: World, db: Session
) -> None:
    referral = old_referral(db, world)
    require_review(client, world)
    item = the_item(client, world, referral)
    assert_problem(decide(client, world, item, decision="hold"), 422)
    answer = decide(client, world, item, decision="hold", reason="litigation")
    assert answer.status_code == 200, answer.text
    hold = db.get(LegalHold, uuid.UUID(answer.json()["hold_id"]))
    assert hold is not None and hold.record_id == referral.id and hold.released_at is None
    sweep(app, today_in_london())
    assert still_there(db, referral)
    released = client.delete(f"/api/v1/legal-holds/{hold.id}", headers=world.headers("naccc_staff"))
    assert released.status_code == 200
    sweep(app, today_in_london())
    assert still_there(db, referral)
    assert the_item(client, world, referral)["status"] == "pending"


def test_a_decided_item_is_not_decided_again(client: TestClient, world: World, db: Session) -> None:
    referral = old_referral(db, world)
    require_review(client, world)
    item = the_item(client, world, referral)
    url = f"{REVIEWS}/{item['id']}/decision"
    admin = world.headers("naccc_staff")
    assert_problem(client.post(url, json={"decision": "approve"}, headers=admin), 428)
    assert decide(client, world, item, decision="approve").status_code == 200
    # The old version: 412; the current one, but decided: 409.
    assert_problem(decide(client, world, item, decision="approve"), 412)
    fresh = client.get(f"{REVIEWS}/{item['id']}", headers=admin)
    current = {**item, "version": int(fresh.headers["ETag"].strip('"'))}
    assert_problem(decide(client, world, current, decision="hold", reason="x"), 409)


def test_the_queue_filters_and_keeps_to_the_callers_centres(
    client: TestClient, world: World, db: Session
) -> None:
    mine, theirs = old_referral(db, world), old_referral(db, world, "b")
    require_review(client, world)
    staff = client.get(REVIEWS, headers=world.headers("centre_staff")).json()["items"]
    assert [i["record_id"] for i in staff] == [str(mine.id)]
    admin = world.headers("naccc_staff")
    assert len(client.get(REVIEWS, headers=admin).json()["items"]) == 2
    assert client.get(REVIEWS, params={"status": "approved"}, headers=admin).json()["items"] == []
    assert (
        client.get(REVIEWS, params={"rule_key": "complaint"}, headers=admin).json()["items"] == []
    )
    assert_problem(client.get(REVIEWS, params={"status": "gone"}, headers=admin), 422)
    other = the_item(client, world, theirs)
    assert_problem(
        client.get(f"{REVIEWS}/{other['id']}", headers=world.headers("centre_staff")), 404
    )
    # Deciding is NACCC's.
    url = f"{REVIEWS}/{other['id']}/decision"
    headers = {**world.headers("centre_staff"), "If-Match": '"1"'}
    assert_problem(client.post(url, json={"decision": "approve"}, headers=headers), 403)


def test_a_keep_rule_cannot_require_review(client: TestClient, world: World) -> None:
    admin = world.headers("naccc_staff")
    url = f"{RULES}/safeguarding"
    etag = client.get(url, headers=admin).headers["ETag"]
    headers = {**admin, "If-Match": etag}
    assert_problem(client.patch(url, json={"requires_review": True}, headers=headers), 422)
    assert_problem(client.patch(f"{RULES}/complaint", json={}, headers=headers), 422)


def test_a_pending_item_leaves_the_queue_when_it_no_longer_awaits_review(
    app: FastAPI, client: TestClient, world: World, db: Session
) -> None:
    held, unflagged = old_referral(db, world), old_referral(db, world)
    require_review(client, world)
    admin = world.headers("naccc_staff")
    body = {"record_type": "referral", "record_id": str(held.id), "reason": "claim"}
    assert client.post("/api/v1/legal-holds", json=body, headers=admin).status_code == 201
    sweep(app, today_in_london())
    # Held meanwhile: withheld, not awaiting review (a released hold brings it back).
    items = client.get(REVIEWS, headers=admin).json()["items"]
    assert [i["record_id"] for i in items] == [str(unflagged.id)]
    # The rule no longer requires review: the queue empties at once, and the sweep disposes.
    etag = client.get(f"{RULES}/referral_no_court", headers=admin).headers["ETag"]
    answer = client.patch(
        f"{RULES}/referral_no_court",
        json={"requires_review": False},
        headers={**admin, "If-Match": etag},
    )
    assert answer.status_code == 200 and answer.json()["requires_review"] is False
    assert client.get(REVIEWS, headers=admin).json()["items"] == []
    sweep(app, today_in_london())
    assert still_there(db, held) and not still_there(db, unflagged)
