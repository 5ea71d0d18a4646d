"""The delivery worker: announces what falls due, then POSTs pending deliveries, signed.

One runner at a time across processes and replicas (`app.single_runner`: a PostgreSQL
advisory lock, or a lease row on SQLite). Each delivery is read, sent and recorded
in its own short transactions (the HTTP call holds no transaction): a worker killed after a POST
and before its record sends that delivery again on the next run, with the same delivery id, so
delivery is at-least-once and a receiver de-duplicates on `X-CCR-Delivery`.

A failed attempt (no answer, or a status other than 2xx) is retried after
`base_delay * 2^(attempts - 1)`, at most `max_delay`, until `max_attempts`; then the delivery is
`failed`. After `failing_after` failed attempts in a row the subscription is marked failing
(`failing_since`) until an attempt succeeds. Redirects are not followed, and a URL whose host is
or resolves to an internal address is not POSTed to (`app.webhooks.addresses`): the attempt is
recorded as failed with the error `AddressRefused`.

Each run also purges the outbox: delivered and failed deliveries created more than
`keep_finished` ago, with their attempts, and the events no delivery refers to any more (ids
only, but kept no longer than they are useful, and the tables stay bounded). A time-based
event's row stays: its `once_key` is what stops it being announced again.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, case, delete, exists, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.breaches.models import Breach, BreachStatus
from app.complaints.models import Complaint
from app.complaints.service import overdue_clause
from app.config import Settings
from app.db import utcnow
from app.single_runner import renew_lease, single_runner
from app.subject_requests.models import SubjectRequest
from app.tasks.service import RUNNING
from app.time import LONDON
from app.webhooks import addresses, outbox, signing
from app.webhooks.models import (
    DeliveryStatus,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
    succeeded,
)

log = logging.getLogger(__name__)

WEBHOOK_LOCK_KEY = 0x63637277  # "ccrw"
WEBHOOK_LOCK_NAME = "webhooks"
WEBHOOK_LEASE = timedelta(minutes=2)
USER_AGENT = "ccr-webhooks/1"


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 8
    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)
    failing_after: int = 5
    timeout_seconds: float = 10.0
    batch: int = 100
    # Announce a subject request's deadline this many days ahead, a breach's ICO deadline these
    # many hours ahead.
    due_soon_days: int = 3
    ico_deadline_near_hours: int = 24
    # Deliver to loopback addresses (`CCR_WEBHOOK_ALLOW_LOOPBACK`; tests and local receivers).
    allow_loopback: bool = False
    # Finished deliveries (and their attempts and events) are purged after this long.
    keep_finished: timedelta = timedelta(days=30)


def policy_for(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        allow_loopback=settings.webhook_allow_loopback,
        keep_finished=timedelta(days=settings.webhook_keep_days),
    )


def backoff(attempts: int, policy: DeliveryPolicy) -> timedelta:
    """The wait before the next attempt, after `attempts` failed ones (1, 2, ...)."""
    return min(policy.base_delay * 2 ** max(attempts - 1, 0), policy.max_delay)


@dataclass
class RunResult:
    announced: int = 0
    attempted: int = 0
    delivered: int = 0
    failed_attempts: int = 0
    gave_up: int = 0
    purged: int = 0
    delivery_ids: list[uuid.UUID] = field(default_factory=list)


# --- time-based events ---------------------------------------------------------------------------


def announce_due(session: Session, now: datetime, policy: DeliveryPolicy) -> int:
    """Announce, once per record and due date: subject requests due within `due_soon_days`,
    complaint follow-ups due today or before, breaches whose ICO deadline is near and whose
    notice is still owed."""
    today = now.astimezone(LONDON).date()
    announced = 0
    requests = session.execute(
        select(SubjectRequest.id, SubjectRequest.centre_id, SubjectRequest.due_on).where(
            SubjectRequest.status.in_(RUNNING),
            SubjectRequest.due_on <= today + timedelta(days=policy.due_soon_days),
        )
    ).all()
    for record_id, centre_id, due_on in requests:
        assert due_on is not None  # `due_on <= …` leaves out requests without one
        key = f"{EventType.subject_request_due_soon.value}:{record_id}:{due_on.isoformat()}"
        announced += _emit(
            session,
            EventType.subject_request_due_soon,
            "subject_request",
            record_id,
            centre_id,
            key,
        )
    complaints = session.execute(
        select(Complaint.id, Complaint.centre_id, Complaint.follow_up_due_on).where(
            overdue_clause(today + timedelta(days=1))
        )
    ).all()
    for record_id, centre_id, follow_up_due_on in complaints:
        key = f"{EventType.complaint_follow_up_due.value}:{record_id}:{follow_up_due_on}"
        announced += _emit(
            session, EventType.complaint_follow_up_due, "complaint", record_id, centre_id, key
        )
    breaches = session.execute(
        select(Breach.id, Breach.centre_id, Breach.ico_deadline_at).where(
            Breach.status.in_(
                [BreachStatus.awaiting_assessment.value, BreachStatus.awaiting_ico_notice.value]
            ),
            Breach.ico_deadline_at <= now + timedelta(hours=policy.ico_deadline_near_hours),
        )
    ).all()
    for record_id, centre_id, deadline in breaches:
        key = f"{EventType.breach_ico_deadline_near.value}:{record_id}:{deadline.isoformat()}"
        announced += _emit(
            session, EventType.breach_ico_deadline_near, "breach", record_id, centre_id, key
        )
    return announced


def _emit(
    session: Session,
    event_type: EventType,
    record_type: str,
    record_id: uuid.UUID,
    centre_id: uuid.UUID,
    key: str,
) -> int:
    return int(outbox.emit(session, event_type, record_type, record_id, centre_id, key) is not None)


# --- the outbox's own retention ----------------------------------------------------------------


def purge(session: Session, now: datetime, policy: DeliveryPolicy) -> int:
    """Delete delivered and failed deliveries created before `now - keep_finished`, their
    attempts, and events left with no delivery that are as old (except time-based events, whose
    row keeps them announced once per record and due date). Returns deliveries deleted."""
    cutoff = now - policy.keep_finished
    finished = select(WebhookDelivery.id).where(
        WebhookDelivery.status.in_([DeliveryStatus.delivered.value, DeliveryStatus.failed.value]),
        WebhookDelivery.created_at < cutoff,
    )
    bulk = {"synchronize_session": False}
    session.execute(
        delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(finished)),
        execution_options=bulk,
    )
    deleted = session.execute(
        delete(WebhookDelivery).where(WebhookDelivery.id.in_(finished)), execution_options=bulk
    )
    session.execute(
        delete(WebhookEvent).where(
            WebhookEvent.occurred_at < cutoff,
            # A time-based event's row is what keeps it announced once: it stays.
            WebhookEvent.once_key.is_(None),
            ~exists().where(WebhookDelivery.event_id == WebhookEvent.id),
        ),
        execution_options=bulk,
    )
    return int(deleted.rowcount or 0)  # type: ignore[attr-defined]


# --- delivery ------------------------------------------------------------------------------------


def body_of(delivery: WebhookDelivery, event: WebhookEvent) -> bytes:
    """The POSTed JSON: ids and the event type only; the same bytes on every attempt."""
    payload = {
        "id": str(delivery.id),
        "event_id": str(event.id),
        "type": event.event_type,
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class _Outgoing:
    url: str
    secret: str
    event_type: str
    body: bytes


def _load(session: Session, delivery_id: uuid.UUID) -> _Outgoing | None:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.pending:
        return None
    event = session.get(WebhookEvent, delivery.event_id)
    subscription = session.get(WebhookSubscription, delivery.subscription_id)
    assert event is not None and subscription is not None  # foreign keys
    return _Outgoing(
        subscription.url, subscription.secret, event.event_type, body_of(delivery, event)
    )


def _post(
    http: httpx.Client, outgoing: _Outgoing, delivery_id: uuid.UUID, policy: DeliveryPolicy
) -> tuple[int | None, str | None, int]:
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-CCR-Delivery": str(delivery_id),
        "X-CCR-Event": outgoing.event_type,
        "X-CCR-Timestamp": str(timestamp),
        "X-CCR-Signature": signing.sign(outgoing.secret, timestamp, outgoing.body),
    }
    started = time.perf_counter()
    if addresses.refused(outgoing.url, policy.allow_loopback) is not None:
        return None, "AddressRefused", int((time.perf_counter() - started) * 1000)
    try:
        response = http.post(
            outgoing.url,
            content=outgoing.body,
            headers=headers,
            timeout=policy.timeout_seconds,
            follow_redirects=False,
        )
        status_code, error = response.status_code, None
    except httpx.HTTPError as exc:
        status_code, error = None, type(exc).__name__[:100]
    return status_code, error, int((time.perf_counter() - started) * 1000)


def _record(
    session: Session,
    delivery_id: uuid.UUID,
    result: tuple[int | None, str | None, int],
    now: datetime,
    policy: DeliveryPolicy,
) -> str:
    status_code, error, duration_ms = result
    delivery = session.get(WebhookDelivery, delivery_id)
    assert delivery is not None
    session.add(
        WebhookAttempt(
            delivery_id=delivery_id,
            attempted_at=utcnow(),
            status_code=status_code,
            error=error,
            duration_ms=duration_ms,
        )
    )
    delivery.attempts += 1
    sub = WebhookSubscription
    # Core updates: the worker's counters do not change the subscription's version (ETag).
    if succeeded(status_code):
        delivery.status = DeliveryStatus.delivered.value
        delivery.delivered_at = utcnow()
        values: dict[str, Any] = {"consecutive_failures": 0, "failing_since": None}
        outcome = "delivered"
    else:
        if delivery.attempts >= policy.max_attempts:
            delivery.status = DeliveryStatus.failed.value
            outcome = "gave_up"
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts, policy)
            outcome = "retry"
        values = {
            "consecutive_failures": sub.consecutive_failures + 1,
            "failing_since": case(
                (
                    (sub.failing_since.is_(None))
                    & (sub.consecutive_failures + 1 >= policy.failing_after),
                    utcnow(),
                ),
                else_=sub.failing_since,
            ),
        }
    session.execute(
        update(sub).where(sub.id == delivery.subscription_id).values(**values),
        execution_options={"synchronize_session": False},
    )
    return outcome


def run_once(
    engine: Engine,
    sessions: sessionmaker[Session],
    http: httpx.Client,
    now: datetime | None = None,
    policy: DeliveryPolicy | None = None,
    on_sent: Callable[[uuid.UUID], None] | None = None,
) -> RunResult | None:
    """Announce what fell due and send every delivery due by `now`; None when another process
    holds the worker's lock. `on_sent` runs after a POST and before its record (tests kill the
    worker there)."""
    policy = policy or DeliveryPolicy()
    now = now or utcnow()
    holder = uuid.uuid4().hex
    with single_runner(
        engine, sessions, WEBHOOK_LOCK_NAME, WEBHOOK_LOCK_KEY, holder, WEBHOOK_LEASE
    ) as acquired:
        if not acquired:
            return None
        result = RunResult()
        with sessions() as session:
            result.announced = announce_due(session, now, policy)
            result.purged = purge(session, now, policy)
            session.commit()
        while True:
            # What the announcements above queued is due too (they are stamped a moment later).
            cutoff = max(now, utcnow())
            with sessions() as session:
                due = list(
                    session.scalars(
                        select(WebhookDelivery.id)
                        .join(WebhookSubscription)
                        .where(
                            WebhookDelivery.status == DeliveryStatus.pending.value,
                            WebhookDelivery.next_attempt_at <= cutoff,
                            WebhookSubscription.active.is_(True),
                        )
                        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                        .limit(policy.batch)
                    )
                )
                session.commit()
            if not due:
                return result
            for delivery_id in due:
                with sessions() as session:
                    outgoing = _load(session, delivery_id)
                    session.commit()
                if outgoing is None:
                    continue
                sent = _post(http, outgoing, delivery_id, policy)
                if on_sent is not None:
                    on_sent(delivery_id)
                with sessions() as session:
                    outcome = _record(session, delivery_id, sent, now, policy)
                    renew_lease(session, engine, WEBHOOK_LOCK_NAME, holder, WEBHOOK_LEASE)
                    session.commit()
                result.attempted += 1
                result.delivery_ids.append(delivery_id)
                result.delivered += outcome == "delivered"
                result.failed_attempts += outcome != "delivered"
                result.gave_up += outcome == "gave_up"
                log.info("webhook delivery %s: %s", delivery_id, outcome)


def start(
    engine: Engine,
    sessions: sessionmaker[Session],
    interval_seconds: int,
    policy: DeliveryPolicy | None = None,
) -> BackgroundScheduler:
    """Run the worker every `interval_seconds` in this process (the lock makes one runner)."""
    scheduler = BackgroundScheduler(
        timezone=LONDON, job_defaults={"coalesce": True, "max_instances": 1}
    )
    http = httpx.Client()

    def job() -> None:
        try:
            run_once(engine, sessions, http, policy=policy)
        except Exception:
            log.exception("webhook delivery run failed")

    scheduler.add_job(job, "interval", seconds=interval_seconds, id="webhook-deliveries")
    scheduler.start()
    return scheduler
