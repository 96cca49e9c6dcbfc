"""erlmcp's CloudWatch alarms and EventBridge rules: every AWS-managed promise, watched in the
region whose metric it reads, published to that region's `page` or `ticket` topic, and named
`erlmcp-<environment>-<region>-<what>` so that the rollout driver's health gate finds it
(operations/health.py reads every alarm with the prefix of a wave's region).

| what | metric | region | threshold | route |
|---|---|---|---|---|
| a DR copy's database lag | AuroraGlobalDBRPOLag / ReplicaLag | the copy's | pair's RPO | page |
| the cache secondary's lag | GlobalDatastoreReplicationLag | the standby's | pair's RPO | page |
| backup replication failures | OperationsFailedReplication | the source's | any | ticket |
| backup replication latency | ReplicationLatency (s) | the destination's | config | ticket |
| unhealthy NLB targets | UnHealthyHostCount | the NLB's | config | ticket |
| certificate expiry | DaysToExpiry | the certificate's | config | ticket |
| a writing database's connections | DatabaseConnections | the database's | % of max | ticket |
| a serving region's health check | HealthCheckStatus | us-east-1 (only) | < 1 | page |
| failed backup and copy jobs | EventBridge rule | every region | FAILED/ABORTED/EXPIRED | ticket |

Routes: a page wakes someone. A DR copy lagging past its pair's RPO means that a failover now
would lose more than was promised, and it is also how the loss of a whole primary region shows
in another region: the copy stops hearing from it, the lag grows or the metric stops, and
missing data counts as breaching. A serving region's public health check failing means users
are failing over or failing. Everything else (a pod out of the NLB, a backup or an object
replication that failed, a certificate a month from expiry) is a ticket: it needs fixing within
the day, not at 3 am, and the AMP burn-rate alerts page when users feel it.

Route 53 health-check metrics exist only in us-east-1 (Route 53 developer guide, "Monitoring
health checks using CloudWatch": "Route 53 metrics are not available if you select any other
region"), so those alarms live there and are an extra, not the only signal: a region is watched
from its own region (its NLB's targets, its AMP alerts), from its DR partner's region (the lag
alarms, missing data breaching) and from us-east-1. When us-east-1 is lost, us-west-2's lag
alarms page about it; when another region is lost, its partner's lag alarms and us-east-1's
health-check alarm do. docs/observability.md ("CloudWatch alarms") has the table and the reasons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulumi

from components.alarms import (
    Alarm,
    AlarmSet,
    AlarmSetArgs,
    EventRule,
    InsightsQuery,
    MaxOf,
    Metric,
    unhealthy_targets_query,
)
from components.backups import BucketReplication
from regions.config import DrPairConfig, StackConfig
from regions.config.observability import AlarmConfig
from regions.database_alarms import database_connections_alarms
from regions.lineage import DatabaseCopy

if TYPE_CHECKING:
    from components.dns import LatencyDns
    from regions.region import ErlmcpRegion

PAGE, TICKET = "page", "ticket"
# Where Route 53 publishes health-check metrics, whatever the health check watches.
ROUTE53_METRICS_REGION = "us-east-1"
MINUTE = 60
DAY = 86_400
# The states in which AWS Backup gave up on a job (AWS Backup developer guide, "Monitoring AWS
# Backup events using Amazon EventBridge": backup and copy job events carry `detail.state`;
# API BackupJob/CopyJob State: CREATED, RUNNING, COMPLETED, ABORTED, FAILED, EXPIRED, ...).
FAILED_JOB_STATES = ("FAILED", "ABORTED", "EXPIRED")


@dataclass
class RegionAlarms:
    alarms: list[Alarm] = field(default_factory=list)
    rules: list[EventRule] = field(default_factory=list)


def build_alarms(
    stack: StackConfig, regions: Mapping[str, ErlmcpRegion], dns: LatencyDns
) -> dict[str, AlarmSet]:
    """Every region's alarms and rules, each in the region whose metric it reads."""
    config = stack.observability.alarms
    planned = {name: RegionAlarms() for name in regions}
    for name, region in regions.items():
        planned[name].alarms += region_alarms(stack, region, config)
        planned[name].rules.append(backup_jobs_rule())
        for copy, database in region.database_copies.items():
            pair = stack.pair_of_primary(copy.primary)
            if pair is not None and replicating(copy):
                planned[copy.region].alarms.append(
                    database_lag_alarm(copy, pair, config, depends_on=[database])
                )
    for pair in stack.dr_pairs:
        primary, standby = regions[pair.primary], regions[pair.standby]
        if stack.dr_stage(pair) == "normal" and standby.standby_cache is not None:
            members = standby.standby_cache.member_clusters
            planned[pair.standby].alarms.append(cache_lag_alarm(pair, members, config))
        replication = primary.backup_replications[pair.standby]
        planned[pair.primary].alarms.append(replication_failed_alarm(replication, config))
        planned[pair.standby].alarms.append(replication_latency_alarm(replication, config))
    for name, alarms in database_connections_alarms(stack, regions).items():
        planned[name].alarms += alarms
    if ROUTE53_METRICS_REGION in planned:
        planned[ROUTE53_METRICS_REGION].alarms += [
            health_check_alarm(name, dns.health_check_ids[name], config)
            for name, region in sorted(regions.items())
            if region.config.serving
        ]
    return {
        name: AlarmSet(
            f"{name}-alarms",
            AlarmSetArgs(
                region=name,
                name_prefix=f"{region.cluster_name}-",
                topic_arns=region.paging.topic_arns,
                alarms=planned[name].alarms,
                event_rules=planned[name].rules,
                tags=region.tags,
            ),
            opts=pulumi.ResourceOptions(parent=region),
        )
        for name, region in regions.items()
    }


def region_alarms(stack: StackConfig, region: ErlmcpRegion, config: AlarmConfig) -> list[Alarm]:
    """What a region watches of its own: its certificate and its releases' load balancers."""
    alarms = [certificate_alarm(region.certificate.certificate_arn, config)]
    if region.release is not None:
        hostname = region.release.load_balancer_hostname
        alarms.append(
            unhealthy_targets_alarm("", "its own release", hostname, region.region, config)
        )
    pair = stack.pair_for_standby(region.region)
    if region.standby_release is not None and pair is not None:
        hostname = region.standby_release.load_balancer_hostname
        alarms.append(
            unhealthy_targets_alarm(
                f"standby-of-{pair.primary}-",
                f"the standby release of {pair.primary}",
                hostname,
                region.region,
                config,
            )
        )
    return alarms


def _evaluation(config: AlarmConfig) -> dict[str, int]:
    return {"period_seconds": MINUTE, "evaluation_periods": config.evaluation_minutes}


# -- disaster recovery ---------------------------------------------------------------------------


def replicating(copy: DatabaseCopy) -> bool:
    """A copy that follows another (a standby, or a failback's writer catching up): the copies
    a lag alarm watches. Writers, promoted copies and retired ones follow nothing."""
    return copy.source is not None and not copy.promoted and not copy.retired


def rpo_seconds(pair: DrPairConfig) -> float:
    return pair.rpo_minutes * MINUTE


def database_lag_alarm(
    copy: DatabaseCopy,
    pair: DrPairConfig,
    config: AlarmConfig,
    depends_on: Sequence[pulumi.Resource] = (),
) -> Alarm:
    """Lag of a copy of `copy.primary`'s database, in the copy's region, past the pair's RPO.

    Aurora: `AuroraGlobalDBRPOLag`, "how far the secondary cluster is behind the primary
    cluster for user transactions", in milliseconds, published for the secondary (Aurora user
    guide, "Amazon CloudWatch metrics for Amazon Aurora", cluster-level metrics, and
    awsdocs/amazon-aurora-user-guide doc_source/Aurora.AuroraMonitoring.Metrics.md). The guide
    does not say under which dimension set: the Aurora dimension table lists DBClusterIdentifier
    and SourceRegion among others (doc_source/dimensions.md). A Metrics Insights query on the
    cluster's identifier without SCHEMA matches it under any set that contains it.
    RDS: `ReplicaLag`, seconds, dimension DBInstanceIdentifier (RDS user guide, "Amazon
    CloudWatch metrics for Amazon RDS"). For PostgreSQL it is `now() -
    pg_last_xact_replay_timestamp()` (RDS user guide, "Monitoring and tuning the replication
    process"): while the primary takes no writes it grows though nothing is at risk.

    Missing data breaches: a copy that stops reporting lag has stopped being a copy we can
    vouch for, and that is how a dead primary region shows from here."""
    rpo = rpo_seconds(pair)
    source: Metric | InsightsQuery
    if copy.mechanism == "aurora-global":
        source = InsightsQuery(
            'SELECT MAX(AuroraGlobalDBRPOLag) FROM "AWS/RDS" '
            f"WHERE DBClusterIdentifier = '{copy.identifier}'"
        )
        threshold, unit = rpo * 1000, "ms"
    else:
        source = Metric(
            "AWS/RDS", "ReplicaLag", {"DBInstanceIdentifier": copy.identifier}, "Maximum"
        )
        threshold, unit = rpo, "s"
    return Alarm(
        # Not named by generation: a region holds at most one replicating copy of a primary at
        # a time, and the alarm keeps its URN when generation g+1's copy takes over.
        what=f"database-lag-of-{copy.primary}",
        description=(
            f"{copy.identifier} ({copy.mechanism}) lags {copy.primary}'s data by more than the "
            f"{pair.name} RPO of {pair.rpo_minutes:g} min ({threshold:g} {unit}) for "
            f"{config.evaluation_minutes} min, or reports nothing: a failover now would lose "
            "more than promised"
        ),
        route=PAGE,
        source=source,
        comparison="GreaterThanThreshold",
        threshold=threshold,
        treat_missing_data="breaching",
        depends_on=depends_on,
        **_evaluation(config),
    )


def cache_lag_alarm(
    pair: DrPairConfig, member_clusters: pulumi.Input[Sequence[str]], config: AlarmConfig
) -> Alarm:
    """The Global Datastore secondary's lag behind the primary, in the standby's region.

    `GlobalDatastoreReplicationLag`: "the lag between the secondary Region's primary node and
    the primary Region's primary node", seconds (ElastiCache user guide, "Metrics for Valkey and
    Redis OSS"). Redis metrics are "calculated at the cache node level" and "when retrieving
    metrics, you must supply both the CacheClusterId and CacheNodeId dimensions" (the user
    guide's "Dimensions for ElastiCache Metrics", awsdocs/amazon-elasticache-docs
    doc_source/redis/CacheMetrics.DimensionsAndSets.md; the same page also says "a single
    dimension, the CacheNodeId": unclear, and others alarm on CacheClusterId alone or on a
    GlobalReplicationGroupId). Every member of the secondary group is watched (its primary node
    moves on an in-region failover); replicas report nothing, so MAX takes the primary's."""
    return Alarm(
        what=f"cache-lag-of-{pair.primary}",
        description=(
            f"The cache secondary of {pair.primary} lags by more than the {pair.name} RPO of "
            f"{pair.rpo_minutes:g} min for {config.evaluation_minutes} min, or reports nothing"
        ),
        route=PAGE,
        source=MaxOf(
            "AWS/ElastiCache",
            "GlobalDatastoreReplicationLag",
            "Maximum",
            pulumi.Output.from_input(member_clusters).apply(
                lambda ids: [{"CacheClusterId": i, "CacheNodeId": "0001"} for i in ids]
            ),
        ),
        comparison="GreaterThanThreshold",
        threshold=rpo_seconds(pair),
        treat_missing_data="breaching",
        **_evaluation(config),
    )


def _replication_dimensions(replication: BucketReplication) -> dict[str, pulumi.Input[str]]:
    # S3 user guide, "Metrics and dimensions", replication metrics: per rule, dimensions
    # SourceBucket, DestinationBucket and RuleId (bucket names).
    return {
        "SourceBucket": replication.source.bucket_name,
        "DestinationBucket": replication.destination.bucket_name,
        "RuleId": replication.rule_id,
    }


def replication_failed_alarm(replication: BucketReplication, config: AlarmConfig) -> Alarm:
    """Objects that failed to replicate. `OperationsFailedReplication` "is published in the
    Region of the source bucket" and not at all while nothing replicates (S3 user guide, "Using
    S3 Replication metrics", table): no data is no failure."""
    destination = replication.destination.region
    return Alarm(
        what=f"backup-replication-to-{destination}-failed",
        description=(
            f"Backup objects failed to replicate to {destination} "
            f"(OperationsFailedReplication, rule {replication.rule_id})"
        ),
        route=TICKET,
        source=Metric(
            "AWS/S3", "OperationsFailedReplication", _replication_dimensions(replication), "Sum"
        ),
        comparison="GreaterThanThreshold",
        threshold=0,
        period_seconds=config.evaluation_minutes * MINUTE,
        evaluation_periods=1,
        treat_missing_data="notBreaching",
    )


def replication_latency_alarm(replication: BucketReplication, config: AlarmConfig) -> Alarm:
    """Replication falling behind. `ReplicationLatency`, seconds, "is published in the Region
    of the destination bucket", also while nothing replicates (S3 user guide, "Using S3
    Replication metrics"); for alarms on replication metrics AWS advises to "treat missing data
    as ignore" (S3 user guide, "Metrics and dimensions", replication metrics note)."""
    source = replication.source.region
    return Alarm(
        what=f"backup-replication-from-{source}-latency",
        description=(
            f"Backups from {source} replicate more than {config.replication_latency_seconds} s "
            f"late (ReplicationLatency) for {config.evaluation_minutes} min"
        ),
        route=TICKET,
        source=Metric(
            "AWS/S3", "ReplicationLatency", _replication_dimensions(replication), "Maximum"
        ),
        comparison="GreaterThanThreshold",
        threshold=config.replication_latency_seconds,
        treat_missing_data="ignore",
        **_evaluation(config),
    )


def backup_jobs_rule() -> EventRule:
    """Backup and copy jobs that AWS Backup gave up on, as they happen, with the job's id,
    resource and status message (the event's `detail`). Chosen over the AWS/Backup metrics
    (NumberOfBackupJobsFailed, NumberOfCopyJobsFailed), which count per region and vault and
    would only say that something failed. AWS Backup emits these events "in a best-effort
    manner" (AWS Backup developer guide, "Monitoring AWS Backup events using Amazon
    EventBridge"); a copy job's event comes from the region the copy starts from."""
    return EventRule(
        what="backup-jobs-failed",
        description="AWS Backup backup or copy jobs that failed, aborted or expired",
        route=TICKET,
        pattern={
            "source": ["aws.backup"],
            "detail-type": ["Backup Job State Change", "Copy Job State Change"],
            "detail": {"state": list(FAILED_JOB_STATES)},
        },
    )


# -- each region's own ---------------------------------------------------------------------------


def unhealthy_targets_alarm(
    prefix: str, whose: str, hostname: pulumi.Input[str], region: str, config: AlarmConfig
) -> Alarm:
    """Targets the NLB of a release finds unhealthy (components/alarms.py
    `unhealthy_targets_query` says how the NLB the controller made is found). No data: the
    NLB has no targets to report on, a release at 0 pods."""
    return Alarm(
        what=f"{prefix}nlb-unhealthy-targets",
        description=(
            f"At least {config.unhealthy_targets} erlmcp pod(s) behind the NLB of {whose} "
            f"fail its /health check for {config.evaluation_minutes} min"
        ),
        route=TICKET,
        source=InsightsQuery(
            pulumi.Output.from_input(hostname).apply(
                lambda name: unhealthy_targets_query(name, region)
            )
        ),
        comparison="GreaterThanOrEqualToThreshold",
        threshold=config.unhealthy_targets,
        treat_missing_data="notBreaching",
        **_evaluation(config),
    )


def certificate_alarm(certificate_arn: pulumi.Input[str], config: AlarmConfig) -> Alarm:
    """ACM's `DaysToExpiry`, namespace AWS/CertificateManager, dimension CertificateArn, in the
    certificate's region (ACM user guide, "Supported CloudWatch metrics"), reported once a day,
    and no longer once the certificate has expired: missing data breaches (AWS CDK's
    `metricDaysToExpiry` says as much). ACM renews its certificates on its own; a certificate
    this close to expiry is one whose renewal is stuck (its validation record is gone)."""
    return Alarm(
        what="certificate-days-to-expiry",
        description=(
            f"The region's ACM certificate expires in under {config.certificate_days_to_expiry} "
            "days, or ACM reports nothing for it: its managed renewal is stuck"
        ),
        route=TICKET,
        source=Metric(
            "AWS/CertificateManager", "DaysToExpiry", {"CertificateArn": certificate_arn}, "Minimum"
        ),
        comparison="LessThanThreshold",
        threshold=config.certificate_days_to_expiry,
        period_seconds=DAY,
        evaluation_periods=1,
        treat_missing_data="breaching",
    )


def health_check_alarm(
    region: str, health_check_id: pulumi.Input[str], config: AlarmConfig
) -> Alarm:
    """A serving region's public health check (`<region>.<domain>/health`, components/dns.py),
    seen from Route 53's checkers: `HealthCheckStatus` is 1 healthy, 0 unhealthy, dimension
    HealthCheckId, in us-east-1 only (Route 53 developer guide, "Monitoring health checks using
    CloudWatch"). Lives in us-east-1, in its page topic; a us-east-1 outage takes it away, which
    the module docstring says how the fleet survives."""
    return Alarm(
        what=f"route53-health-{region}",
        description=(
            f"Route 53 finds https://{region}.<domain>/health unhealthy for "
            f"{config.evaluation_minutes} min: {region}'s users are failing over or failing"
        ),
        route=PAGE,
        source=Metric(
            "AWS/Route53", "HealthCheckStatus", {"HealthCheckId": health_check_id}, "Minimum"
        ),
        comparison="LessThanThreshold",
        threshold=1,
        treat_missing_data="breaching",
        **_evaluation(config),
    )
