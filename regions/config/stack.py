"""The whole stack's config and the rules that span its regions (pairs, capacity, failover)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from regions.config.auto_failover import FailoverBy, check_auto_failover, check_failover_by
from regions.config.backups import BackupsConfig
from regions.config.dns import DnsConfig
from regions.config.observability import ObservabilityConfig, PagerEndpoints
from regions.config.region import DrPairConfig, RegionConfig
from regions.config.release import ReleaseConfig, RolloutConfig, _check_rollout
from regions.config.restore import RestoreConfig, check_restore
from regions.config.secrets import SecretsConfig, check_secrets
from regions.config.values import (
    EXAMPLE_ACCOUNT_ID,
    MAX_PODS_PER_REGION,
    AwsRegionName,
    DrStage,
    FailbackStage,
    PublicAccessCidr,
    _api_access_bounded,
    _is_documentation,
    _KeyedError,
    _Model,
)
from regions.names import CACHE_GROUP_ID_LIMIT, standby_cache_group_id


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
    # Primaries whose data is being restored to a point in time (regions/config/restore.py).
    restore: dict[AwsRegionName, RestoreConfig] = Field(default_factory=dict)
    # Who promoted each failed-over primary's standby (regions/config/auto_failover.py).
    failover_by: dict[AwsRegionName, FailoverBy] = Field(default_factory=dict)
    backups: BackupsConfig
    rollout: RolloutConfig | None = None
    observability: ObservabilityConfig = ObservabilityConfig()
    # Secret config only (loading.py refuses it in plaintext); `pulumi up` refuses a stack
    # without one: nobody would be paged.
    pager_endpoints: PagerEndpoints | None = None
    # Generated secrets by generation, and a rotation in progress (regions/config/secrets.py).
    secrets: SecretsConfig = SecretsConfig()

    @model_validator(mode="after")
    def _topology(self) -> StackConfig:
        if self.home_region not in self.regions:
            raise _KeyedError(("homeRegion",), f"{self.home_region} is not under 'regions'")
        _check_derived_names(self.environment, self.regions)
        _check_cidrs_disjoint(self.regions)
        _check_zones(self.regions)
        _check_pairs(self.regions, self.dr_pairs)
        _check_capacity(self.regions, self.dr_pairs)
        _check_every_serving_region_has_a_standby(self.regions, self.dr_pairs, self.no_standby)
        _check_failover(self.dr_pairs, self.failover)
        _check_failback(self.failover, self.failback)
        check_restore(self)
        check_auto_failover(self.regions, self.dr_pairs)
        check_failover_by(self.dr_pairs, self.failover, self.failback, self.failover_by)
        _check_rollout(self.regions, self.release, self.rollout)
        check_secrets(self.secrets, self.regions, self.dr_pairs, self.rollout is not None)
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
        if self.pager_endpoints is None:
            found.append(
                "pagerEndpoints: no pager endpoint, nobody would be paged; set one as secret "
                "config: `pulumi config set --secret --path 'pagerEndpoints.page.pagerduty' https://...`"
            )
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

    def promoted_by_region_switch(self, pair: DrPairConfig) -> bool:
        """The pair's standby was promoted by its Region switch plan, not by config."""
        return self.failed_over(pair) and self.failover_by.get(pair.primary) == "region-switch"

    def pair_for_standby(self, region: str) -> DrPairConfig | None:
        return next((p for p in self.dr_pairs if p.standby == region), None)


def _check_derived_names(environment: str, regions: Mapping[str, RegionConfig]) -> None:
    """The longest limited identifier derived from the environment is a standby's Redis group
    id; any region may come to hold one (a new DR pair), so every region must leave room."""
    for region in sorted(regions):
        group_id = standby_cache_group_id(environment, region)
        if len(group_id) > CACHE_GROUP_ID_LIMIT:
            room = len(environment) - (len(group_id) - CACHE_GROUP_ID_LIMIT)
            raise _KeyedError(
                ("environment",),
                f"{environment!r} makes {region}'s Redis replication group id {group_id!r} "
                f"{len(group_id)} characters; ElastiCache allows {CACHE_GROUP_ID_LIMIT} "
                f"(terraform-provider-aws elasticache/replication_group.go:1172): use at most "
                f"{room} characters",
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
