"""The whole erlmcp deployment: every region, the DR pairs between them, and global DNS."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.alarms import AlarmSet
from components.aws_backup import BackupServiceRole, BackupServiceRoleArgs
from components.certificate import RegionalCertificate
from components.dns import (
    HealthCheckSettings,
    HostedZone,
    HostedZoneArgs,
    LatencyDns,
    LatencyDnsArgs,
    RegionalEndpoint,
    StandbyTarget,
)
from components.dns_query_log import QUERY_LOG_REGION, ZoneQueryLog, ZoneQueryLogArgs
from components.dnssec import ZoneSigning, ZoneSigningArgs
from components.prometheus import Prometheus
from components.rds_monitoring import RdsMonitoringRole, RdsMonitoringRoleArgs
from regions.alarms import build_alarms
from regions.aws_regions import NLB_HOSTED_ZONE_IDS
from regions.config import StackConfig
from regions.database_backups import build_vaults, plan_databases
from regions.databases import build_databases
from regions.observability import watch_region
from regions.providers import StackProviders, build_providers
from regions.region import (
    ErlmcpRegion,
    ErlmcpRegionArgs,
    SharedSecrets,
    region_tags,
)
from regions.region_switch import AutoFailover, build_auto_failover
from regions.secrets import change_database_roles, secret_values

# Runbook §6.2: logs are kept 30 days.
LOG_RETENTION_DAYS = 30


@dataclass
class Topology:
    stack: StackConfig
    zone: HostedZone
    providers: StackProviders
    regions: dict[str, ErlmcpRegion] = field(default_factory=dict)
    """Empty in the zone-only stage (`dns.delegated: false`)."""
    dns: LatencyDns | None = None
    signing: ZoneSigning | None = None
    metrics: dict[str, Prometheus] = field(default_factory=dict)
    """Each region's own metrics backend and alert manager (regions/observability.py)."""
    alarms: dict[str, AlarmSet] = field(default_factory=dict)
    """Each region's CloudWatch alarms and EventBridge rules (regions/alarms.py)."""
    auto_failover: AutoFailover | None = None
    """Each DR pair's Region switch plan, its probes and interlocks (regions/region_switch.py)."""


def build_topology(stack: StackConfig) -> Topology:
    global_tags = region_tags(stack, "global")
    providers = build_providers(stack)
    # Global services (and the us-east-1 resources they require) on the global provider.
    on_global = pulumi.ResourceOptions(providers=providers.for_global())
    zone = HostedZone(
        "dns-zone",
        HostedZoneArgs(domain=stack.domain, existing_zone_id=stack.dns.zone_id, tags=global_tags),
        opts=on_global,
    )
    signing = ZoneSigning(
        "dns-signing",
        ZoneSigningArgs(
            zone_id=zone.zone_id,
            domain=stack.domain,
            account_id=stack.account_id,
            tags=global_tags,
        ),
        opts=on_global,
    )
    if not stack.dns.delegated:
        # First stage of a fresh account: the zone, signed and logged, whose name servers (and
        # DS record) the registrar must be given before any certificate can be validated
        # through it. Nothing else yet.
        log_queries(stack, zone, None, global_tags, on_global)
        return Topology(stack=stack, zone=zone, providers=providers, signing=signing)
    monitoring = RdsMonitoringRole(
        "rds-monitoring", RdsMonitoringRoleArgs(tags=global_tags), opts=on_global
    )
    backup_role = BackupServiceRole(
        "aws-backup", BackupServiceRoleArgs(tags=global_tags), opts=on_global
    )
    on_random = pulumi.ResourceOptions(provider=providers.random)
    secrets = SharedSecrets(
        erlang_cookie=secret_values(stack, "erlang-cookie", None, "erlang-cookie", on_random),
        jwt_secret=secret_values(stack, "jwt-secret", None, "jwt-secret", on_random),
    )

    def build_region(name: str, apex_owner: RegionalCertificate | None) -> ErlmcpRegion:
        return ErlmcpRegion(
            name,
            ErlmcpRegionArgs(
                region=name,
                stack=stack,
                zone_id=zone.zone_id,
                secrets=secrets,
                apex_validation_owner=apex_owner,
                providers=providers,
                rds_monitoring_role_arn=monitoring.role_arn,
            ),
        )

    # The home region goes first: its certificate owns the apex validation record the others
    # wait for. Build order does not enter any name, so it changes no URN.
    home = build_region(stack.home_region, None)
    regions = {
        name: home if name == stack.home_region else build_region(name, home.certificate)
        for name in sorted(stack.regions)
    }
    serving = [region for region in regions.values() if region.config.serving]
    writing = [copy for region in serving for copy in build_databases(region, regions)]
    plan_databases(regions, build_vaults(regions), writing, backup_role.role_arn)
    for pair in stack.dr_pairs:
        primary, standby = regions[pair.primary], regions[pair.standby]
        standby.hold_standby_copies(primary, pair)
        primary.replicate_backups_to(standby)
    for region in serving:
        region.start_release()
        change_database_roles(region)
    metrics = {name: watch_region(region) for name, region in regions.items()}

    dns = LatencyDns(
        "dns",
        LatencyDnsArgs(
            domain=stack.domain,
            zone_id=zone.zone_id,
            endpoints=[endpoint(stack, region, regions) for region in regions.values()],
            health_check=health_check(stack),
            tags=global_tags,
        ),
        opts=on_global,
    )
    # Query logs live in us-east-1 whatever the stack's regions; that region's key encrypts
    # them when the stack has it (in the zone-only stage it does not exist yet: the log group
    # is associated with the key in place once it does).
    query_region = regions.get(QUERY_LOG_REGION)
    log_queries(
        stack, zone, query_region.key.key_arn if query_region else None, global_tags, on_global
    )
    alarms = build_alarms(stack, regions, dns)
    auto_failover = build_auto_failover(stack, regions, providers)
    return Topology(
        stack=stack,
        zone=zone,
        providers=providers,
        regions=regions,
        dns=dns,
        signing=signing,
        metrics=metrics,
        alarms=alarms,
        auto_failover=auto_failover,
    )


def log_queries(
    stack: StackConfig,
    zone: HostedZone,
    kms_key_arn: pulumi.Input[str] | None,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> ZoneQueryLog:
    return ZoneQueryLog(
        "dns-query-log",
        ZoneQueryLogArgs(
            zone_id=zone.zone_id,
            domain=stack.domain,
            kms_key_arn=kms_key_arn,
            retention_days=LOG_RETENTION_DAYS,
            tags=tags,
        ),
        opts=opts,
    )


def health_check(stack: StackConfig, interval_seconds: int | None = None) -> HealthCheckSettings:
    check = stack.dns.health_check
    return HealthCheckSettings(
        port=check.port,
        path=check.path,
        request_interval=interval_seconds or check.interval_seconds,
        failure_threshold=check.failure_threshold,
    )


def endpoint(
    stack: StackConfig, region: ErlmcpRegion, regions: dict[str, ErlmcpRegion]
) -> RegionalEndpoint:
    """A region's DNS endpoint; a primary with a DR pair fails over to the release in its
    standby region that holds its data, checked as often as the pair asks."""
    pair = stack.pair_of_primary(region.region)
    standby = None
    if pair is not None:
        holder = regions[pair.standby]
        assert holder.standby_release is not None
        standby = StandbyTarget(
            hostname=holder.standby_release.load_balancer_hostname,
            load_balancer_zone_id=NLB_HOSTED_ZONE_IDS[pair.standby],
        )
    return RegionalEndpoint(
        region=region.region,
        hostname=region.dns_release.load_balancer_hostname,
        load_balancer_zone_id=NLB_HOSTED_ZONE_IDS[region.region],
        serving=region.config.serving,
        standby=standby,
        health_check=health_check(stack, pair.health_check_interval_seconds) if pair else None,
    )


def export_outputs(topology: Topology) -> None:
    """Stack outputs an SRE reads after `pulumi up`: where each region answers and keeps data."""
    pulumi.export("zoneId", topology.zone.zone_id)
    pulumi.export("nameServers", topology.zone.name_servers)
    pulumi.export("stage", "full" if topology.stack.dns.delegated else "zone-only")
    if topology.signing is not None:
        # The DS record the registrar must publish for DNSSEC's chain of trust (README).
        pulumi.export("dnssecDsRecord", topology.signing.ds_record)
    if topology.dns is None:
        return
    pulumi.export("apex", f"https://{topology.stack.domain}")
    pulumi.export(
        "regions",
        {
            name: {
                "role": region.config.role,
                "endpoint": f"https://{region.fqdn}",
                "loadBalancer": region.dns_release.load_balancer_hostname,
                "databases": region.database_endpoints,
                "backupBucket": region.backups.bucket_name,
                "healthCheckId": topology.dns.health_check_ids[name],
                "clusterName": region.eks.cluster_name,
                # The rollout driver queries it (SigV4, service `aps`, the region's own).
                "prometheusEndpoint": topology.metrics[name].query_endpoint,
            }
            for name, region in topology.regions.items()
        },
    )
    pulumi.export(
        "drPairs",
        [
            {
                "primary": pair.primary,
                "standby": pair.standby,
                "rtoMinutes": pair.rto_minutes,
                "rpoMinutes": pair.rpo_minutes,
            }
            for pair in topology.stack.dr_pairs
        ],
    )
