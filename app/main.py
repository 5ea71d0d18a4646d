"""The application factory."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import Engine

from app.api.cors import ListedOriginsCORSMiddleware
from app.api.gate import RequestGate, pool_capacity
from app.api.location import LocationMiddleware
from app.api.middleware import (
    BodySizeLimitMiddleware,
    RequestContextMiddleware,
    UnexpectedErrorMiddleware,
    install_request_id_on_log_records,
)
from app.attendance.router import router as sessions_router
from app.attendance.router import summaries_router as attendance_summaries_router
from app.audit import metrics as audit_metrics
from app.audit import sealer as audit_sealer
from app.audit import service as audit_service
from app.audit.router import router as audit_router
from app.audit_chain import AuditChain, ChainKeys, CheckpointFile
from app.auth import service as auth_service
from app.auth.router import router as auth_router
from app.breaches.router import router as breaches_router
from app.centres.router import router as centres_router
from app.complaints.router import router as complaints_router
from app.config import Settings, get_settings
from app.db import make_engine, make_sessionmaker
from app.disclosures.router import router as disclosures_router
from app.documents.router import router as documents_router
from app.errors import install_handlers
from app.finance.router import router as finance_router
from app.health import router as health_router
from app.incidents.router import router as incidents_router
from app.inspector_grants.router import router as grants_router
from app.openapi import install_openapi
from app.ops import logs
from app.ops import metrics as ops_metrics
from app.ops.router import router as ops_router
from app.people.router import router as people_router
from app.policy.router import consent_router as policy_consent_router
from app.policy.router import public_router as public_policy_router
from app.policy.router import router as policy_router
from app.referrals.router import router as referrals_router
from app.retention import rules as retention_rules
from app.retention import scheduler as retention_scheduler
from app.retention.router import holds_router
from app.retention.router import public_router as public_retention_router
from app.retention.router import reviews_router as retention_reviews_router
from app.retention.router import router as retention_router
from app.security.encryption import keyring
from app.service_clients.router import router as clients_router
from app.staff.router import router as staff_router
from app.stats.router import router as stats_router
from app.subject_requests.journal import ErasureJournal
from app.subject_requests.router import router as subject_requests_router
from app.tasks.router import router as tasks_router
from app.users.router import router as users_router
from app.webhooks import worker as webhook_worker
from app.webhooks.router import router as webhooks_router

API_PREFIX = "/api/v1"
API_ROUTERS = [
    auth_router,
    centres_router,
    users_router,
    clients_router,
    grants_router,
    audit_router,
    retention_router,
    retention_reviews_router,
    holds_router,
    subject_requests_router,
    public_retention_router,
    policy_router,
    public_policy_router,
    policy_consent_router,
    staff_router,
    finance_router,
    documents_router,
    people_router,
    referrals_router,
    sessions_router,
    attendance_summaries_router,
    incidents_router,
    complaints_router,
    disclosures_router,
    stats_router,
    breaches_router,
    tasks_router,
    webhooks_router,
]


def configure_logging(log_format: str) -> None:
    """Log lines carry request ids, never bodies or personal data (see app/ops/logs.py)."""
    install_request_id_on_log_records()
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "is_ccr_handler", False)), None)
    if handler is None and not root.handlers:
        handler = logging.StreamHandler()
        handler.is_ccr_handler = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    if handler is not None:
        handler.setFormatter(logs.formatter(log_format))


def _pool_options(settings: Settings) -> dict[str, object]:
    if settings.is_sqlite:
        return {}
    return {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout_seconds,
    }


def _operation_id(route: APIRoute) -> str:
    return route.name


def audit_chain(settings: Settings) -> AuditChain:
    return AuditChain(
        ChainKeys.parse(settings.audit_hmac_keys), CheckpointFile(settings.checkpoint_path)
    )


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_format)
    keyring.configure(settings.encryption_keys)
    engine = engine or make_engine(settings.database_url, **_pool_options(settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.scheduler_enabled:
            yield
            return
        scheduler, leadership = retention_scheduler.start(
            app.state.engine, app.state.sessionmaker, settings.sweep_cron
        )
        deliveries = webhook_worker.start(
            app.state.engine,
            app.state.sessionmaker,
            settings.webhook_interval_seconds,
            webhook_worker.policy_for(settings),
        )
        audit_sealer.schedule(
            scheduler,
            app.state.engine,
            app.state.sessionmaker,
            app.state.audit_chain,
            settings.audit_seal_seconds,
        )
        try:
            yield
        finally:
            deliveries.shutdown(wait=False)
            scheduler.shutdown(wait=False)
            leadership.resign()

    app = FastAPI(
        title="Contact Centre Records (ccr)",
        version="1.0.0",
        description="Records and privacy-compliance backend for child contact centres.",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.audit_chain = audit_chain(settings)
    app.state.erasure_journal = ErasureJournal(settings.erasure_journal_path)
    app.state.gate = RequestGate(
        slots=min(
            pool_capacity(engine) or settings.db_pool_size + settings.db_max_overflow,
            settings.request_concurrency or 500,
        ),
        queue=settings.request_queue,
        wait_seconds=settings.request_queue_seconds,
    )
    # The principal's one query also reads the retention rules' version (app/retention/rules.py).
    app.state.resolve_principal = functools.partial(
        auth_service.principal_for,
        also=auth_service.AlsoRead(retention_rules.version_column, retention_rules.note_version),
    )
    app.state.audit_writer = audit_service.append

    install_handlers(app)
    install_openapi(app)

    # Each domain's router straight under the app: every level of included routers is matched
    # again on every request.
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(health_router)
    app.include_router(ops_router)

    app.state.metrics = ops_metrics.Metrics()
    database_figures = ops_metrics.DatabaseCollector(engine, lambda: app.state.sessionmaker)
    database_figures.extra.append(audit_metrics.sealing_metrics)
    database_figures.extra.append(ops_metrics.webhook_metrics)
    app.state.metrics.add_collector(database_figures)

    if settings.cors_origins:
        app.add_middleware(
            ListedOriginsCORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "Idempotency-Key",
                "X-Request-ID",
                "X-Lawful-Purpose",
            ],
            expose_headers=["ETag", "Location", "Retry-After", "X-Request-ID"],
        )
    app.add_middleware(LocationMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    # The last added is the outermost: errors become problems inside the request context.
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(ops_metrics.MetricsMiddleware, metrics=app.state.metrics)
    return app
