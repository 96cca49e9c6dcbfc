"""What the release component (components/release.py) takes, checked before anything is
registered."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.release_network import otel_port

_IMAGE_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class HpaSettings:
    min_replicas: int
    max_replicas: int
    target_cpu_percent: int

    def __post_init__(self) -> None:
        if not 1 <= self.min_replicas <= self.max_replicas:
            raise ValueError(
                f"hpa needs 1 <= min_replicas <= max_replicas, got "
                f"{self.min_replicas}..{self.max_replicas}"
            )
        if not 1 <= self.target_cpu_percent <= 100:
            raise ValueError(f"hpa target_cpu_percent {self.target_cpu_percent} is not 1..100")


@dataclass(frozen=True)
class PodResources:
    """Kubernetes quantities ("500m", "2", "2Gi") for the erlmcp container."""

    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str


@dataclass(frozen=True)
class ErlmcpReleaseArgs:
    provider: k8s.Provider
    """The regional cluster's provider; every object is created through it."""
    namespace: str
    region: str
    """ERLMCP_REGION."""
    environment: str
    """ERLMCP_ENV, e.g. "prod"."""
    image: str
    """Repository without a tag, e.g. "ghcr.io/seanchatmangpt/erlmcp"."""
    version: str
    """Image tag; pinned ("latest" and "" are refused)."""
    image_digest: str
    """`sha256:<64 hex>`, the registry's digest of `<image>:<version>`; the pods run exactly it."""
    replicas: int
    """Pods at creation (within the HPA's range if there is one); 0 for a standby."""
    hpa: HpaSettings | None
    resources: PodResources
    db_host: pulumi.Input[str]
    db_name: str
    db_user: str
    db_password: pulumi.Input[str]
    redis_host: pulumi.Input[str]
    redis_auth_token: pulumi.Input[str]
    erlang_cookie: pulumi.Input[str]
    jwt_secret: pulumi.Input[str]
    otel_endpoint: str
    """OTEL_EXPORTER_OTLP_ENDPOINT; its port is opened for egress."""
    service_account_role_arn: pulumi.Input[str]
    """IRSA role for `system:serviceaccount:<namespace>:erlmcp`, created by the caller."""
    tls_certificate_arn: pulumi.Input[str]
    """ACM certificate (in this region) for the NLB's TLS listeners."""
    log_level: str = "info"
    load_balancer_source_cidrs: Sequence[str] = ("0.0.0.0/0",)
    monitoring_namespace: str = "monitoring"
    """Namespace whose pods (Prometheus) may scrape the metrics port."""
    metrics_scraper_cidrs: Sequence[str] = ()
    """Address blocks a scraper that is not a pod comes from (a managed Prometheus collector's
    network interfaces in the cluster's subnets): they may reach the metrics port too."""
    labels: Mapping[str, str] = field(default_factory=dict)
    pod_annotations: Mapping[str, str] = field(default_factory=dict)
    """Extra annotations of the pod template; a change of one rolls every pod (e.g. which
    generation of a secret the pods must read at start)."""
    starts_from_zero: bool = False
    """This update brings the release up from 0 pods: the count is applied (and forced), since
    the HPA does not scale a StatefulSet up from 0; the next update hands it to the HPA."""
    update_partition: int = 0
    """Pods with a lower ordinal keep the revision they run when the template changes: a canary
    of the highest ordinals (StatefulSet `updateStrategy.rollingUpdate.partition`)."""
    min_ready_seconds: int = 10
    """A new pod counts as available only after being Ready this long."""
    ready_timeout_minutes: int | None = None
    """How long `pulumi up` waits for the updated pods to be Ready (None: the provider's
    default, 10 minutes)."""
    await_ready: bool = True
    """Whether `pulumi up` waits for the StatefulSet's pods to be Ready (pulumi-kubernetes'
    await; `pulumi.com/skipAwait` when False). False only for pods that cannot be Ready yet by
    design, such as a warm standby whose database endpoint activates at promotion."""

    def __post_init__(self) -> None:
        if not 0 <= self.update_partition <= self.replicas:
            raise ValueError(
                f"update_partition {self.update_partition} must be between 0 and the "
                f"{self.replicas} replicas"
            )
        if not self.version or self.version == "latest":
            raise ValueError(
                f"version must pin an image tag, got {self.version!r}: 'latest' or an empty "
                "tag makes rollouts unreproducible"
            )
        if not _IMAGE_DIGEST.match(self.image_digest):
            raise ValueError(
                f"image_digest must be 'sha256:' and 64 lowercase hex digits, got "
                f"{self.image_digest!r}"
            )
        for key in ("namespace", "monitoring_namespace"):
            if not _DNS_LABEL.match(getattr(self, key)):
                raise ValueError(f"{key} {getattr(self, key)!r} is not a DNS-1123 label")
        if self.replicas < 0:
            raise ValueError(f"replicas must be >= 0, got {self.replicas}")
        if self.replicas == 0 and self.hpa is not None:
            raise ValueError("a standby (replicas 0) must not have an hpa: it would scale it up")
        if self.hpa and not self.hpa.min_replicas <= self.replicas <= self.hpa.max_replicas:
            raise ValueError(
                f"replicas {self.replicas} is outside the hpa range "
                f"{self.hpa.min_replicas}..{self.hpa.max_replicas}"
            )
        if not self.load_balancer_source_cidrs:
            raise ValueError("load_balancer_source_cidrs is empty; give at least one CIDR")
        for cidr in (*self.load_balancer_source_cidrs, *self.metrics_scraper_cidrs):
            ipaddress.ip_network(cidr)  # raises ValueError on a malformed CIDR
        otel_port(self.otel_endpoint)
