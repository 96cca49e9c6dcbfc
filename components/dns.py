"""Latency-routed DNS for a service that runs behind a Network Load Balancer in several regions.

Shape of the records, for a domain `example.com` and regions r1, r2, ...:

* `r1.example.com` A alias -> r1's NLB. Always present, also for standby regions, so that every
  region can be reached (and health-checked, and certified) by a stable name.
* one Route 53 HTTPS health check per region, against `r1.example.com` on the service's port and
  path (SNI on, so the NLB's certificate for that name is presented).
* `example.com` A alias, latency routed, one record per *serving* region (set identifier = the
  region), tied to that region's health check and also evaluating the NLB's own target health.

Why it is built this way (see the brief, "Facts from outside"):

* Route 53 record changes go through the us-east-1 control plane. Failover therefore never edits
  records: the records exist from the start and health checks decide what is answered. Latency
  routing skips an unhealthy region's record and answers with the next-nearest healthy one.
* A serving endpoint may name a `standby`: the load balancer of the release that holds its data in
  its DR region (for a region that also serves its own users, that is not the region's own
  release). It gets a name, `standby-r1.example.com`, and a health check of its own, and r1's
  latency record points at a failover pair (`failover-r1.example.com`: PRIMARY r1, SECONDARY the
  standby) instead of r1's NLB directly. When r1 fails and the standby has pods, its health check
  is green and traffic moves with no Route 53 API call. Such a latency record has no health check
  of its own (it would hide the secondary); it evaluates the pair's health.
* If every record of the latency set is unhealthy, Route 53 fails open and answers with all of
  them: a total outage still resolves.
* Detection time is about request_interval x failure_threshold (30 s x 3 ~ 90 s by default; 10 s
  intervals are possible at extra cost). Alias records to an NLB take the NLB's 60 s TTL.
* Names of children derive from the endpoint's region, never from its position in the list, so
  adding or removing a region leaves every other region's resources alone.
* The hosted zone is protected and never force-destroyed: deleting it would change the name
  servers that the registrar delegates to. DNSSEC signing and query logging are not set up here
  (DNSSEC needs a KMS key in us-east-1 and a DS record at the registrar; query logging needs a
  us-east-1 log group): both can be added beside the zone without changing these records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

# Where Route 53 runs health checkers (HealthCheck.regions valid values).
HEALTH_CHECKER_REGIONS = frozenset(
    {
        "us-east-1",
        "us-west-1",
        "us-west-2",
        "eu-west-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-northeast-1",
        "sa-east-1",
    }
)
MIN_HEALTH_CHECKER_REGIONS = 3


# ---------------------------------------------------------------------------------------------
# Hosted zone
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HostedZoneArgs:
    domain: str
    # Use a zone that already exists (e.g. one delegated by hand) instead of creating one.
    existing_zone_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = True

    def __post_init__(self) -> None:
        if not self.domain:
            raise ValueError("domain must be given")


class HostedZone(pulumi.ComponentResource):
    """A public hosted zone for `args.domain`, or a reference to an existing one."""

    zone: aws.route53.Zone | None
    zone_id: pulumi.Output[str]
    name_servers: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: HostedZoneArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp:components:HostedZone", name, None, opts)
        if args.existing_zone_id:
            self.zone = None
            self.zone_id = pulumi.Output.from_input(args.existing_zone_id)
            self.name_servers = pulumi.Output.from_input([])
        else:
            self.zone = aws.route53.Zone(
                f"{name}-zone",
                name=args.domain,
                comment=f"{args.domain} (managed by Pulumi)",
                force_destroy=False,
                tags={**args.tags, "Name": args.domain},
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            self.zone_id = self.zone.zone_id
            self.name_servers = self.zone.name_servers
        self.register_outputs({"zone_id": self.zone_id, "name_servers": self.name_servers})


# ---------------------------------------------------------------------------------------------
# Latency-routed records with health checks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StandbyTarget:
    """The load balancer that takes a region's traffic when the region fails."""

    hostname: pulumi.Input[str]
    load_balancer_zone_id: pulumi.Input[str]


@dataclass(frozen=True)
class HealthCheckSettings:
    port: int = 443
    path: str = "/health"
    request_interval: int = 30
    failure_threshold: int = 3
    # Latency graphs per checker region in CloudWatch; cannot be changed without replacement.
    measure_latency: bool = True
    # Health-checker regions; None = all of Route 53's (the AWS default).
    regions: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if self.request_interval not in (10, 30):
            raise ValueError(
                f"request_interval must be 10 or 30 seconds, not {self.request_interval}"
            )
        if not 1 <= self.failure_threshold <= 10:
            raise ValueError(f"failure_threshold must be 1-10, not {self.failure_threshold}")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port must be 1-65535, not {self.port}")
        if not self.path.startswith("/"):
            raise ValueError(f"path must start with '/', not {self.path!r}")
        if self.regions is not None:
            self._check_regions(self.regions)

    @staticmethod
    def _check_regions(regions: Sequence[str]) -> None:
        unknown = sorted(set(regions) - HEALTH_CHECKER_REGIONS)
        if unknown:
            raise ValueError(f"Route 53 has no health checkers in {unknown}")
        if len(set(regions)) < MIN_HEALTH_CHECKER_REGIONS:
            raise ValueError(
                f"health checks need at least {MIN_HEALTH_CHECKER_REGIONS} checker regions"
            )


@dataclass(frozen=True)
class RegionalEndpoint:
    region: str
    hostname: pulumi.Input[str]  # the NLB's DNS name
    load_balancer_zone_id: pulumi.Input[str]
    """The canonical hosted zone of Network Load Balancers in the region, for alias records."""
    serving: bool
    # Where this region's traffic goes when it fails (only for serving endpoints).
    standby: StandbyTarget | None = None
    # This endpoint's checks (its own and its standby's), when not the LatencyDns default.
    health_check: HealthCheckSettings | None = None


@dataclass(frozen=True)
class LatencyDnsArgs:
    domain: str
    zone_id: pulumi.Input[str]
    endpoints: Sequence[RegionalEndpoint]
    health_check: HealthCheckSettings = field(default_factory=HealthCheckSettings)
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.domain:
            raise ValueError("domain must be given")
        regions = [e.region for e in self.endpoints]
        duplicates = sorted({r for r in regions if regions.count(r) > 1})
        if duplicates:
            raise ValueError(f"endpoints share regions {duplicates}: one endpoint per region")
        if not any(e.serving for e in self.endpoints):
            raise ValueError("no endpoint is serving: the apex would have no records")
        for endpoint in self.endpoints:
            if endpoint.standby is not None and not endpoint.serving:
                raise ValueError(f"{endpoint.region} is not serving, so it cannot fail over")


def _alias(name: pulumi.Input[str], zone_id: pulumi.Input[str]) -> aws.route53.RecordAliasArgs:
    return aws.route53.RecordAliasArgs(name=name, zone_id=zone_id, evaluate_target_health=True)


class LatencyDns(pulumi.ComponentResource):
    """Health-checked, latency-routed records for `args.domain`, one set per regional endpoint."""

    health_checks: dict[str, aws.route53.HealthCheck]
    health_check_ids: dict[str, pulumi.Output[str]]
    regional_records: dict[str, aws.route53.Record]
    regional_fqdns: dict[str, str]
    apex_records: dict[str, aws.route53.Record]
    apex_record_names: dict[str, pulumi.Output[str]]
    standby_fqdns: dict[str, str]
    standby_health_checks: dict[str, aws.route53.HealthCheck]
    failover_records: dict[str, tuple[aws.route53.Record, aws.route53.Record]]

    def __init__(
        self, name: str, args: LatencyDnsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp:components:LatencyDns", name, None, opts)
        self._name = name
        self._args = args
        by_region = {e.region: e for e in args.endpoints}
        self.regional_fqdns = {r: f"{r}.{args.domain}" for r in by_region}
        self.health_checks = {
            r: self._health_check(f"{r}-health", self.regional_fqdns[r], e)
            for r, e in by_region.items()
        }
        self.health_check_ids = {r: check.id for r, check in self.health_checks.items()}
        self.regional_records = {
            r: self._alias_record(f"{r}-regional", self.regional_fqdns[r], e)
            for r, e in by_region.items()
        }
        self.standby_fqdns = {
            e.region: f"standby-{e.region}.{args.domain}" for e in args.endpoints if e.standby
        }
        self.standby_health_checks = {
            r: self._health_check(f"{r}-standby-health", fqdn, by_region[r])
            for r, fqdn in self.standby_fqdns.items()
        }
        self.failover_records = {r: self._failover_pair(by_region[r]) for r in self.standby_fqdns}
        self.apex_records = {e.region: self._apex_record(e) for e in args.endpoints if e.serving}
        self.apex_record_names = {r: rec.name for r, rec in self.apex_records.items()}
        self.register_outputs(
            {
                "health_check_ids": self.health_check_ids,
                "regional_fqdns": self.regional_fqdns,
                "apex_record_names": self.apex_record_names,
            }
        )

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _health_check(
        self, suffix: str, fqdn: str, endpoint: RegionalEndpoint
    ) -> aws.route53.HealthCheck:
        settings = endpoint.health_check or self._args.health_check
        return aws.route53.HealthCheck(
            f"{self._name}-{suffix}",
            type="HTTPS",
            fqdn=fqdn,
            port=settings.port,
            resource_path=settings.path,
            request_interval=settings.request_interval,
            failure_threshold=settings.failure_threshold,
            measure_latency=settings.measure_latency,
            regions=list(settings.regions) if settings.regions is not None else None,
            enable_sni=True,
            tags={**self._args.tags, "Name": fqdn},
            opts=self._child(),
        )

    def _alias_record(
        self, suffix: str, fqdn: str, target: RegionalEndpoint | StandbyTarget
    ) -> aws.route53.Record:
        return aws.route53.Record(
            f"{self._name}-{suffix}",
            zone_id=self._args.zone_id,
            name=fqdn,
            type="A",
            aliases=[_alias(target.hostname, target.load_balancer_zone_id)],
            opts=self._child(),
        )

    def _failover_name(self, region: str) -> str:
        return f"failover-{region}.{self._args.domain}"

    def _failover_pair(
        self, primary: RegionalEndpoint
    ) -> tuple[aws.route53.Record, aws.route53.Record]:
        """PRIMARY: the region's own NLB; SECONDARY: its standby, under its own name."""
        assert primary.standby is not None
        region = primary.region
        standby_name = self._alias_record(
            f"{region}-standby", self.standby_fqdns[region], primary.standby
        )
        targets = (
            (
                "PRIMARY",
                _alias(self.regional_fqdns[region], self._args.zone_id),
                self.health_check_ids[region],
                self.regional_records[region],
            ),
            (
                "SECONDARY",
                _alias(self.standby_fqdns[region], self._args.zone_id),
                self.standby_health_checks[region].id,
                standby_name,
            ),
        )
        records = [
            aws.route53.Record(
                f"{self._name}-{region}-failover-{role.lower()}",
                zone_id=self._args.zone_id,
                name=self._failover_name(region),
                type="A",
                set_identifier=f"{region}-{role.lower()}",
                failover_routing_policies=[aws.route53.RecordFailoverRoutingPolicyArgs(type=role)],
                health_check_id=health_check_id,
                aliases=[target],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[named]),
            )
            for role, target, health_check_id, named in targets
        ]
        return records[0], records[1]

    def _apex_record(self, endpoint: RegionalEndpoint) -> aws.route53.Record:
        region = endpoint.region
        pair = self.failover_records.get(region)
        if pair is None:
            target = _alias(endpoint.hostname, endpoint.load_balancer_zone_id)
            health_check_id: pulumi.Input[str] | None = self.health_check_ids[region]
            depends_on: list[pulumi.Resource] = []
        else:
            # The pair's health decides; a check of our own would hide the secondary.
            target = _alias(self._failover_name(region), self._args.zone_id)
            health_check_id = None
            depends_on = list(pair)
        return aws.route53.Record(
            f"{self._name}-{region}-apex",
            zone_id=self._args.zone_id,
            name=self._args.domain,
            type="A",
            set_identifier=region,
            latency_routing_policies=[aws.route53.RecordLatencyRoutingPolicyArgs(region=region)],
            health_check_id=health_check_id,
            aliases=[target],
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )
