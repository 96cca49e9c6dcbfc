"""Who serves traffic: latency records, the load balancers they alias, and the pods behind them.

The join the DNS policies make, all from what the engine gives a stack policy:

    latency record (aws:route53/record with latencyRoutingPolicies)
      -> its alias target's DNS name
      -> the kubernetes Service of type LoadBalancer whose status.loadBalancer.ingress hostname
         is that name (an output: known after the load balancer exists, unknown in a first preview)
      -> the StatefulSets/Deployments behind the same Kubernetes provider (cluster), in the
         Service's namespace, whose pod labels match the Service's selector
      -> their replicas (an HPA that targets one keeps at least minReplicas running, unless the
         workload is scaled to 0, which disables the HPA).

When the record cannot be joined to a Service (its alias is no Kubernetes load balancer, or the
load balancer's hostname is not known yet), the record's latency region stands in: the pods of
every workload placed in that region (placement: `StackIndex.region_of`). A count that depends on
an unknown value is UNKNOWN, and the policies judge nothing they cannot count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource

from erlmcp_policies.stack.graph import UNKNOWN, StackIndex, list_at, prop

RECORD = "aws:route53/record:Record"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
SERVICE = "kubernetes:core/v1:Service"
WORKLOADS = ("kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:Deployment")
HPA_TYPES = (
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "kubernetes:autoscaling/v1:HorizontalPodAutoscaler",
)


def normalize_host(name: Any) -> Any:
    """DNS names compare without case, trailing dot or Route 53's `dualstack.` prefix."""
    if not isinstance(name, str):
        return name
    host = name.strip().lower().rstrip(".")
    return host.removeprefix("dualstack.")


@dataclass(frozen=True)
class LatencyRecord:
    resource: PolicyResource
    region: Any
    alias_names: tuple[Any, ...]
    health_check_id: Any


def latency_records(index: StackIndex) -> list[LatencyRecord]:
    """Every Route 53 record with a latency routing policy (UNKNOWN where not known yet)."""
    found = []
    for record in index.of_type(RECORD):
        policies = list_at(record.props, "latencyRoutingPolicies")
        if not policies:
            if prop(record.props, "latencyRoutingPolicies") is UNKNOWN:
                found.append(LatencyRecord(record, UNKNOWN, (), UNKNOWN))
            continue
        found.append(
            LatencyRecord(
                resource=record,
                region=prop(policies[0], "region"),
                alias_names=tuple(
                    normalize_host(prop(alias, "name"))
                    for alias in list_at(record.props, "aliases")
                ),
                health_check_id=prop(record.props, "healthCheckId"),
            )
        )
    return found


def _namespace(resource: PolicyResource) -> Any:
    namespace = prop(resource.props, "metadata", "namespace")
    return namespace or ("default" if namespace is None else namespace)


def _cluster(resource: PolicyResource) -> str | None:
    return resource.provider.urn if resource.provider is not None else None


def _hpa_min_replicas(index: StackIndex, workload: PolicyResource) -> Any:
    """minReplicas of an HPA that scales this workload; None when none does."""
    kind = workload.resource_type.rsplit(":", 1)[-1]
    name = prop(workload.props, "metadata", "name")
    for type_ in HPA_TYPES:
        for hpa in index.of_type(type_):
            if _cluster(hpa) != _cluster(workload) or _namespace(hpa) != _namespace(workload):
                continue
            target_kind = prop(hpa.props, "spec", "scaleTargetRef", "kind")
            target_name = prop(hpa.props, "spec", "scaleTargetRef", "name")
            if UNKNOWN in (target_kind, target_name, name):
                return UNKNOWN
            if target_kind == kind and target_name == name:
                minimum = prop(hpa.props, "spec", "minReplicas", default=1)
                return minimum
    return None


def pods_of(index: StackIndex, workload: PolicyResource) -> Any:
    """How many pods a workload keeps running at least."""
    replicas = prop(workload.props, "spec", "replicas")
    if replicas is UNKNOWN:
        return UNKNOWN
    if replicas is not None and int(replicas) == 0:
        return 0
    minimum = _hpa_min_replicas(index, workload)
    if minimum is UNKNOWN:
        return UNKNOWN
    if minimum is not None:
        return int(minimum)
    return 1 if replicas is None else int(replicas)


def _sum(counts: list[Any]) -> Any:
    return UNKNOWN if any(c is UNKNOWN for c in counts) else sum(counts)


def _selects(selector: Any, labels: Any) -> Any:
    if selector is UNKNOWN or labels is UNKNOWN:
        return UNKNOWN
    if not selector:
        return False  # a Service without a selector routes to no pods of a workload
    wanted = {key: prop(selector, key) for key in selector}
    if UNKNOWN in wanted.values():
        return UNKNOWN
    return all(prop(labels, key) == label for key, label in wanted.items())


def pods_behind_service(index: StackIndex, service: PolicyResource) -> Any:
    selector = prop(service.props, "spec", "selector")
    counts = []
    for type_ in WORKLOADS:
        for workload in index.of_type(type_):
            if _cluster(workload) != _cluster(service):
                continue
            if _namespace(workload) != _namespace(service):
                continue
            labels = prop(workload.props, "spec", "template", "metadata", "labels")
            selected = _selects(selector, labels)
            if selected is UNKNOWN:
                return UNKNOWN
            if selected:
                counts.append(pods_of(index, workload))
    return _sum(counts)


def pods_in_region(index: StackIndex, region: str) -> Any:
    counts = []
    for type_ in WORKLOADS:
        for workload in index.of_type(type_):
            placed = index.region_of(workload)
            if placed is UNKNOWN:
                return UNKNOWN
            if placed == region:
                counts.append(pods_of(index, workload))
    return _sum(counts)


def load_balancer_services(index: StackIndex) -> list[PolicyResource]:
    return [s for s in index.of_type(SERVICE) if prop(s.props, "spec", "type") == "LoadBalancer"]


def service_hostnames(service: PolicyResource) -> set[Any]:
    return {
        normalize_host(prop(ingress, "hostname"))
        for ingress in list_at(service.props, "status", "loadBalancer", "ingress")
    }


def service_with_hostname(index: StackIndex, hostname: Any) -> PolicyResource | None:
    if not isinstance(hostname, str):
        return None
    for service in load_balancer_services(index):
        if hostname in service_hostnames(service):
            return service
    return None


def resolve_aliases(index: StackIndex, names: Iterable[Any], *, primary_only: bool) -> tuple:
    """Follow alias names through this stack's records to the names outside it (load balancers).

    With `primary_only`, a failover set is followed through its PRIMARY record alone: that is
    where traffic goes while the region is up (its SECONDARY may well run no pods).
    """
    records_by_name: dict[Any, list[PolicyResource]] = {}
    for record in index.of_type(RECORD):
        records_by_name.setdefault(normalize_host(prop(record.props, "name")), []).append(record)
    resolved: list[Any] = []
    seen: set[Any] = set()
    frontier = list(names)
    while frontier:
        name = frontier.pop(0)
        if name in seen:
            continue
        seen.add(name)
        targets = records_by_name.get(name, []) if isinstance(name, str) else []
        if not targets:
            resolved.append(name)
            continue
        for target in targets:
            failover = list_at(target.props, "failoverRoutingPolicies")
            if primary_only and failover and prop(failover[0], "type") == "SECONDARY":
                continue
            frontier.extend(
                normalize_host(prop(alias, "name")) for alias in list_at(target.props, "aliases")
            )
    return tuple(resolved)


@dataclass(frozen=True)
class Target:
    """Where a latency record sends traffic, and how many pods answer there."""

    pods: Any
    service: PolicyResource | None
    region: Any

    def describe(self) -> str:
        if self.service is not None:
            return (
                f"its alias is the load balancer of Service {self.service.name!r} "
                f"({self.region}), whose selector matches {self.pods} running pods"
            )
        return f"its latency region {self.region} runs {self.pods} pods"


def target_of(index: StackIndex, record: LatencyRecord) -> Target:
    for alias in resolve_aliases(index, record.alias_names, primary_only=True):
        service = service_with_hostname(index, alias)
        if service is not None:
            return Target(pods_behind_service(index, service), service, index.region_of(service))
    if not isinstance(record.region, str):
        return Target(UNKNOWN, None, record.region)
    return Target(pods_in_region(index, record.region), None, record.region)


def serving_services(index: StackIndex) -> dict[str, list[tuple[PolicyResource, int]]]:
    """Region -> its LoadBalancer Services that have pods behind them (and how many)."""
    serving: dict[str, list[tuple[PolicyResource, int]]] = {}
    for service in load_balancer_services(index):
        region = index.region_of(service)
        pods = pods_behind_service(index, service)
        if isinstance(region, str) and isinstance(pods, int) and pods > 0:
            serving.setdefault(region, []).append((service, pods))
    return serving
