"""The pods of each release, through the cluster's Kubernetes API with an EKS token
(operations/kubernetes_api.py), not kubectl.

For each release the config sizes (operations/fleet.py): its StatefulSet `erlmcp-cluster` in its
namespace (GET .../statefulsets/erlmcp-cluster), then its pods by the StatefulSet's own selector.

- red: the StatefulSet is missing; fewer Ready pods than it wants; fewer than the config sizes
  it to (the HPA may run more, never fewer than its minimum); a pod on a version the config
  does not run now (`app.kubernetes.io/version`, components/release.py);
- warn: a container has restarted (the count since the pod started);
- idle: a release sized to 0 pods that runs none.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from operations.check.findings import IDLE, OK, RED, WARN, Finding
from operations.fleet import Release
from operations.kubernetes_api import KubernetesApi, KubernetesError

VERSION_LABEL = "app.kubernetes.io/version"


def release_findings(api: KubernetesApi, releases: Iterable[Release]) -> list[Finding]:
    return [_release(api, release) for release in releases]


def _release(api: KubernetesApi, release: Release) -> Finding:
    subject = f"{release.namespace}/{release.statefulset} ({release.name})"
    base = f"/namespaces/{release.namespace}"
    try:
        statefulset = api.get(f"/apis/apps/v1{base}/statefulsets/{release.statefulset}")
    except KubernetesError as error:
        if error.status == 404:
            return Finding(release.region, "pods", subject, RED, "no such StatefulSet")
        raise
    wanted = int((statefulset.get("spec") or {}).get("replicas") or 0)
    # Kubernetes leaves zero counts out of `status` (omitempty).
    ready = int((statefulset.get("status") or {}).get("readyReplicas") or 0)
    selector = ((statefulset.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    labels = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    pods = api.get(f"/api/v1{base}/pods", {"labelSelector": labels}).get("items", [])
    restarts = sum(_restarts(pod) for pod in pods)
    versions = sorted({str(_labels(pod).get(VERSION_LABEL, "?")) for pod in pods})
    detail = f"{ready}/{wanted} Ready, {restarts} restarts, versions {', '.join(versions) or '-'}"
    return Finding(
        release.region,
        "pods",
        subject,
        _status(release, wanted, ready, restarts, versions),
        detail,
        float(ready),
    )


def _status(release: Release, wanted: int, ready: int, restarts: int, versions: list[str]) -> str:
    if release.pods == 0 and wanted == 0:
        return IDLE
    if ready < wanted or wanted < release.pods or not set(versions) <= release.versions:
        return RED
    return WARN if restarts else OK


def _labels(pod: dict[str, Any]) -> dict[str, str]:
    return (pod.get("metadata") or {}).get("labels") or {}


def _restarts(pod: dict[str, Any]) -> int:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return sum(int(s.get("restartCount") or 0) for s in statuses)
