"""Reading a whole stack from `StackValidationArgs.resources`, for the stack policies.

The engine gives stack policies every resource's final *outputs* (during a preview: the planned
outputs, where what the cloud has not assigned yet is unknown). `prop()` reads a path and returns
`UNKNOWN` instead of raising when any step is unknown, so a policy can skip what it cannot decide
rather than report it. `StackIndex` finds resources by type and knows where each one lives:
an AWS resource by its `region` property (pulumi-aws v7's per-resource region), a Kubernetes
object by the region of the EKS cluster behind its provider.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pulumi_policy import PolicyResource

from erlmcp_policies.common import UNKNOWN, items, prop

EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_ADDON = "aws:eks/addon:Addon"
ROUTE53_ZONE = "aws:route53/zone:Zone"
K8S_PROVIDER = "pulumi:providers:kubernetes"
_REGION_IN_KUBECONFIG = re.compile(r'"--region"\s*,\s*"([a-z0-9-]+)"')


def list_at(props: Any, *path: str | int) -> list[Any]:
    """The elements of the list at `path` (empty when missing or unknown; unknown elements are
    kept as UNKNOWN)."""
    found = prop(props, *path)
    return [] if found is UNKNOWN else list(items(found))


def names_zone(resource: PolicyResource, zone: PolicyResource, key: str) -> bool:
    """`resource` points at the hosted `zone` through its input `key`: the zone's id, or (in a
    first preview, before the id is known) a value it takes from the zone."""
    return prop(resource.props, key) == prop(zone.props, "zoneId") or zone in (
        resource.property_dependencies.get(key, [])
    )


class StackIndex:
    """The stack's resources by URN and type, and where each one lives."""

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self.resources = list(resources)
        self.by_urn = {r.urn: r for r in self.resources}
        self._by_type: dict[str, list[PolicyResource]] = {}
        for resource in self.resources:
            self._by_type.setdefault(resource.resource_type, []).append(resource)

    def of_type(self, type_: str) -> list[PolicyResource]:
        return self._by_type.get(type_, [])

    def region_of(self, resource: PolicyResource) -> Any:
        """The AWS region a resource lives in; UNKNOWN if not known yet, None if it has none."""
        region = prop(resource.props, "region")
        if isinstance(region, str) and region:
            return region
        if region is UNKNOWN:
            return UNKNOWN
        if resource.resource_type.startswith("kubernetes:"):
            return self._kubernetes_region(resource)
        return None

    def _kubernetes_region(self, resource: PolicyResource) -> Any:
        if resource.provider is None:
            return None
        provider = self.by_urn.get(resource.provider.urn)
        if provider is not None:
            for dependency in provider.dependencies:
                if dependency.resource_type == EKS_CLUSTER:
                    return self.region_of(dependency)
        kubeconfig = prop(resource.provider.props, "kubeconfig")
        if kubeconfig is UNKNOWN:
            return UNKNOWN
        if isinstance(kubeconfig, str):
            match = _REGION_IN_KUBECONFIG.search(kubeconfig)
            if match:
                return match.group(1)
        return None

    def cluster_of(self, resource: PolicyResource) -> PolicyResource | None:
        """The EKS cluster a Kubernetes object lives in: the one its provider is built from."""
        if resource.provider is None:
            return None
        provider = self.by_urn.get(resource.provider.urn)
        if provider is None:
            return None
        return next((d for d in provider.dependencies if d.resource_type == EKS_CLUSTER), None)

    def addons_of(self, cluster: PolicyResource) -> dict[Any, PolicyResource]:
        """The cluster's EKS add-ons by name (an add-on names the cluster, or takes its name
        from it, as in a first preview)."""
        return {
            prop(addon.props, "addonName"): addon
            for addon in self.of_type(EKS_ADDON)
            if prop(addon.props, "clusterName") == prop(cluster.props, "name")
            or cluster in addon.property_dependencies.get("clusterName", [])
        }

    def public_zones(self) -> list[PolicyResource]:
        """The stack's public Route 53 hosted zones (a zone attached to VPCs is private)."""
        return [z for z in self.of_type(ROUTE53_ZONE) if not prop(z.props, "vpcs")]

    def in_region(self, type_: str, region: str) -> list[PolicyResource]:
        return [r for r in self.of_type(type_) if self.region_of(r) == region]

    def regions_of(self, type_: str) -> set[str]:
        return {r for r in (self.region_of(x) for x in self.of_type(type_)) if isinstance(r, str)}
