"""What erlmcp exposes for Prometheus, read from its source, and the Kubernetes metrics the alerts
read beside it. Every metric name, label and bucket the SLO rules (regions/slo_rules.py) rely on
comes from here, each with where it was read.

erlmcp citations are `path:line` in seanchatmangpt/erlmcp at ERLMCP_COMMIT.

Where the source and the runbook disagree, the source wins:

- The runbook (seed 004 §5.3, §10.1) builds its SLIs on `http_requests_total{status}` and
  `http_request_duration_seconds`. No Erlang file in erlmcp defines either name (`git grep
  http_requests_total -- '*.erl'` finds nothing; they appear only in its docs and manifests). The
  counter that carries an HTTP status is `erlmcp_responses_total{status, method}`
  (erlmcp_metrics_collector.erl:123-127); the latency histogram is
  `erlmcp_request_duration_seconds` (:153-154). The SLIs use these two.
- Seeds 001 and 002 name `erlmcp_requests_total`, `erlmcp_errors_total`, `erlmcp_latency_seconds`
  and `erlmcp_connections_active`. `erlmcp_requests_total` exists but has no status label
  (:112-116); `erlmcp_errors_total` counts every status >= 400 and non-HTTP errors alike
  (:128-133, :143-146), so it is no 5xx SLI; `erlmcp_latency_seconds` exists nowhere;
  `erlmcp_connections_active` exists only in erlmcp_counters.erl:172-174, which nothing serves
  (its only callers are examples/). The collector's connection gauge is
  `erlmcp_connections_total{transport}`, a gauge despite its name (:303-313, :383-397).
- The runbook's P95 < 200 ms cannot be counted: 200 ms is no bucket boundary of the histogram
  (LATENCY_BUCKETS_MS, :30). A latency SLO's threshold must be one (check_latency_threshold;
  the config refuses others). The shipped stack counts "95 % within 250 ms" instead: it fails
  only when "P95 < 200 ms" has certainly failed (docs/observability.md).

What the source does not give, said plainly:

- Nothing in erlmcp's request path records into the collector at this commit: `git grep
  erlmcp_metrics_collector: -- apps` finds only a benchmark suite's `start/0` and `stop/0`, which
  the module does not even export; so `record_response/2` (:123), `record_latency/2` (:153) and
  `prometheus_export/0` (:169), which renders them, have no caller; erlmcp depends on no
  Prometheus client library either (rebar.config). The port-9090 `/metrics` listener
  (erlmcp_prometheus_exporter, started by erlmcp_observability_sup.erl:213-221) serves
  `erlmcp_info` plus collectors registered with `register_collector/2`
  (erlmcp_prometheus_exporter.erl:62-63, :292-313), and nothing registers one; its cowboy
  listener is started without the configured port (:91 reads it, :102-108 never passes it). So
  the SLI series will be absent from a scrape until erlmcp wires them. The rules are still built
  on them, the only request metrics erlmcp defines, and their absent-metric alert (a ticket) says
  so in every region instead of the SLOs showing nothing.
- The exposition has two defects the rules work around: bucket bounds are printed `~.3f`
  (`le="0.250"`, :512-513), so `le` is matched by value with a regex (latency_le_regex), never
  by one spelling; and the `+Inf` bucket is always printed as 0 (:520-523), so totals come from
  `_count` (:535-541), never from `le="+Inf"`.
- No database-pool metric: erlmcp_db_pool keeps pool statistics in its own state, readable through
  `stats/1` (erlmcp_db_pool.erl:194-195, :703-704, :735-736), but never exports them. The runbook's
  `pg_stat_activity_count` / `pg_settings_max_connections` come from postgres_exporter, which
  this program does not run (the databases are RDS and Aurora).
- No restart counter: erlmcp's supervisors do not export restarts; kube-state-metrics'
  `kube_pod_container_status_restarts_total` counts them (KSM_RESTARTS).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from components.release_names import CONTAINER_NAME

ERLMCP_REPOSITORY = "seanchatmangpt/erlmcp"
ERLMCP_COMMIT = "1356e12d778f4f4908360bdb3af445db8caff50d"
_COLLECTOR = "apps/erlmcp_observability/src/erlmcp_metrics_collector.erl"
_KSM_DOC = "kubernetes/kube-state-metrics docs/metrics/workload/pod-metrics.md"
_CADVISOR_DOC = "google/cadvisor docs/storage/prometheus.md (container metrics table)"


@dataclass(frozen=True)
class Metric:
    name: str
    kind: Literal["counter", "gauge", "histogram"]
    labels: tuple[str, ...]
    source: str
    """Where the name and labels were read."""


# --- erlmcp ---------------------------------------------------------------------------------

METRICS_PORT = 9090
"""erlmcp_observability_sup.erl:214 (`prometheus_port`, default 9090); the pods name it `metrics`
(components/release_network.py)."""

RESPONSES = Metric(
    "erlmcp_responses_total", "counter", ("status", "method"), f"{_COLLECTOR}:123-127"
)
"""One per response; `status` is the integer code as text, "500" (to_binary/1, :606-608)."""
STATUS_LABEL = "status"
SERVER_ERROR_STATUS = "5.."
"""A regex on STATUS_LABEL: the error SLI counts 5xx only (runbook §5.2 "Count HTTP 5xx")."""

REQUEST_DURATION = Metric(
    "erlmcp_request_duration_seconds", "histogram", ("le",), f"{_COLLECTOR}:153-154, :498-541"
)
"""Labels besides `le` are whatever a caller passes to record_latency/2; the rules sum them away."""

LATENCY_BUCKETS_MS: tuple[int, ...] = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
"""?HISTOGRAM_BUCKETS, :30 (0.001 ... 10 s). Each bucket counts the observations at or below its
bound (:253-258), so `_bucket{le=b}` over `_count` is the share within b."""

REQUESTS = Metric(
    "erlmcp_requests_total", "counter", ("method", "endpoint"), f"{_COLLECTOR}:112-116"
)
ERRORS = Metric(
    "erlmcp_errors_total", "counter", ("error_type", "status_code"), f"{_COLLECTOR}:128-146"
)
CONNECTIONS = Metric(
    "erlmcp_connections_total", "gauge", ("transport",), f"{_COLLECTOR}:303-313, :383-397"
)


def check_latency_threshold(threshold_ms: int) -> None:
    """Refuse a latency threshold that is no bucket boundary: the share of requests within it
    could not be counted, only guessed (histogram_quantile interpolates inside a bucket, and
    reports nothing above the largest finite bound, 10 s)."""
    if threshold_ms not in LATENCY_BUCKETS_MS:
        bounds = ", ".join(str(b) for b in LATENCY_BUCKETS_MS)
        raise ValueError(
            f"{threshold_ms} ms is not a bucket boundary of erlmcp's latency histogram "
            f"({bounds} ms; erlmcp_metrics_collector.erl:30): the share of requests within it "
            "cannot be counted"
        )


def latency_le_regex(threshold_ms: int) -> str:
    """A regex matching every decimal spelling of the bucket bound: erlmcp prints "0.250" and
    "1.000" (:512), a Prometheus 3 ingester normalises to "0.25" and "1.0". The dot is a class,
    `[.]`, so the regex needs no escaping inside a PromQL string."""
    check_latency_threshold(threshold_ms)
    seconds = format(Decimal(threshold_ms) / 1000, "f")
    whole, _, fraction = seconds.partition(".")
    if fraction:
        return f"{whole}[.]{fraction}0*"
    return f"{whole}([.]0*)?"


# --- Kubernetes: kube-state-metrics and the kubelet's cAdvisor ------------------------------

ERLMCP_CONTAINER = CONTAINER_NAME
"""The erlmcp container's name in its pods (components/release_names.py); the operational
alerts select on it."""

KSM_WAITING_REASON = Metric(
    "kube_pod_container_status_waiting_reason",
    "gauge",
    ("namespace", "pod", "container", "reason"),
    f"{_KSM_DOC}:21 (STABLE)",
)
CRASH_LOOP_REASON = "CrashLoopBackOff"
KSM_RESTARTS = Metric(
    "kube_pod_container_status_restarts_total",
    "counter",
    ("namespace", "pod", "container"),
    f"{_KSM_DOC}:33 (STABLE)",
)
KSM_LIMITS = Metric(
    "kube_pod_container_resource_limits",
    "gauge",
    ("namespace", "pod", "container", "resource", "unit"),
    f"{_KSM_DOC}:35 (STABLE); units 'core', 'byte': pkg/constant/resource_unit.go:24-26",
)
CADVISOR_MEMORY_WORKING_SET = Metric(
    "container_memory_working_set_bytes",
    "gauge",
    ("namespace", "pod", "container"),
    _CADVISOR_DOC,
)
"""Usage less inactive page cache: what is left when the kernel reclaims at the limit."""
CADVISOR_CPU_USAGE = Metric(
    "container_cpu_usage_seconds_total",
    "counter",
    ("namespace", "pod", "container"),
    _CADVISOR_DOC,
)
