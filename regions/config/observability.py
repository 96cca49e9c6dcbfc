"""What watches the fleet: metrics retention, the SLOs, the canary's judgement, alarm thresholds
(`observability`), and the pager endpoints (`pagerEndpoints`, secret config only).

Defaults are the runbook's: §5.1 availability 99.95 % over 30 days, P99 < 500 ms; §9.1 roll back
when the error rate passes 5 % for 5 minutes or P99 passes 10 s. Its P95 < 200 ms becomes 95 %
within 250 ms: 200 ms is no bucket of erlmcp's latency histogram (regions/erlmcp_metrics.py), and
250 ms is the bound whose SLO fails only when P95 < 200 ms has certainly failed.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator

from regions.config.values import _KeyedError, _Model
from regions.erlmcp_metrics import check_latency_threshold


class LatencySlo(_Model):
    """`target` percent of requests answer within `threshold_ms` (P99 < 500 ms is 99 % within
    500 ms). The threshold must be a bucket boundary of erlmcp's latency histogram."""

    threshold_ms: int = Field(gt=0)
    target: float = Field(gt=50, lt=100)

    @field_validator("threshold_ms")
    @classmethod
    def _a_bucket_boundary(cls, threshold_ms: int) -> int:
        check_latency_threshold(threshold_ms)
        return threshold_ms


class SloConfig(_Model):
    """The SLOs every serving region's rules and burn-rate alerts are generated from."""

    availability: float = Field(default=99.95, gt=90, lt=100)
    """Percent of requests that do not fail with a 5xx, over `window_days`."""
    window_days: int = Field(default=30, ge=7, le=90)
    latency: tuple[LatencySlo, ...] = (
        LatencySlo(threshold_ms=250, target=95),
        LatencySlo(threshold_ms=500, target=99),
    )
    min_requests_per_second: float = Field(default=0.1, ge=0)
    """Below this rate a region's burn-rate alerts stay quiet: a handful of requests is no
    evidence (the guard); the absent-metric alert still fires when the SLI disappears."""

    @model_validator(mode="after")
    def _distinct_thresholds(self) -> SloConfig:
        thresholds = [slo.threshold_ms for slo in self.latency]
        if len(set(thresholds)) != len(thresholds):
            raise _KeyedError(("latency",), "each latency SLO needs its own thresholdMs")
        return self


class CanaryConfig(_Model):
    """How the rollout driver judges a canary from its metrics during the soak (runbook §9.1)."""

    max_error_ratio: float = Field(default=0.05, gt=0, lt=1)
    error_window_minutes: int = Field(default=5, ge=1, le=60)
    max_p99_seconds: float = Field(default=10.0, gt=0)
    relative_error_factor: float = Field(default=2.0, ge=1)
    """Roll back when the canary's error ratio is this many times the stable pods' ..."""
    error_ratio_floor: float = Field(default=0.01, ge=0, lt=1)
    """... and above this absolute floor (two errors in a hundred requests is not a signal)."""
    max_restarts: int = Field(default=2, ge=0)
    min_requests: int = Field(default=100, ge=1)
    """Fewer canary requests than this in the window: too little traffic to judge, the step
    holds (no data is never a pass)."""
    hold_minutes: int = Field(default=30, ge=1)
    """After holding this long, the rollout stops without rolling back."""


class AlarmConfig(_Model):
    """Thresholds of the CloudWatch alarms that are not derived from a DR pair's RPO."""

    replication_latency_seconds: int = Field(default=900, ge=60)
    """S3 Replication Time Control promises 15 minutes."""
    unhealthy_targets: int = Field(default=1, ge=1)
    certificate_days_to_expiry: int = Field(default=30, ge=1, le=365)
    database_connections_percent: int = Field(default=80, ge=1, le=99)
    """Ticket when a writing database holds this share of its max_connections
    (regions/database_alarms.py)."""
    evaluation_minutes: int = Field(default=5, ge=1, le=60)


class ObservabilityConfig(_Model):
    retention_days: int = Field(default=150, ge=1, le=1095)
    """Amazon Managed Service for Prometheus keeps samples 1 to 1095 days (150 by default)."""
    slo: SloConfig = SloConfig()
    canary: CanaryConfig = CanaryConfig()
    alarms: AlarmConfig = AlarmConfig()


EndpointName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


class PagerEndpoints(_Model):
    """HTTPS endpoints each region's SNS topic delivers to (PagerDuty's CloudWatch integration
    URL, for instance), per severity and by name (the name keeps the subscription's identity
    when others come and go). Secret: a URL holds its integration key."""

    page: dict[EndpointName, SecretStr] = Field(min_length=1)
    ticket: dict[EndpointName, SecretStr] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _https(self) -> PagerEndpoints:
        for severity in ("page", "ticket"):
            for name, endpoint in getattr(self, severity).items():
                if not endpoint.get_secret_value().startswith("https://"):
                    raise _KeyedError(
                        (severity, name), "must be an https:// URL (SNS https subscription)"
                    )
        return self

    def urls(self) -> dict[str, dict[str, str]]:
        """severity -> name -> URL, in plaintext: hand them on only as Pulumi secrets."""
        return {
            severity: {
                name: url.get_secret_value() for name, url in getattr(self, severity).items()
            }
            for severity in ("page", "ticket")
        }
