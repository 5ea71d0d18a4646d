"""Matrix rows of the platform's routes."""

from __future__ import annotations

from datetime import timedelta

from app.db import utcnow
from tests.factories import World, make_user
from tests.matrix import Call, Row, centre_read, staff_only

PUBLIC = {"naccc_staff": 200, "centre_staff": 200, "inspector": 200, "anonymous": 200}


def _login(w: World) -> Call:
    from app.security.passwords import hash_secret

    make_user(
        w.session,
        "naccc_staff",
        email="login@example.org",
        password_hash=hash_secret("correct horse battery"),
    )
    w.session.commit()
    return Call(
        data={
            "grant_type": "password",
            "username": "login@example.org",
            "password": "correct horse battery",
        }
    )


def _grant_body(w: World) -> Call:
    expires = (utcnow() + timedelta(days=3)).isoformat()
    return Call(
        json={"centre_id": str(w.centre_a.id), "inspector_name": "I", "expires_at": expires}
    )


ROWS = [
    Row("GET", "/healthz", PUBLIC),
    Row("GET", "/readyz", PUBLIC),
    Row("POST", "/api/v1/auth/token", PUBLIC, _login),
    Row("GET", "/api/v1/auth/me", centre_read()),
    Row("POST", "/api/v1/auth/logout", centre_read(204)),
    Row("GET", "/api/v1/centres", centre_read()),
    Row(
        "POST",
        "/api/v1/centres",
        staff_only(201),
        lambda w: Call(json={"name": "New", "code": "NEW"}),
    ),
    Row(
        "GET",
        "/api/v1/centres/{centre_id}",
        centre_read(),
        lambda w: Call({"centre_id": w.centre_a.id}),
        other_centre=lambda w: Call({"centre_id": w.centre_b.id}),
    ),
    Row(
        "PATCH",
        "/api/v1/centres/{centre_id}",
        staff_only(200),
        lambda w: Call(
            {"centre_id": w.centre_a.id}, json={"name": "Renamed"}, headers={"If-Match": '"1"'}
        ),
    ),
    Row("GET", "/api/v1/users", staff_only(200)),
    Row(
        "POST",
        "/api/v1/users",
        staff_only(201),
        lambda w: Call(
            json={
                "email": "new@example.org",
                "full_name": "New",
                "role": "centre_staff",
                "centre_ids": [str(w.centre_a.id)],
            }
        ),
    ),
    Row(
        "GET", "/api/v1/users/{user_id}", staff_only(200), lambda w: Call({"user_id": w.staff_a.id})
    ),
    Row(
        "PATCH",
        "/api/v1/users/{user_id}",
        staff_only(200),
        lambda w: Call(
            {"user_id": w.staff_b.id}, json={"full_name": "Renamed"}, headers={"If-Match": '"1"'}
        ),
    ),
    Row("GET", "/api/v1/service-clients", staff_only(200)),
    Row(
        "POST",
        "/api/v1/service-clients",
        staff_only(201),
        lambda w: Call(json={"name": "NACCC CRM", "permissions": ["centres:read"]}),
    ),
    Row(
        "GET",
        "/api/v1/service-clients/{service_client_id}",
        staff_only(200),
        lambda w: Call({"service_client_id": w.make_service_client().id}),
    ),
    Row(
        "PATCH",
        "/api/v1/service-clients/{service_client_id}",
        staff_only(200),
        lambda w: Call(
            {"service_client_id": w.make_service_client().id},
            json={"name": "X"},
            headers={"If-Match": '"1"'},
        ),
    ),
    Row(
        "DELETE",
        "/api/v1/service-clients/{service_client_id}",
        staff_only(204),
        lambda w: Call({"service_client_id": w.make_service_client().id}),
    ),
    Row("GET", "/api/v1/inspector-grants", staff_only(200)),
    Row("POST", "/api/v1/inspector-grants", staff_only(201), _grant_body),
    Row(
        "GET",
        "/api/v1/inspector-grants/{grant_id}",
        staff_only(200),
        lambda w: Call({"grant_id": w.grant_a.id}),
    ),
    Row(
        "DELETE",
        "/api/v1/inspector-grants/{grant_id}",
        staff_only(200),
        lambda w: Call({"grant_id": w.grant_a.id}),
    ),
    Row("GET", "/api/v1/audit-events", staff_only(200)),
    Row("GET", "/api/v1/audit-events/verify", staff_only(200)),
]
