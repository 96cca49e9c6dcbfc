"""Kubernetes workload plumbing shared by the k8s policies (not a policy).

Containers are read from a Pod's `spec` or a controller's `spec.template.spec`, as the
Kubernetes provider records the manifest (camelCase, like the API). A spec that is not known
yet (preview) yields nothing to judge.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from erlmcp_policies.common import is_unknown, items, prop

POD = "kubernetes:core/v1:Pod"
CONTROLLERS = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet",
)
WORKLOADS = (POD, *CONTROLLERS)
SCALABLE = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:ReplicaSet",
)
AUTOSCALERS = (
    "kubernetes:autoscaling/v1:HorizontalPodAutoscaler",
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "kubernetes:autoscaling/v2beta2:HorizontalPodAutoscaler",
)


@dataclass(frozen=True)
class Container:
    """One container of a pod template; `init` for initContainers."""

    spec: Any
    label: str
    init: bool


def pod_spec(resource_type: str, props: Mapping[str, Any]) -> Any:
    """The pod spec (or UNKNOWN / None)."""
    if resource_type == POD:
        return prop(props, "spec")
    return prop(props, "spec", "template", "spec")


def containers(pod: Any, *, include_init: bool = True) -> Iterator[Container]:
    """The pod's containers that are known; unknown entries are skipped."""
    if pod is None or is_unknown(pod):
        return
    keys = ("initContainers", "containers") if include_init else ("containers",)
    for key in keys:
        listed = prop(pod, key)
        for index, container in enumerate(items(listed)):
            if is_unknown(container):
                continue
            name = prop(container, "name")
            label = name if isinstance(name, str) else f"{key}[{index}]"
            kind = "init container" if key == "initContainers" else "container"
            yield Container(container, f"{kind} '{label}'", key == "initContainers")
