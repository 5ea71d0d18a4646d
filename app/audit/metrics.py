"""The audit sealer's lag for Prometheus (read at scrape time, app.ops.metrics)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy.orm import Session

from app.audit.service import sealing_lag


def sealing_metrics(session: Session) -> Iterator[Metric]:
    lag = sealing_lag(session)
    unsealed = GaugeMetricFamily(
        "ccr_audit_unsealed_rows", "Audit rows written but not sealed into the chain yet"
    )
    unsealed.add_metric([], float(lag.unsealed))
    yield unsealed
    seconds = GaugeMetricFamily(
        "ccr_audit_sealing_lag_seconds", "Age of the oldest audit row not sealed yet (0: none)"
    )
    seconds.add_metric([], lag.seconds())
    yield seconds
