"""Matrix rows of the webhook subscriptions (NACCC only; not centre-owned)."""

from __future__ import annotations

from tests.factories import World
from tests.matrix import Call, Row, staff_only

BASE = "/api/v1/webhook-subscriptions"


def _subscription(w: World, **extra: object) -> Call:
    from app.webhooks.models import WebhookSubscription

    subscription = WebhookSubscription(
        url="https://hooks.example.org/ccr",
        event_types=["breach.recorded"],
        secret="whsec_test",
        created_by_id=w.admin.id,
    )
    w.session.add(subscription)
    w.session.commit()
    return Call({"subscription_id": subscription.id}, **extra)  # type: ignore[arg-type]


ROWS = [
    Row("GET", BASE, staff_only(200)),
    Row(
        "POST",
        BASE,
        staff_only(201),
        lambda w: Call(
            json={"url": "https://hooks.example.org/a", "event_types": ["breach.recorded"]}
        ),
    ),
    Row("GET", BASE + "/{subscription_id}", staff_only(200), _subscription),
    Row(
        "PATCH",
        BASE + "/{subscription_id}",
        staff_only(200),
        lambda w: _subscription(w, json={"active": False}, headers={"If-Match": '"1"'}),
    ),
    Row("DELETE", BASE + "/{subscription_id}", staff_only(204), _subscription),
    Row("GET", BASE + "/{subscription_id}/deliveries", staff_only(200), _subscription),
]
