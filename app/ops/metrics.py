"""Prometheus metrics: request counts and latency by route template and status, and figures read
at scrape time (pool use, sweeps, disposals by rule, open and overdue subject requests, webhook
deliveries and failures; the audit sealer's lag comes from `app.audit.metrics`).

Labels hold route templates, methods, statuses, rule keys and states: never ids or personal data.
Each app has its own registry, so several apps in one process (tests) do not share counters.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.middleware import route_template
from app.retention.models import Disposal, Sweep
from app.subject_requests import service as requests_service
from app.subject_requests.models import OPEN_STATUSES, SubjectRequest
from app.time import today_in_london
from app.webhooks import service as webhooks_service

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The app's registry and its request instruments."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "ccr_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ccr_http_request_duration_seconds",
            "Time from receiving a request to the end of its response, by route template and "
            "status",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def add_collector(self, collector: Collector) -> None:
        self.registry.register(collector)


class MetricsMiddleware:
    """Counts and times every HTTP request by route template (raw paths would carry ids)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording)
        finally:
            labels = (scope.get("method", ""), route_template(scope), str(status["code"]))
            self.metrics.requests.labels(*labels).inc()
            self.metrics.latency.labels(*labels).observe(time.perf_counter() - started)


class DatabaseCollector(Collector):
    """Figures read at scrape time; one short read-only transaction per scrape."""

    def __init__(self, engine: Engine, sessions: Callable[[], sessionmaker[Session]]) -> None:
        self.engine = engine
        self.sessions = sessions
        self.extra: list[Callable[[Session], Iterator[Metric]]] = []

    def describe(self) -> list[Metric]:
        # Nothing up front: describing would query the database at registration.
        return []

    def collect(self) -> Iterator[Metric]:
        yield from self._pool()
        with self.sessions()() as session:
            yield from self._sweeps(session)
            yield from self._subject_requests(session)
            for extra in self.extra:
                yield from extra(session)

    def _pool(self) -> Iterator[Metric]:
        pool: Any = self.engine.pool
        in_use = GaugeMetricFamily(
            "ccr_db_pool_connections_in_use", "Database connections checked out of the pool"
        )
        in_use.add_metric([], float(_call(pool, "checkedout")))
        yield in_use
        idle = GaugeMetricFamily(
            "ccr_db_pool_connections_idle", "Database connections open in the pool, unused"
        )
        idle.add_metric([], float(_call(pool, "checkedin")))
        yield idle
        size = GaugeMetricFamily("ccr_db_pool_size", "Database connections the pool keeps open")
        size.add_metric([], float(_call(pool, "size")))
        yield size

    def _sweeps(self, session: Session) -> Iterator[Metric]:
        runs = GaugeMetricFamily(
            "ccr_retention_sweeps", "Retention sweep runs recorded, by status", labels=["status"]
        )
        for status, count in session.execute(
            select(Sweep.status, func.count()).group_by(Sweep.status)
        ):
            runs.add_metric([status], float(count))
        yield runs
        disposals = GaugeMetricFamily(
            "ccr_retention_disposals", "Records disposed of, by retention rule", labels=["rule"]
        )
        for rule, count in session.execute(
            select(Disposal.rule_key, func.count()).group_by(Disposal.rule_key)
        ):
            disposals.add_metric([rule], float(count))
        yield disposals

    def _subject_requests(self, session: Session) -> Iterator[Metric]:
        open_count = session.scalar(
            select(func.count()).where(SubjectRequest.status.in_([s.value for s in OPEN_STATUSES]))
        )
        overdue_count = session.scalar(
            select(func.count()).where(requests_service.overdue_clause(today_in_london()))
        )
        gauge = GaugeMetricFamily(
            "ccr_subject_requests",
            "Open subject requests, and those past their due date",
            labels=["state"],
        )
        gauge.add_metric(["open"], float(open_count or 0))
        gauge.add_metric(["overdue"], float(overdue_count or 0))
        yield gauge


def webhook_metrics(session: Session) -> Iterator[Metric]:
    """Webhook deliveries by status, attempts by outcome and failing subscriptions, over every
    subscription (ids never become labels)."""
    gauge = GaugeMetricFamily(
        "ccr_webhook_deliveries", "Webhook deliveries by status", labels=["status"]
    )
    for status, count in webhooks_service.delivery_counts(session)[None].items():
        gauge.add_metric([status], float(count))
    yield gauge
    attempts = GaugeMetricFamily(
        "ccr_webhook_attempts",
        "Webhook POSTs made, by outcome (succeeded: 2xx; failed: another status or no answer)",
        labels=["outcome"],
    )
    for outcome, count in webhooks_service.attempt_counts(session).items():
        attempts.add_metric([outcome], float(count))
    yield attempts
    failing = GaugeMetricFamily(
        "ccr_webhook_subscriptions_failing",
        "Active webhook subscriptions marked failing after repeated failed attempts",
    )
    failing.add_metric([], float(webhooks_service.failing_subscriptions(session)))
    yield failing


def _call(pool: Any, name: str) -> int:
    method = getattr(pool, name, None)
    return int(method()) if callable(method) else 0
