"""The metrics a canary is judged by, named in one place, and the PromQL the driver sends.

Every name here must match what produces it. A wrong name reads as no data, which holds the
rollout (canary.py): a mismatch stops rollouts rather than waving them through.

- erlmcp's own metrics MUST match erlmcp's source (seanchatmangpt/erlmcp at 1356e12d), not the
  runbook: no Erlang file defines the runbook's `http_requests_total` or
  `http_request_duration_seconds`. The response counter with an HTTP `status` label is
  `erlmcp_responses_total{status, method}` and the latency histogram
  `erlmcp_request_duration_seconds` (apps/erlmcp_observability/src/erlmcp_metrics_collector.erl
  :123-127 and :153-154), taken from regions/erlmcp_metrics.py, which reads them from source
  with every citation, so the rules and the canary read the same series.
- That histogram's exposition prints the `+Inf` bucket as 0 and bucket bounds as `~.3f`
  (`le="10.000"`; erlmcp_metrics_collector.erl :512-523, per regions/erlmcp_metrics.py). So a
  P99 from `histogram_quantile` over its buckets is blind above the largest finite bound (10 s),
  exactly the runbook's limit: the canary's latency is read as the share of its requests within
  `maxP99Seconds` (bucket over `_count`, never `le="+Inf"`), and P99 > maxP99Seconds is that
  share under 99 %. That is exact only at a bucket bound, so `maxP99Seconds` must be one
  (`check_p99_limit`).
- The pod labels the collector keeps on erlmcp's series (regions/observability.py
  `SERIES_LABELS`): `namespace`, and the StatefulSet controller's `controller-revision-hash` pod
  label as `controller_revision_hash`.
- kube-state-metrics (docs/metrics/workload/pod-metrics.md): the container restart counter
  carries `namespace`, `pod`, `container` and no pod label; pod labels come as `label_<name>`
  on `kube_pod_labels`, only for labels in `--metric-labels-allowlist` (the chart's
  `metricLabelsAllowlist: [pods=[..., controller-revision-hash]]`, components/prometheus.py).
"""

from __future__ import annotations

import json

from regions import erlmcp_metrics

# erlmcp's own series, read from its source once (regions/erlmcp_metrics.py): the SLO rules and
# the canary read the same names.
RESPONSES_TOTAL = erlmcp_metrics.RESPONSES.name
STATUS_LABEL = erlmcp_metrics.STATUS_LABEL
SERVER_ERROR_STATUS = erlmcp_metrics.SERVER_ERROR_STATUS
DURATION = erlmcp_metrics.REQUEST_DURATION.name
LATENCY_BUCKETS_MS = erlmcp_metrics.LATENCY_BUCKETS_MS
P99 = 0.99

# Labels the collector keeps on erlmcp's series.
NAMESPACE_LABEL = "namespace"
REVISION_LABEL = "controller_revision_hash"

# kube-state-metrics.
RESTARTS_TOTAL = erlmcp_metrics.KSM_RESTARTS.name
POD_LABELS = "kube_pod_labels"
POD_REVISION_LABEL = "label_controller_revision_hash"

# The SLO rules' alerts (issue 21 §2): every alert carries `severity: page` or `ticket`.
SEVERITY_LABEL = "severity"
PAGE = "page"


def check_p99_limit(seconds: float) -> None:
    """Refuse a `maxP99Seconds` that is no bucket bound of erlmcp's histogram: the share of
    requests within it could not be counted."""
    if seconds * 1000 not in LATENCY_BUCKETS_MS:
        bounds = ", ".join(f"{b / 1000:g}" for b in LATENCY_BUCKETS_MS)
        raise ValueError(
            f"observability.canary.maxP99Seconds {seconds:g} is no bucket bound of erlmcp's "
            f"latency histogram ({bounds} s): the share of requests within it cannot be counted"
        )


def latency_le_regex(seconds: float) -> str:
    """Every decimal spelling of a bucket bound (regions/erlmcp_metrics.py `latency_le_regex`)."""
    return erlmcp_metrics.latency_le_regex(round(seconds * 1000))


def _quoted(value: str) -> str:
    """A PromQL string literal (double-quoted, Go escapes; JSON's are a subset for these)."""
    return json.dumps(value)


def _pods(namespace: str, revision: str, *extra: str) -> str:
    """The selector of one revision's pods of one release (the namespace keeps a standby
    release's pods in the same cluster apart)."""
    matchers = [
        f"{NAMESPACE_LABEL}={_quoted(namespace)}",
        f"{REVISION_LABEL}={_quoted(revision)}",
        *extra,
    ]
    return "{" + ",".join(matchers) + "}"


def requests_query(namespace: str, revision: str, minutes: int) -> str:
    """Responses the revision's pods sent in the window (empty: none at all)."""
    return f"sum(increase({RESPONSES_TOTAL}{_pods(namespace, revision)}[{minutes}m]))"


def errors_query(namespace: str, revision: str, minutes: int) -> str:
    """Of those, the 5xx. Empty when no pod ever sent a 5xx: a counter with a `status="500"`
    label exists only after the first one, so empty reads as zero here."""
    errors = f"{STATUS_LABEL}=~{_quoted(SERVER_ERROR_STATUS)}"
    return f"sum(increase({RESPONSES_TOTAL}{_pods(namespace, revision, errors)}[{minutes}m]))"


def within_query(namespace: str, revision: str, minutes: int, seconds: float) -> str:
    """Requests the revision's pods answered within `seconds` in the window (a bucket bound)."""
    le = f"le=~{_quoted(latency_le_regex(seconds))}"
    return f"sum(increase({DURATION}_bucket{_pods(namespace, revision, le)}[{minutes}m]))"


def timed_query(namespace: str, revision: str, minutes: int) -> str:
    """Requests the revision's pods timed in the window (`_count`: erlmcp's `+Inf` bucket is 0)."""
    return f"sum(increase({DURATION}_count{_pods(namespace, revision)}[{minutes}m]))"


def restarts_query(namespace: str, revision: str) -> str:
    """The most restarts any pod of the revision has had (its containers' counts added up).
    The revision's pods were all created on that revision, so the counter is what they did
    since; the `max by` keeps one `kube_pod_labels` series per pod for the join."""
    pods = (
        f"max by (namespace, pod) ({POD_LABELS}{{{NAMESPACE_LABEL}={_quoted(namespace)},"
        f"{POD_REVISION_LABEL}={_quoted(revision)}}})"
    )
    restarts = f"{RESTARTS_TOTAL}{{{NAMESPACE_LABEL}={_quoted(namespace)}}}"
    return f"max(sum by (namespace, pod) ({restarts} * on (namespace, pod) group_left() {pods}))"
