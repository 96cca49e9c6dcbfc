"""The metrics a canary is judged by, named in one place, and the PromQL the driver sends.

Every name here must match what produces it; a wrong name reads as no data, which holds the
rollout (canary.py), so a mismatch stops rollouts rather than waving them through:

- erlmcp's own HTTP metrics: MUST match erlmcp's source (seanchatmangpt/erlmcp). The names below
  are the ones issue 21 gives (seeds 001, 002, 004 §10.1). erlmcp's source at the time of
  writing registers `erlmcp_requests_total`, `erlmcp_responses_total` (label `status`) and
  `erlmcp_request_duration_seconds` (apps/erlmcp_observability/src/
  erlmcp_monitoring_metrics.erl, `init_default_metrics`, lines 262-291) and no
  `http_requests_total`: regions/erlmcp_metrics.py (issue 21, another change) holds the
  verified names; import them from there once it is merged, so the rules and the canary
  judgement read the same series.
- the pod labels the scraper keeps (issue 21 §1): `namespace`, and the StatefulSet controller's
  `controller-revision-hash` pod label as `controller_revision_hash` (the relabelling replaces
  the `-` that a Prometheus label name cannot hold).
- kube-state-metrics (docs/metrics/workload/pod-metrics.md): the container restart counter
  carries `namespace`, `pod`, `container` and no pod label; pod labels come as `label_<name>`
  on `kube_pod_labels`, only for labels in `--metric-labels-allowlist` (the chart's
  `metricLabelsAllowlist: [pods=[controller-revision-hash]]`).
"""

from __future__ import annotations

import json

# erlmcp (see above: must match erlmcp's source).
REQUESTS_TOTAL = "http_requests_total"
STATUS_LABEL = "status"
SERVER_ERROR_STATUS = "5.."
DURATION_BUCKET = "http_request_duration_seconds_bucket"

# Labels the scraper keeps on erlmcp's series.
NAMESPACE_LABEL = "namespace"
REVISION_LABEL = "controller_revision_hash"

# kube-state-metrics.
RESTARTS_TOTAL = "kube_pod_container_status_restarts_total"
POD_LABELS = "kube_pod_labels"
POD_REVISION_LABEL = "label_controller_revision_hash"

# The SLO rules' alerts (issue 21 §2): every alert carries `severity: page` or `ticket`.
SEVERITY_LABEL = "severity"
PAGE = "page"


def _quoted(value: str) -> str:
    """A PromQL string literal (double-quoted, Go escapes; JSON's are a subset for these)."""
    return json.dumps(value)


def _pods(namespace: str, revision: str, server_errors: bool = False) -> str:
    """The selector of one revision's pods of one release (the namespace keeps a standby
    release's pods in the same cluster apart)."""
    matchers = [
        f"{NAMESPACE_LABEL}={_quoted(namespace)}",
        f"{REVISION_LABEL}={_quoted(revision)}",
    ]
    if server_errors:
        matchers.append(f"{STATUS_LABEL}=~{_quoted(SERVER_ERROR_STATUS)}")
    return "{" + ",".join(matchers) + "}"


def requests_query(namespace: str, revision: str, minutes: int) -> str:
    """Requests the revision's pods answered in the window (empty: none at all)."""
    return f"sum(increase({REQUESTS_TOTAL}{_pods(namespace, revision)}[{minutes}m]))"


def errors_query(namespace: str, revision: str, minutes: int) -> str:
    """Of those, the 5xx answers. Empty when no pod ever answered a 5xx: a counter with a
    `status="500"` label exists only after the first one, so empty reads as zero here."""
    return f"sum(increase({REQUESTS_TOTAL}{_pods(namespace, revision, True)}[{minutes}m]))"


def p99_query(namespace: str, revision: str, minutes: int) -> str:
    """The revision's P99 latency over the window, in seconds (empty or NaN: no requests)."""
    buckets = f"rate({DURATION_BUCKET}{_pods(namespace, revision)}[{minutes}m])"
    return f"histogram_quantile(0.99, sum by (le) ({buckets}))"


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
