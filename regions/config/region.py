"""One region's config (its pods, nodes, database and cache) and a DR pair of regions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from regions.config.auto_failover import AutoFailoverConfig
from regions.config.restore import RestoreTime, check_restored_generations
from regions.config.values import (
    MAX_POD_CPU,
    MAX_POD_MEMORY_BYTES,
    MAX_PODS_PER_REGION,
    ZONES_PER_REGION,
    AwsRegionName,
    CpuQuantity,
    KubernetesVersion,
    MemoryQuantity,
    PostgresVersion,
    RedisVersion,
    VpcCidr,
    ZoneName,
    _KeyedError,
    _Model,
    parse_cpu,
    parse_memory,
)
from regions.db_instance_classes import unknown_instance_class


class HpaConfig(_Model):
    min_replicas: int = Field(ge=1)
    max_replicas: int = Field(ge=1, le=MAX_PODS_PER_REGION)
    target_cpu_percent: int = Field(ge=10, le=95)

    @model_validator(mode="after")
    def _bounds(self) -> HpaConfig:
        if self.min_replicas > self.max_replicas:
            raise _KeyedError(
                ("minReplicas",),
                f"minReplicas {self.min_replicas} is above maxReplicas {self.max_replicas}",
            )
        return self

    def allows(self, pods: int) -> bool:
        return self.min_replicas <= pods <= self.max_replicas

    @property
    def range_text(self) -> str:
        return f"{self.min_replicas}..{self.max_replicas}"


class PodConfig(_Model):
    cpu_request: CpuQuantity
    memory_request: MemoryQuantity
    cpu_limit: CpuQuantity
    memory_limit: MemoryQuantity

    @model_validator(mode="after")
    def _limits(self) -> PodConfig:
        if parse_cpu(self.cpu_limit) > MAX_POD_CPU:
            raise _KeyedError(
                ("cpuLimit",), f"{self.cpu_limit} is above the {MAX_POD_CPU} CPU allowed per pod"
            )
        if parse_memory(self.memory_limit) > MAX_POD_MEMORY_BYTES:
            raise _KeyedError(
                ("memoryLimit",), f"{self.memory_limit} is above the 8Gi allowed per pod"
            )
        if parse_cpu(self.cpu_request) > parse_cpu(self.cpu_limit):
            raise _KeyedError(
                ("cpuRequest",), f"{self.cpu_request} is above cpuLimit {self.cpu_limit}"
            )
        if parse_memory(self.memory_request) > parse_memory(self.memory_limit):
            raise _KeyedError(
                ("memoryRequest",),
                f"{self.memory_request} is above memoryLimit {self.memory_limit}",
            )
        return self


class NodesConfig(_Model):
    instance_types: list[str] = Field(min_length=1)
    min_size: int = Field(ge=0)
    desired_size: int = Field(ge=0)
    max_size: int = Field(ge=1)
    disk_size_gb: int = Field(default=50, ge=20, le=1000)

    @model_validator(mode="after")
    def _order(self) -> NodesConfig:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise _KeyedError(
                ("desiredSize",),
                f"need minSize <= desiredSize <= maxSize, got {self.min_size}, "
                f"{self.desired_size}, {self.max_size}",
            )
        return self


class DatabaseConfig(_Model):
    engine_version: PostgresVersion
    instance_class: str = Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")
    allocated_storage_gb: int = Field(ge=20, le=65536)
    max_allocated_storage_gb: int = Field(ge=20, le=65536)
    multi_az: bool = True

    @field_validator("instance_class")
    @classmethod
    def _known_memory(cls, instance_class: str) -> str:
        # The database connections alarm's threshold follows the class's memory.
        problem = unknown_instance_class(instance_class)
        if problem is not None:
            raise ValueError(problem)
        return instance_class

    @model_validator(mode="after")
    def _storage(self) -> DatabaseConfig:
        if self.max_allocated_storage_gb < self.allocated_storage_gb:
            raise _KeyedError(("maxAllocatedStorageGb",), "is below allocatedStorageGb")
        return self


class CacheConfig(_Model):
    engine_version: RedisVersion
    node_type: str = Field(pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$")
    nodes: int = Field(default=2, ge=2, le=6)


# The EKS add-ons every cluster runs (components/eks_addons.py): its pod network (with
# NetworkPolicy enforcement), kube-proxy, DNS, and the metrics source HPAs scale on.
REQUIRED_ADDONS = ("vpc-cni", "kube-proxy", "coredns", "metrics-server")


class RegionConfig(_Model):
    """One region. `primary` serves traffic from its own database; `standby` only stands by."""

    role: Literal["primary", "standby"]
    vpc_cidr: VpcCidr
    availability_zones: list[ZoneName] = Field(
        min_length=ZONES_PER_REGION, max_length=ZONES_PER_REGION
    )
    """Given, not looked up: a lookup is a call into the region at every run, and a failover
    runs while a region is down (docs/failover.md "Failover while a region is down")."""
    kubernetes_version: KubernetesVersion
    addons: dict[str, Annotated[str, Field(pattern=r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")]]
    """EKS add-on name -> pinned version, for this region's Kubernetes version."""
    pods: int = Field(ge=0, le=MAX_PODS_PER_REGION)
    hpa: HpaConfig | None = None
    pod: PodConfig
    nodes: NodesConfig
    # A standby's replica and cache secondary are sized like its primary's, so it sets neither.
    database: DatabaseConfig | None = None
    cache: CacheConfig | None = None

    @property
    def serving(self) -> bool:
        return self.role == "primary"

    @property
    def max_pods(self) -> int:
        return max(self.pods, self.hpa.max_replicas if self.hpa else 0)

    @model_validator(mode="after")
    def _addons(self) -> RegionConfig:
        missing = [name for name in REQUIRED_ADDONS if name not in self.addons]
        if missing:
            raise _KeyedError(
                ("addons",), f"missing {', '.join(missing)} (every cluster runs them)"
            )
        # kube-proxy must match the control plane's minor version (EKS user guide, kube-proxy).
        proxy = self.addons["kube-proxy"]
        if not proxy.startswith(f"v{self.kubernetes_version}."):
            raise _KeyedError(
                ("addons", "kube-proxy"),
                f"{proxy} does not match kubernetesVersion {self.kubernetes_version}",
            )
        return self

    @model_validator(mode="after")
    def _role_rules(self) -> RegionConfig:
        if self.role == "standby":
            if self.pods != 0:
                raise _KeyedError(
                    ("pods",), f"a standby region runs 0 pods until failover, not {self.pods}"
                )
            if self.hpa is not None:
                raise _KeyedError(("hpa",), "a standby region has no HPA (it would scale pods up)")
            for block in ("database", "cache"):
                if getattr(self, block) is not None:
                    raise _KeyedError(
                        (to_camel(block),),
                        f"a standby region takes its {block} size from its primary; remove it",
                    )
            return self
        for block in ("database", "cache"):
            if getattr(self, block) is None:
                raise _KeyedError((to_camel(block),), "a primary region needs this block")
        if self.pods < 1:
            raise _KeyedError(("pods",), "a primary region serves traffic: at least 1 pod")
        if self.hpa and not self.hpa.allows(self.pods):
            raise _KeyedError(
                ("pods",), f"{self.pods} lies outside the HPA range {self.hpa.range_text}"
            )
        return self


class DrPairConfig(_Model):
    """A primary region's data kept in a standby region, and the recovery targets for it."""

    primary: AwsRegionName
    standby: AwsRegionName
    rto_minutes: float = Field(gt=0)
    rpo_minutes: float = Field(gt=0)
    # How the primary's PostgreSQL reaches the standby: an RDS cross-region read replica, or an
    # Aurora PostgreSQL Global Database (primary cluster here, secondary cluster there).
    database: Literal["rds", "aurora-global"] = "rds"
    # The primary's health-check interval; None keeps dns.healthCheck.intervalSeconds.
    health_check_interval_seconds: Literal[10, 30] | None = None
    # erlmcp pods kept running in the standby release before any failover (0 = cold pods).
    standby_pods: int = Field(default=0, ge=0, le=MAX_PODS_PER_REGION)
    # Which copies of the primary's database are current: each completed failback starts a new
    # generation (new database names, so the old copies are never replaced in place).
    generation: int = Field(default=1, ge=1)
    # Earlier generations whose (stale, unreplicated) databases the stack keeps, protected.
    retired_generations: list[int] = Field(default_factory=list)
    # Generations that began as a point-in-time restore of the one before, and the time each
    # was restored to (regions/config/restore.py).
    restored_generations: dict[int, RestoreTime] = Field(default_factory=dict)
    # Its ARC Region switch plan's trigger and interlocks (regions/config/auto_failover.py).
    auto_failover: AutoFailoverConfig = AutoFailoverConfig()

    @model_validator(mode="after")
    def _distinct(self) -> DrPairConfig:
        if self.primary == self.standby:
            raise _KeyedError(("standby",), f"a region cannot stand by for itself ({self.primary})")
        for index, retired in enumerate(self.retired_generations):
            if not 1 <= retired < self.generation:
                raise _KeyedError(
                    ("retiredGenerations", index),
                    f"{retired} is not an earlier generation than the current {self.generation}",
                )
            if retired in self.retired_generations[:index]:
                raise _KeyedError(("retiredGenerations", index), f"{retired} is listed twice")
        check_restored_generations(self)
        return self

    @property
    def name(self) -> str:
        return f"{self.primary}-to-{self.standby}"
