"""The canary judged by its metrics (issue 21 §5; runbook §9.1), from the region's Prometheus
workspace (prometheus.py), with the thresholds of `observability.canary` (regions/config/
observability.py `CanaryConfig`).

While a step soaks, the pods on the StatefulSet's update revision (the canary; every pod in a
full step) are compared with the pods still on its current revision (the stable pods, during a
canary) of the same release, told apart by the `controller-revision-hash` pod label (live.py).
The step fails, and the wave rolls back, when:

- the canary's 5xx share of its requests over `errorWindowMinutes` exceeds `maxErrorRatio`;
- its P99 latency over the same window exceeds `maxP99Seconds`: fewer than 99 % of its requests
  answered within it (canary_metrics.py: why a share, not `histogram_quantile`);
- one of its pods has restarted more than `maxRestarts` times (a crash loop);
- its error ratio is more than `relativeErrorFactor` times the stable pods' and above
  `errorRatioFloor` (a canary worse than what it replaces, below the absolute limit);
- an alert with `severity: page` fires in the region (the SLO burn-rate alerts, `burn-alerts`;
  also read before each wave, so a wave does not start into a page it would be blamed for).

No data is never a pass. With fewer than `minRequests` canary requests in the window, no
latency histogram or no restart count, or a workspace that does not answer, the reading holds:
not healthy, not failed (health.py `Signal.hold`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from operations.health import Signal
from operations.live import LiveRelease
from operations.rollout import canary_metrics as m
from operations.rollout.prometheus import PrometheusError, PrometheusReader, finite

if TYPE_CHECKING:
    from regions.config.observability import CanaryConfig

PASS, FAIL, HOLD = "pass", "fail", "hold"
METRICS, ALERTS = "canary-metrics", "burn-alerts"


@dataclass(frozen=True)
class Traffic:
    """What one revision's pods answered over the window."""

    requests: float
    errors: float

    @property
    def ratio(self) -> float:
        return self.errors / self.requests if self.requests > 0 else 0.0

    def describe(self) -> str:
        return f"{self.requests:.0f} requests, {_percent(self.ratio)} 5xx"


@dataclass(frozen=True)
class Reading:
    """The canary's measures, and the stable pods' traffic when there are stable pods."""

    canary: Traffic
    within_p99_limit: float | None
    """The share of the canary's timed requests answered within `maxP99Seconds` (None: none
    timed, or no histogram)."""
    restarts: float | None
    stable: Traffic | None


@dataclass(frozen=True)
class Verdict:
    outcome: str
    """pass, fail or hold."""
    reasons: tuple[str, ...]


def judge(reading: Reading, limits: CanaryConfig) -> Verdict:
    """The thresholds applied to a reading: any failure fails it, else any missing measure
    holds it. Restarts are judged whatever the traffic; the rest needs `minRequests`."""
    failures: list[str] = []
    holds: list[str] = []
    if reading.restarts is None:
        holds.append("no restart count for the canary's pods (kube-state-metrics)")
    elif reading.restarts > limits.max_restarts:
        failures.append(
            f"a canary pod restarted {reading.restarts:.0f} times "
            f"(maxRestarts {limits.max_restarts})"
        )
    window = f"{limits.error_window_minutes} min"
    canary = reading.canary
    if canary.requests < limits.min_requests:
        holds.append(
            f"too little traffic to judge: {canary.requests:.0f} canary requests in {window}, "
            f"minRequests {limits.min_requests}"
        )
        return _verdict(failures, holds)
    if canary.ratio > limits.max_error_ratio:
        failures.append(
            f"canary error ratio {_percent(canary.ratio)} over {window} > maxErrorRatio "
            f"{_percent(limits.max_error_ratio)}"
        )
    limit = f"{limits.max_p99_seconds:g} s"
    if reading.within_p99_limit is None:
        holds.append("no latency for the canary's pods (no duration histogram)")
    elif reading.within_p99_limit < m.P99:
        failures.append(
            f"canary P99 over {window} > maxP99Seconds {limit}: only "
            f"{_percent(reading.within_p99_limit)} of its requests within {limit}"
        )
    stable = reading.stable
    if (
        stable is not None
        and canary.ratio > limits.relative_error_factor * stable.ratio
        and canary.ratio > limits.error_ratio_floor
    ):
        failures.append(
            f"canary error ratio {_percent(canary.ratio)} > {limits.relative_error_factor:g} x "
            f"the stable pods' {_percent(stable.ratio)} and > errorRatioFloor "
            f"{_percent(limits.error_ratio_floor)}"
        )
    return _verdict(failures, holds)


def _verdict(failures: list[str], holds: list[str]) -> Verdict:
    if failures:
        return Verdict(FAIL, tuple(failures))
    if holds:
        return Verdict(HOLD, tuple(holds))
    return Verdict(PASS, ())


class CanaryJudge:
    """Reads a region's workspace and turns it into signals (health.py)."""

    def __init__(self, limits: CanaryConfig, prometheus: PrometheusReader) -> None:
        self.limits = limits
        self.prometheus = prometheus

    def alerts(self, region: str, endpoint: str | None) -> Signal:
        """Healthy when no `severity: page` alert fires in the region's workspace."""
        name = f"{m.SEVERITY_LABEL}={m.PAGE}"
        if not endpoint:
            return _unjudged(ALERTS, region, name, "no prometheusEndpoint in the stack outputs")
        try:
            alerts = self.prometheus.alerts(endpoint, region)
        except PrometheusError as error:
            return _unjudged(ALERTS, region, name, f"the workspace did not answer: {error}")
        paging = sorted(
            _alert_name(alert)
            for alert in alerts
            if alert.get("state") == "firing"
            and (alert.get("labels") or {}).get(m.SEVERITY_LABEL) == m.PAGE
        )
        if paging:
            return Signal(ALERTS, region, name, False, f"firing: {', '.join(paging)}")
        return Signal(ALERTS, region, name, True, "no page alert firing")

    def canary(self, region: str, endpoint: str | None, release: LiveRelease) -> Signal:
        """The canary's metrics judged (`release` as the soak's live read saw it)."""
        revision = release.update_revision
        if not endpoint:
            return _unjudged(
                METRICS, region, revision or "?", "no prometheusEndpoint in the stack outputs"
            )
        if not (revision and release.namespace):
            return _unjudged(
                METRICS, region, "?", "the StatefulSet reports no updateRevision or namespace"
            )
        try:
            reading = self._reading(region, endpoint, release)
        except PrometheusError as error:
            return _unjudged(METRICS, region, revision, f"the workspace did not answer: {error}")
        verdict = judge(reading, self.limits)
        detail = "; ".join([*verdict.reasons, _measured(reading)])
        return Signal(
            METRICS, region, revision, verdict.outcome == PASS, detail, verdict.outcome == HOLD
        )

    def _reading(self, region: str, endpoint: str, release: LiveRelease) -> Reading:
        minutes = self.limits.error_window_minutes
        namespace, canary = release.namespace, release.update_revision
        stable = release.current_revision
        has_stable = bool(stable) and stable != canary
        limit = self.limits.max_p99_seconds
        within = self._value(region, endpoint, m.within_query(namespace, canary, minutes, limit))
        timed = self._value(region, endpoint, m.timed_query(namespace, canary, minutes))
        return Reading(
            canary=self._traffic(region, endpoint, namespace, canary),
            within_p99_limit=within / timed if within is not None and timed else None,
            restarts=self._value(region, endpoint, m.restarts_query(namespace, canary)),
            stable=self._traffic(region, endpoint, namespace, stable) if has_stable else None,
        )

    def _traffic(self, region: str, endpoint: str, namespace: str, revision: str) -> Traffic:
        minutes = self.limits.error_window_minutes
        requests = self._value(region, endpoint, m.requests_query(namespace, revision, minutes))
        errors = self._value(region, endpoint, m.errors_query(namespace, revision, minutes))
        # An empty answer is no series: no request at all, or no 5xx ever counted.
        return Traffic(requests or 0.0, errors or 0.0)

    def _value(self, region: str, endpoint: str, promql: str) -> float | None:
        """The query's one value; None when it matched nothing (or gave NaN)."""
        samples = self.prometheus.query(endpoint, region, promql)
        if len(samples) > 1:
            raise PrometheusError(f"{len(samples)} series where one was expected: {promql}")
        return finite(samples[0][1]) if samples else None


def _unjudged(kind: str, region: str, name: str, why: str) -> Signal:
    return Signal(kind, region, name, False, why, hold=True)


def _alert_name(alert: dict[str, object]) -> str:
    labels = alert.get("labels") or {}
    assert isinstance(labels, dict)
    slo = f" (slo {labels['slo']})" if labels.get("slo") else ""
    return f"{labels.get('alertname', '?')}{slo}"


def _measured(reading: Reading) -> str:
    within = reading.within_p99_limit
    p99 = "latency ?" if within is None else f"{_percent(within)} within the P99 limit"
    restarts = "restarts ?" if reading.restarts is None else f"restarts {reading.restarts:.0f}"
    stable = (
        f"; stable pods: {reading.stable.describe()}"
        if reading.stable
        else "; no stable pods to compare with"
    )
    return f"canary: {reading.canary.describe()}, {p99}, {restarts}{stable}"


def _percent(ratio: float) -> str:
    return f"{ratio * 100:.2f} %"
