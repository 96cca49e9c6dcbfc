"""The stack configuration of erlmcp's topology: one pydantic model, parsed and checked once.

`Pulumi.<stack>.yaml` holds the whole topology under the project namespace. `load_stack_config`
turns it into a `StackConfig` or stops the program with a `pulumi.RunError` that names every bad
key by its path (`erlmcp-infra:regions.us-east-1.pods`) and the reason, before anything is created.
"""

from __future__ import annotations

import ipaddress
import json
import re
import typing
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal

import pulumi
from pulumi.runtime import config as pulumi_config
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.mocks import MockMonitor
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from regions.aws_regions import why_not_deployable

PROJECT = "erlmcp-infra"

# Runbook §2.3 limits, §1.4 minimum versions.
MAX_PODS_PER_REGION = 100
MAX_POD_CPU = Decimal(4)
MAX_POD_MEMORY_BYTES = 8 * 1024**3
MIN_KUBERNETES = (1, 28)
MIN_POSTGRES_MAJOR = 15
MIN_REDIS_MAJOR = 7

# The failback stages, in order (README "Failback by config").
FailbackStage = Literal["resync", "drain", "cutover"]
DrStage = Literal["normal", "failover", "resync", "drain", "cutover"]


class ConfigError(Exception):
    """Bad stack configuration; the message names each key path and reason."""


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


# --- value checks -----------------------------------------------------------------------------

_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")
_BINARY = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4}
_DECIMAL = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


def parse_cpu(quantity: str) -> Decimal:
    """Kubernetes CPU quantity ("500m", "2") in cores."""
    found = _QUANTITY.match(quantity)
    if not found or found.group(2) not in (None, "m"):
        raise ValueError(f"{quantity!r} is not a CPU quantity such as '500m' or '2'")
    value = Decimal(found.group(1))
    return value / 1000 if found.group(2) == "m" else value


def parse_memory(quantity: str) -> int:
    """Kubernetes memory quantity ("512Mi", "8Gi") in bytes."""
    found = _QUANTITY.match(quantity)
    if not found or found.group(2) == "m":
        raise ValueError(f"{quantity!r} is not a memory quantity such as '512Mi' or '8Gi'")
    unit = found.group(2) or ""
    factor = _BINARY.get(unit) or _DECIMAL.get(unit) or 1
    return int(Decimal(found.group(1)) * factor)


def _version_tuple(version: str) -> tuple[int, ...]:
    if not re.fullmatch(r"\d+(\.\d+)*", version):
        raise ValueError(f"{version!r} is not a version such as '1.33'")
    return tuple(int(part) for part in version.split("."))


def _at_least(minimum: tuple[int, ...], what: str):
    def check(version: str) -> str:
        if _version_tuple(version)[: len(minimum)] < minimum:
            wanted = ".".join(map(str, minimum))
            raise ValueError(f"{what} {version} is below the supported minimum {wanted}")
        return version

    return check


def _cpu(quantity: str) -> str:
    parse_cpu(quantity)
    return quantity


def _memory(quantity: str) -> str:
    parse_memory(quantity)
    return quantity


def _aws_region(name: str) -> str:
    reason = why_not_deployable(name)
    if reason:
        raise ValueError(reason)
    return name


def _cidr(value: str) -> str:
    network = ipaddress.ip_network(value, strict=True)
    if network.version != 4:
        raise ValueError(f"{value} is not an IPv4 network")
    return str(network)


def _vpc_cidr(value: str) -> str:
    network = ipaddress.ip_network(_cidr(value))
    if not network.is_private:
        raise ValueError(f"{value} is not a private (RFC 1918) range")
    if not 16 <= network.prefixlen <= 20:
        raise ValueError(f"{value}: a VPC range must be between /16 and /20")
    return value


# The most addresses the EKS API allowlist may open, all ranges together: one /8. VPN and CI
# egress ranges are /32 to /24; anything near this size is the internet with extra steps.
MAX_API_ACCESS_ADDRESSES = 2**24


# RFC 5737's documentation ranges: nobody's address, so a stack listing one locks its deployer
# out of every cluster. The shipped stack file carries one as a placeholder (see `placeholders`).
DOCUMENTATION_RANGES = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)
# AWS's own documentation account id, the shipped stack file's placeholder.
EXAMPLE_ACCOUNT_ID = "123456789012"


def _is_documentation(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    return any(network.subnet_of(doc) for doc in DOCUMENTATION_RANGES)  # type: ignore[arg-type]


def _public_access_cidr(value: str) -> str:
    network = ipaddress.ip_network(_cidr(value))
    if network.prefixlen == 0:
        raise ValueError("0.0.0.0/0 would open the Kubernetes API to the whole internet")
    if not network.is_global and not _is_documentation(network):
        # The public endpoint only ever sees public source addresses (a VPN's or NAT's egress).
        raise ValueError(
            f"{value} is not a public range: the EKS public endpoint sees your egress address, "
            "never a private one (use the VPN's or CI's public egress)"
        )
    return value


def _api_access_bounded(cidrs: list[str]) -> list[str]:
    networks = list(ipaddress.collapse_addresses(ipaddress.ip_network(c) for c in cidrs))
    opened = sum(n.num_addresses for n in networks)
    if opened > MAX_API_ACCESS_ADDRESSES:
        raise ValueError(
            f"together these ranges open the Kubernetes API to {opened:,} addresses "
            f"({', '.join(map(str, networks))}); at most {MAX_API_ACCESS_ADDRESSES:,} (one /8) "
            "are allowed: list your VPN and CI egress ranges"
        )
    return cidrs


def _image_repository(image: str) -> str:
    """`release.image` is a repository; the tag comes from `release.version`."""
    repository = image.split("@", 1)[0]
    if ":" in repository.rsplit("/", 1)[-1]:  # a registry port ("host:5000/x") is not a tag
        repository = repository.rsplit(":", 1)[0]
    if repository != image:
        raise ValueError(
            f"{image!r} already names a tag or digest; give the repository only "
            f"({repository}) and the tag as release.version"
        )
    return image


KubernetesVersion = Annotated[str, AfterValidator(_at_least(MIN_KUBERNETES, "Kubernetes"))]
PostgresVersion = Annotated[str, AfterValidator(_at_least((MIN_POSTGRES_MAJOR,), "PostgreSQL"))]
RedisVersion = Annotated[str, AfterValidator(_at_least((MIN_REDIS_MAJOR,), "Redis"))]
CpuQuantity = Annotated[str, AfterValidator(_cpu)]
MemoryQuantity = Annotated[str, AfterValidator(_memory)]
AwsRegionName = Annotated[str, AfterValidator(_aws_region)]
VpcCidr = Annotated[str, AfterValidator(_vpc_cidr)]
PublicAccessCidr = Annotated[str, AfterValidator(_public_access_cidr)]
TimeWindow = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")]
# An availability zone's name (`us-east-1a`); its region is checked against the region's key.
ZoneName = Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d[a-z]$")]
# Three zones: the network's subnet layout holds three (components/network.py).
ZONES_PER_REGION = 3


class _KeyedError(ValueError):
    """A cross-field rule broken at a key path, relative to the model that raised it."""

    def __init__(self, path: tuple[str | int, ...], reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


# --- the model --------------------------------------------------------------------------------


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
    runs while a region is down (README "Failover while a region is down")."""
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
        if self.hpa and not self.hpa.min_replicas <= self.pods <= self.hpa.max_replicas:
            raise _KeyedError(
                ("pods",),
                f"{self.pods} lies outside the HPA range "
                f"{self.hpa.min_replicas}..{self.hpa.max_replicas}",
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
        return self

    @property
    def name(self) -> str:
        return f"{self.primary}-to-{self.standby}"


class HealthCheckConfig(_Model):
    port: int = Field(default=443, ge=1, le=65535)
    path: str = Field(default="/health", pattern=r"^/")
    interval_seconds: Literal[10, 30] = 30
    failure_threshold: int = Field(default=3, ge=1, le=10)


class DnsConfig(_Model):
    zone_id: str | None = Field(default=None, pattern=r"^Z[A-Z0-9]+$")
    delegated: bool = True
    """Whether the domain's registrar points at the hosted zone's name servers. False is the
    first stage of a fresh account: only the zone is built (and its name servers exported),
    because every certificate waits for DNS validation through it (75 minutes, then the update
    fails: terraform-provider-aws internal/service/acm/certificate_validation.go, Create
    timeout) and everything that needs a certificate waits with it (README "First deployment")."""
    health_check: HealthCheckConfig = HealthCheckConfig()

    @model_validator(mode="after")
    def _existing_zone_is_delegated(self) -> DnsConfig:
        if self.zone_id is not None and not self.delegated:
            raise _KeyedError(
                ("delegated",),
                "an existing zone (zoneId) is already delegated; the zone-only stage is for a "
                "zone this stack creates",
            )
        return self


class ReleaseConfig(_Model):
    image: Annotated[str, AfterValidator(_image_repository)] = Field(pattern=r"^[a-z0-9.\-/:@]+$")
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    # version -> the manifest digest the registry serves for `<image>:<version>`. A tag can be
    # pushed again; a digest cannot, so every node runs the bytes that were reviewed.
    image_digests: dict[str, Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]] = Field(
        min_length=1
    )
    namespace: str = Field(default="erlmcp-prod", pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    log_level: Literal["debug", "info", "notice", "warning", "error"] = "info"
    otel_endpoint: str = "http://otel-collector.observability:4317"
    database_name: str = Field(default="erlmcp", pattern=r"^[a-z][a-z0-9_]*$")
    database_user: str = Field(default="erlmcp", pattern=r"^[a-z][a-z0-9_]*$")
    min_ready_seconds: int = Field(default=30, ge=0, le=3600)
    """A new pod counts as available only after being Ready this long (StatefulSet field): a
    pod that crashes soon after its first Ready stops the roll before the next pod."""
    ready_timeout_minutes: int = Field(default=10, ge=1, le=120)
    """How long `pulumi up` waits for a release's updated pods to be Ready before it fails."""

    @field_validator("version")
    @classmethod
    def _pinned(cls, version: str) -> str:
        if version == "latest":
            raise ValueError("pin a release version; 'latest' makes rollouts unreproducible")
        return version

    @model_validator(mode="after")
    def _version_has_digest(self) -> ReleaseConfig:
        if self.version not in self.image_digests:
            raise _KeyedError(
                ("imageDigests",),
                f"no digest for version {self.version!r}: add `{self.version}: sha256:<digest>` "
                f"(the digest of {self.image}:{self.version}, e.g. from `crane digest` or "
                "`docker buildx imagetools inspect`)",
            )
        return self


class ObjectRetention(_Model):
    expire_days: int = Field(ge=1)
    noncurrent_expire_days: int | None = Field(default=None, ge=1)
    glacier_after_days: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _glacier_minimum(self) -> ObjectRetention:
        # Glacier classes bill a 90-day minimum; moving objects that expire sooner costs more.
        if self.glacier_after_days is not None and (
            self.expire_days - self.glacier_after_days < 90
        ):
            raise _KeyedError(
                ("glacierAfterDays",),
                f"{self.glacier_after_days} leaves less than Glacier's 90-day minimum storage "
                f"before expireDays {self.expire_days}",
            )
        return self


class DatabaseBackups(_Model):
    """RDS automated backups: a daily snapshot in `window` plus point-in-time recovery."""

    window: TimeWindow = "02:00-02:30"
    retention_days: int = Field(default=30, ge=7, le=35)


class CacheSnapshots(_Model):
    window: TimeWindow = "03:00-04:00"
    retention_days: int = Field(default=7, ge=1, le=35)


class AccessLogRetention(_Model):
    """S3 server access logs of the backup buckets (components/access_logs.py)."""

    expire_days: int = Field(default=90, ge=1, le=3650)


class VaultLockConfig(_Model):
    """Backup Vault Lock in compliance mode (components/aws_backup.py)."""

    min_retention_days: int = Field(default=7, ge=1)
    max_retention_days: int = Field(default=365, ge=1)
    # AWS Backup's 72-hour cooling-off: the lock cannot become immutable sooner.
    changeable_for_days: int = Field(default=3, ge=3)


class BackupVaultConfig(_Model):
    """Daily AWS Backup recovery points of the databases, copied to the DR partner's vault."""

    start_hour_utc: int = Field(default=5, ge=0, le=23)
    retention_days: int = Field(default=35, ge=1)
    lock: VaultLockConfig = VaultLockConfig()

    @model_validator(mode="after")
    def _retention_within_lock(self) -> BackupVaultConfig:
        lock = self.lock
        if lock.min_retention_days > lock.max_retention_days:
            raise _KeyedError(
                ("lock", "minRetentionDays"),
                f"{lock.min_retention_days} is above maxRetentionDays {lock.max_retention_days}",
            )
        if not lock.min_retention_days <= self.retention_days <= lock.max_retention_days:
            raise _KeyedError(
                ("retentionDays",),
                f"{self.retention_days} is outside the vault lock's "
                f"{lock.min_retention_days}..{lock.max_retention_days} days; every backup job "
                "into the locked vault would fail",
            )
        return self


class RolloutConfig(_Model):
    """A new erlmcp version going region by region (README "Rolling out a new version"):
    regions of the waves before `wave` run `version`; the regions of `wave` run it on
    `canaryPods` pods (their highest ordinals), or on every pod when that is 0; later waves keep
    `release.version`. Rollback is the previous config, applied by a plain `pulumi up`."""

    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    waves: list[Annotated[list[AwsRegionName], Field(min_length=1)]] = Field(min_length=1)
    wave: int = Field(ge=1)
    canary_pods: int = Field(default=0, ge=0)
    soak_minutes: float = Field(default=15, ge=0)
    """How long the driver (`python -m rollout`) watches a step's health before the next."""

    @model_validator(mode="after")
    def _waves(self) -> RolloutConfig:
        if self.wave > len(self.waves):
            raise _KeyedError(("wave",), f"there are {len(self.waves)} waves, not {self.wave}")
        seen: set[str] = set()
        for index, wave in enumerate(self.waves):
            for region in wave:
                if region in seen:
                    raise _KeyedError(("waves", index), f"{region} is in two waves")
                seen.add(region)
        return self

    def wave_of(self, region: str) -> int | None:
        """The 1-based wave a region is in."""
        return next((i + 1 for i, wave in enumerate(self.waves) if region in wave), None)


class BackupsConfig(_Model):
    database: DatabaseBackups = DatabaseBackups()
    vault: BackupVaultConfig = BackupVaultConfig()
    access_logs: AccessLogRetention = AccessLogRetention()
    cache_snapshots: CacheSnapshots = CacheSnapshots()
    objects: dict[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")], ObjectRetention] = Field(
        min_length=1
    )
    replication_time_control: bool = True


class StackConfig(_Model):
    """Everything under the project's namespace in `Pulumi.<stack>.yaml`."""

    environment: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    account_id: str = Field(pattern=r"^\d{12}$")
    """The AWS account every provider is allowed to touch; given, not looked up through STS."""
    domain: str = Field(pattern=r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
    home_region: AwsRegionName
    """The region whose certificate owns the apex's ACM validation record; keep it stable."""
    api_access_cidrs: Annotated[list[PublicAccessCidr], AfterValidator(_api_access_bounded)] = (
        Field(min_length=1)
    )
    tags: dict[str, str] = Field(default_factory=dict)
    dns: DnsConfig = DnsConfig()
    release: ReleaseConfig
    regions: dict[AwsRegionName, RegionConfig] = Field(min_length=1)
    dr_pairs: list[DrPairConfig] = Field(default_factory=list)
    # Serving regions knowingly left without a standby, each with the reason.
    no_standby: dict[AwsRegionName, Annotated[str, Field(min_length=10)]] = Field(
        default_factory=dict
    )
    # Failed-over primaries: primary region -> the standby region now serving its traffic.
    failover: dict[AwsRegionName, AwsRegionName] = Field(default_factory=dict)
    # Failed-over primaries on their way back: primary region -> failback stage (README).
    failback: dict[AwsRegionName, FailbackStage] = Field(default_factory=dict)
    backups: BackupsConfig
    rollout: RolloutConfig | None = None

    @model_validator(mode="after")
    def _topology(self) -> StackConfig:
        if self.home_region not in self.regions:
            raise _KeyedError(("homeRegion",), f"{self.home_region} is not under 'regions'")
        _check_cidrs_disjoint(self.regions)
        _check_zones(self.regions)
        _check_pairs(self.regions, self.dr_pairs)
        _check_capacity(self.regions, self.dr_pairs)
        _check_every_serving_region_has_a_standby(self.regions, self.dr_pairs, self.no_standby)
        _check_failover(self.dr_pairs, self.failover)
        _check_failback(self.failover, self.failback)
        _check_rollout(self.regions, self.release, self.rollout)
        return self

    def placeholders(self) -> list[str]:
        """Values that stand for the operator's own and must be replaced before `pulumi up`: the
        shipped stack file renders offline with them, a real update refuses them."""
        found = [
            f"apiAccessCidrs: {cidr} is a documentation range (RFC 5737): nobody could reach "
            "the clusters; list your VPN and CI egress ranges"
            for cidr in self.api_access_cidrs
            if _is_documentation(ipaddress.ip_network(cidr))
        ]
        if self.account_id == EXAMPLE_ACCOUNT_ID:
            found.append(
                f"accountId: {EXAMPLE_ACCOUNT_ID} is AWS's documentation account; set yours "
                "(`aws sts get-caller-identity --query Account`)"
            )
        return found

    def pair_of_primary(self, region: str) -> DrPairConfig | None:
        return next((p for p in self.dr_pairs if p.primary == region), None)

    def failed_over(self, pair: DrPairConfig) -> bool:
        return self.failover.get(pair.primary) == pair.standby

    def dr_stage(self, pair: DrPairConfig | None) -> DrStage:
        """Where the pair is in the failover and failback sequence (no pair: "normal")."""
        if pair is None or not self.failed_over(pair):
            return "normal"
        return self.failback.get(pair.primary, "failover")

    def pair_for_standby(self, region: str) -> DrPairConfig | None:
        return next((p for p in self.dr_pairs if p.standby == region), None)


def _check_rollout(
    regions: Mapping[str, RegionConfig], release: ReleaseConfig, rollout: RolloutConfig | None
) -> None:
    if rollout is None:
        return
    if rollout.version == release.version:
        raise _KeyedError(("rollout", "version"), f"the fleet already runs {release.version}")
    if rollout.version not in release.image_digests:
        raise _KeyedError(
            ("rollout", "version"),
            f"release.imageDigests has no digest for {rollout.version} (README 'Image digests')",
        )
    for index, wave in enumerate(rollout.waves):
        for region in wave:
            if region not in regions:
                raise _KeyedError(("rollout", "waves", index), f"{region} is not under 'regions'")
            if not regions[region].serving:
                raise _KeyedError(
                    ("rollout", "waves", index),
                    f"{region} is a standby: its standby releases follow their primaries",
                )
    missing = sorted(
        set(r for r, c in regions.items() if c.serving)
        - {region for wave in rollout.waves for region in wave}
    )
    if missing:
        raise _KeyedError(("rollout", "waves"), f"{', '.join(missing)} in no wave")
    for region in rollout.waves[rollout.wave - 1]:
        pods = regions[region].pods
        if rollout.canary_pods and rollout.canary_pods * 2 > pods:
            raise _KeyedError(
                ("rollout", "canaryPods"),
                f"{rollout.canary_pods} of {region}'s {pods} pods is more than half a region",
            )


def _check_zones(regions: Mapping[str, RegionConfig]) -> None:
    for name, region in regions.items():
        path = ("regions", name, "availabilityZones")
        strangers = [z for z in region.availability_zones if z[:-1] != name]
        if strangers:
            raise _KeyedError(path, f"{', '.join(strangers)} not in {name}")
        if len(set(region.availability_zones)) != len(region.availability_zones):
            raise _KeyedError(path, "names a zone twice")


def _check_cidrs_disjoint(regions: Mapping[str, RegionConfig]) -> None:
    # File order: the region written later is the one whose range is new, so it gets the error.
    names = list(regions)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            a = ipaddress.ip_network(regions[first].vpc_cidr)
            b = ipaddress.ip_network(regions[second].vpc_cidr)
            if a.overlaps(b):
                raise _KeyedError(
                    ("regions", second, "vpcCidr"),
                    f"{b} overlaps regions.{first}.vpcCidr ({a}); peered or replicated VPCs "
                    "need distinct ranges",
                )


def _check_pairs(regions: Mapping[str, RegionConfig], pairs: list[DrPairConfig]) -> None:
    standby_of: dict[str, str] = {}
    for index, pair in enumerate(pairs):
        where = ("drPairs", index)
        for side in ("primary", "standby"):
            region = getattr(pair, side)
            if region not in regions:
                raise _KeyedError((*where, side), f"{region} is not a region under 'regions'")
        if regions[pair.primary].role != "primary":
            raise _KeyedError(
                (*where, "primary"),
                f"{pair.primary} has role standby; only a primary region has data to protect",
            )
        if pair.standby in standby_of:
            raise _KeyedError(
                (*where, "standby"),
                f"{pair.standby} already stands by for {standby_of[pair.standby]}; "
                "a standby serves one primary only",
            )
        standby_of[pair.standby] = pair.primary
        if any(p.primary == pair.primary for p in pairs[:index]):
            raise _KeyedError((*where, "primary"), f"{pair.primary} already has a standby region")
    for name, region in sorted(regions.items()):
        if region.role == "standby" and name not in standby_of:
            raise _KeyedError(
                ("regions", name, "role"),
                f"{name} is a standby region but no drPairs entry names it as standby",
            )


def _check_capacity(regions: Mapping[str, RegionConfig], pairs: list[DrPairConfig]) -> None:
    """A standby must be able to run its primary's pods on top of its own."""
    for index, pair in enumerate(pairs):
        primary, standby = regions[pair.primary], regions[pair.standby]
        if pair.standby_pods > primary.max_pods:
            raise _KeyedError(
                ("drPairs", index, "standbyPods"),
                f"{pair.standby_pods} warm pods exceed {pair.primary}'s maximum {primary.max_pods}",
            )
        total = standby.max_pods + primary.max_pods
        if total > MAX_PODS_PER_REGION:
            raise _KeyedError(
                ("drPairs", index, "standby"),
                f"{pair.standby} could have to run {standby.max_pods} pods of its own plus "
                f"{primary.max_pods} of {pair.primary} = {total}, above {MAX_PODS_PER_REGION} "
                "per region",
            )


def _check_every_serving_region_has_a_standby(
    regions: Mapping[str, RegionConfig], pairs: list[DrPairConfig], no_standby: Mapping[str, str]
) -> None:
    protected = {p.primary for p in pairs}
    for name in sorted(no_standby):
        if name not in regions or not regions[name].serving:
            raise _KeyedError(("noStandby", name), f"{name} is not a serving region")
        if name in protected:
            raise _KeyedError(("noStandby", name), f"{name} has a standby in drPairs")
    for name, region in sorted(regions.items()):
        if region.serving and name not in protected and name not in no_standby:
            raise _KeyedError(
                ("regions", name),
                f"{name} serves traffic but its data has no standby: add a drPairs entry, or "
                "list it under noStandby with the reason",
            )


def _check_failover(pairs: list[DrPairConfig], failover: Mapping[str, str]) -> None:
    standby_of = {p.primary: p.standby for p in pairs}
    for primary, standby in sorted(failover.items()):
        if primary not in standby_of:
            raise _KeyedError(("failover", primary), f"{primary} is not the primary of a drPair")
        if standby_of[primary] != standby:
            raise _KeyedError(
                ("failover", primary),
                f"{primary} fails over to its standby {standby_of[primary]}, not {standby}",
            )
        if failover.get(standby) == primary:
            raise _KeyedError(
                ("failover", primary), f"{primary} and {standby} cannot fail over to each other"
            )


def _check_failback(failover: Mapping[str, str], failback: Mapping[str, str]) -> None:
    for primary, stage in sorted(failback.items()):
        if primary not in failover:
            raise _KeyedError(
                ("failback", primary),
                f"{primary} is not failed over: failback ({stage}) follows a 'failover' entry",
            )


# --- loading ----------------------------------------------------------------------------------


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _apply_region_defaults(raw: dict[str, Any]) -> dict[str, Any]:
    """`regionDefaults` fills in what a region does not set (deep merge, region wins)."""
    defaults = raw.pop("regionDefaults", None) or {}
    regions = raw.get("regions")
    if isinstance(defaults, Mapping) and isinstance(regions, Mapping):
        raw["regions"] = {
            name: _deep_merge(defaults, region) if isinstance(region, Mapping) else region
            for name, region in regions.items()
        }
    return raw


def _format_path(project: str, path: tuple[str | int, ...]) -> str:
    text = ""
    # pydantic marks an error in a mapping's key with a "[key]" step after the key itself.
    for part in (p for p in path if p != "[key]"):
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return f"{project}:{text}" if text else project


# What each pattern in the model means, so an error says that instead of printing the regex.
PATTERN_MEANING = {
    r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$": "a UTC time window like 02:00-02:30",
    r"^[a-z]{2}(-[a-z]+)+-\d[a-z]$": "an availability zone name like us-east-1a",
    r"^\d{12}$": "a 12-digit AWS account id (quote it in YAML)",
    r"^v\d+\.\d+\.\d+-eksbuild\.\d+$": "an EKS add-on version like v1.20.1-eksbuild.3",
    r"^db\.[a-z0-9]+\.[a-z0-9]+$": "an RDS instance class like db.r6g.large",
    r"^cache\.[a-z0-9]+\.[a-z0-9]+$": "an ElastiCache node type like cache.r6g.large",
    r"^/": "a path starting with /",
    r"^Z[A-Z0-9]+$": "a Route 53 hosted zone id like Z0123456789ABC",
    r"^[a-z0-9.\-/:@]+$": "an image repository like ghcr.io/owner/name (lowercase)",
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$": "a version tag like 3.0.0",
    r"^sha256:[0-9a-f]{64}$": "an image digest: sha256: and 64 lowercase hex digits",
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$": "a Kubernetes name (lowercase letters, digits, '-')",
    r"^[a-z][a-z0-9_]*$": "a PostgreSQL name (lowercase letters, digits, '_')",
    r"^[a-z0-9][a-z0-9-]*$": "a name of lowercase letters, digits and '-'",
    r"^[a-z][a-z0-9-]*$": "a name of lowercase letters, digits and '-', starting with a letter",
    r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$": "a DNS domain name like erlmcp.io",
}

UNKNOWN_KEY = "unknown key (typo?); it would be silently ignored"

# Config namespaces a stack file may use besides the project's own: the engine's.
KNOWN_NAMESPACES = ("pulumi",)
# Provider packages the program uses. Their config keys (`aws:region`, `aws:profile`) configure
# only default providers, which this stack disables: every provider is explicit
# (regions/providers.py) and would silently ignore them.
PROVIDER_NAMESPACES = ("aws", "kubernetes", "random")
DISABLE_DEFAULT_PROVIDERS = "pulumi:disable-default-providers"


def _message(item: Any) -> str:
    if item["type"] == "extra_forbidden":
        return UNKNOWN_KEY
    if item["type"] == "string_pattern_mismatch":
        pattern = item.get("ctx", {}).get("pattern", "")
        meaning = PATTERN_MEANING.get(pattern, f"the form {pattern}")
        return f"{item['input']!r} is not {meaning}"
    return item["msg"].removeprefix("Value error, ")


def parse_stack_config(raw: Mapping[str, Any], project: str = PROJECT) -> StackConfig:
    """Validate the project's config values (keys without the namespace) into a StackConfig."""
    raw = dict(raw)
    problems = _unknown_default_keys(raw, project)
    try:
        config = StackConfig.model_validate(_apply_region_defaults(raw))
    except ValidationError as error:
        for item in error.errors():
            cause = item.get("ctx", {}).get("error")
            if isinstance(cause, _KeyedError):
                path = (*item["loc"], *cause.path)
                problems.append(f"{_format_path(project, path)}: {cause.reason}")
                continue
            problems.append(f"{_format_path(project, tuple(item['loc']))}: {_message(item)}")
    if problems:
        raise ConfigError("\n".join(problems))
    return config


def _unknown_default_keys(raw: dict[str, Any], project: str) -> list[str]:
    """Unknown keys under `regionDefaults`, named once where they are written (not once per
    region they would be merged into), and taken out before the merge."""
    defaults = raw.get("regionDefaults")
    if not isinstance(defaults, Mapping):
        return []
    problems: list[str] = []
    raw["regionDefaults"] = _known_keys(
        RegionConfig, defaults, ("regionDefaults",), problems, project
    )
    return problems


def _known_keys(
    model: type[BaseModel],
    values: Mapping[str, Any],
    path: tuple[str, ...],
    problems: list[str],
    project: str,
) -> dict[str, Any]:
    fields = {field.alias or name: field for name, field in model.model_fields.items()}
    kept: dict[str, Any] = {}
    for key, value in values.items():
        field = fields.get(key) or model.model_fields.get(key)
        if field is None:
            problems.append(f"{_format_path(project, (*path, key))}: {UNKNOWN_KEY}")
            continue
        nested = _model_of(field.annotation)
        if nested is not None and isinstance(value, Mapping):
            value = _known_keys(nested, value, (*path, key), problems, project)
        kept[key] = value
    return kept


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model a field holds (`X`, `X | None`), if any."""
    candidates = [annotation, *typing.get_args(annotation)]
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)


def _all_config() -> dict[str, Any]:
    """Every config value the engine handed the program, by full key (`namespace:key`)."""
    return {**pulumi_config.get_config_env(), **pulumi_config.CONFIG.get()}


def unknown_namespaces(keys: Iterable[str], project: str = PROJECT) -> list[str]:
    """Keys in a namespace nobody reads (`erlmcp-infr:tags`): Pulumi would keep them quietly and
    the program would run without them."""
    known = (project, *KNOWN_NAMESPACES)
    problems = []
    for key in sorted(keys):
        namespace = key.split(":", 1)[0]
        if namespace in PROVIDER_NAMESPACES:
            problems.append(
                f"{key}: no provider reads it; every provider is explicit "
                "(regions/providers.py), AWS credentials come from the environment "
                "(AWS_PROFILE, AWS_ACCESS_KEY_ID...); remove it"
            )
        elif namespace not in known:
            problems.append(
                f"{key}: unknown config namespace {namespace!r} (typo of {project!r}?); "
                f"only {', '.join(known)} are read"
            )
    return problems


def default_providers_left_on(values: Mapping[str, Any]) -> list[str]:
    """A stack must disable default providers, so that a resource created without an explicit
    provider fails at once instead of silently reaching us-east-1 through a default one."""
    disabled = _decode(values.get(DISABLE_DEFAULT_PROVIDERS, "[]"))
    if isinstance(disabled, list) and "*" in disabled:
        return []
    return [f'{DISABLE_DEFAULT_PROVIDERS}: must be ["*"] (every provider is explicit)']


def read_project_config(
    project: str = PROJECT, values: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """This project's config values (from `values`, by default everything the engine handed
    the program), without the namespace."""
    prefix = f"{project}:"
    return {
        key.removeprefix(prefix): _decode(value)
        for key, value in (_all_config() if values is None else values).items()
        if key.startswith(prefix)
    }


def _decode(value: Any) -> Any:
    # Structured config arrives as JSON text; plain strings ("1.33") must stay strings.
    if isinstance(value, str) and value[:1] in ("{", "["):
        return json.loads(value)
    return value


def load_stack_config(project: str = PROJECT) -> StackConfig:
    """Parse this stack's config or stop the program, naming each bad key, before any resource."""
    values = _all_config()
    problems = unknown_namespaces(values, project) + default_providers_left_on(values)
    try:
        config = parse_stack_config(read_project_config(project, values), project)
    except ConfigError as error:
        problems.append(str(error))
    if problems:
        raise pulumi.RunError("invalid stack configuration:\n" + "\n".join(problems))
    _refuse_placeholders_in_a_real_update(config)
    return config


def _refuse_placeholders_in_a_real_update(config: StackConfig) -> None:
    """A placeholder stops `pulumi up` before anything is registered; a preview, and a render
    under the SDK's mock runtime (`make plan`, the tests), only warn."""
    found = config.placeholders()
    if not found:
        return
    if _rendered_offline():
        return  # the offline plan lists them (plan.json `placeholders`, plan.md)
    if pulumi.runtime.is_dry_run():
        for placeholder in found:
            pulumi.log.warn(f"placeholder in the stack file: {placeholder}")
        return
    raise pulumi.RunError(
        "the stack file still holds placeholders; replace them before `pulumi up`:\n"
        + "\n".join(found)
    )


def _rendered_offline() -> bool:
    return isinstance(pulumi_settings.get_monitor(), MockMonitor)
