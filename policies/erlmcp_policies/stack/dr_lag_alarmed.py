"""dr-copies-lag-alarmed: every DR copy has a lag alarm in its region whose threshold is at most
its pair's RPO.

A copy is a database read replica (`replicateSourceDb`), an Aurora Global Database secondary
cluster (a member of a global cluster without its own master user) or an ElastiCache Global
Datastore secondary (`globalReplicationGroupId`) in a pair's standby region. Its alarm is a
CloudWatch alarm of that region that depends on it and reads its lag: `ReplicaLag` (seconds),
`AuroraGlobalDBRPOLag` (milliseconds) or `GlobalDatastoreReplicationLag` (seconds). A lag past the
RPO means a failover now would lose more than the pair promises, and nobody would know. The RPO
comes from the policy config `budgets` (the offline runner and `--print-policy-config` pass each
pair's target); failed-over pairs (`failed_over`) are not judged, their copies promoted, nor are
retired copies (`dr-retired` tag: the standby a restore leaves following the damaged writer
serves nobody, and the program gives it no lag alarm, regions/alarms.py `replicating`). Unknown
values are never violations.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from erlmcp_policies.stack.dr_standby import (
    Pair,
    configured_pairs,
    global_membership,
    is_aurora_writer,
    own_cache,
    pair_list,
    retired,
)
from erlmcp_policies.stack.graph import UNKNOWN, StackIndex, list_at, prop

NAME = "dr-copies-lag-alarmed"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def _is_replica(index: StackIndex, db: PolicyResource) -> Any:
    source = prop(db.props, "replicateSourceDb")
    return UNKNOWN if source is UNKNOWN else bool(source)


def _is_aurora_secondary(index: StackIndex, cluster: PolicyResource) -> Any:
    """A member of a Global Database that is not its writer (dr_standby.py's reading)."""
    membership = global_membership(index, cluster)
    if membership is UNKNOWN:
        return UNKNOWN
    member = prop(cluster.props, "globalClusterIdentifier")
    return bool(member) and not is_aurora_writer(cluster, membership)


def _is_cache_secondary(index: StackIndex, group: PolicyResource) -> Any:
    """In a Global Datastore and not its primary: AWS reports the datastore's id on the primary
    group too (dr_standby.py `own_cache`)."""
    global_id = prop(group.props, "globalReplicationGroupId")
    if global_id is UNKNOWN:
        return UNKNOWN
    return bool(global_id) and not own_cache(index, group)


# Copy type -> (how to tell a copy, the lag metric, its unit in seconds).
COPIES: dict[str, tuple[Any, str, float]] = {
    "aws:rds/instance:Instance": (_is_replica, "ReplicaLag", 1.0),
    "aws:rds/cluster:Cluster": (_is_aurora_secondary, "AuroraGlobalDBRPOLag", 0.001),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        _is_cache_secondary,
        "GlobalDatastoreReplicationLag",
        1.0,
    ),
}


def _reads(alarm: PolicyResource, metric: str) -> Any:
    """Whether the alarm's metric, or one of its metric queries, is `metric`; UNKNOWN while what
    it reads is not known yet (a first preview)."""
    name = prop(alarm.props, "metricName")
    if name == metric:
        return True
    queries = prop(alarm.props, "metricQueries")
    unknown = name is UNKNOWN or queries is UNKNOWN
    for query in list_at(alarm.props, "metricQueries"):
        expression, query_name = prop(query, "expression"), prop(query, "metric", "metricName")
        if query_name == metric or (isinstance(expression, str) and metric in expression):
            return True
        unknown = unknown or UNKNOWN in (query, expression, query_name)
    return UNKNOWN if unknown else False


def _lag_alarms(index: StackIndex, copy: PolicyResource, region: str, metric: str) -> Any:
    """The region's alarms on the copy that read its lag; UNKNOWN when none is known to and
    one may."""
    verdicts = [
        (alarm, _reads(alarm, metric))
        for alarm in index.in_region(ALARM, region)
        if copy in alarm.dependencies
    ]
    alarms = [alarm for alarm, reads in verdicts if reads is True]
    if not alarms and any(reads is UNKNOWN for _, reads in verdicts):
        return UNKNOWN
    return alarms


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    failed_over = configured_pairs(config, "failed_over")
    index = StackIndex(args.resources)
    rpo_by_standby = {
        str(b["standby"]): float(b["rpoTargetMinutes"])
        for b in config.get("budgets") or []
        if Pair(str(b["primary"]), str(b["standby"])) not in failed_over
    }
    for type_, (is_copy, metric, unit_seconds) in COPIES.items():
        for copy in index.of_type(type_):
            region = index.region_of(copy)
            if region not in rpo_by_standby or retired(copy):
                continue
            verdict = is_copy(index, copy)
            if verdict is UNKNOWN or not verdict:
                continue
            rpo_minutes = rpo_by_standby[region]
            alarms = _lag_alarms(index, copy, region, metric)
            if alarms is UNKNOWN:
                continue
            if not alarms:
                report_violation(
                    f"DR copy {copy.name!r} in {region} has no {metric} alarm: a lag past the "
                    f"pair's RPO ({rpo_minutes:g} min) would go unseen.",
                    copy.urn,
                )
                continue
            limit = rpo_minutes * 60 / unit_seconds
            thresholds = [prop(a.props, "threshold") for a in alarms]
            if all(isinstance(t, int | float) and t > limit for t in thresholds):
                report_violation(
                    f"DR copy {copy.name!r} in {region}: its {metric} alarm fires above "
                    f"{min(thresholds):g}, past the pair's RPO of {rpo_minutes:g} min "
                    f"({limit:g} in the metric's unit).",
                    copy.urn,
                )


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "Every DR copy has a lag alarm in its region at or below its pair's RPO "
        "[runbook §3.1 RPO targets; erlmcp]"
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=validate,
    config_schema=PolicyConfigSchema(
        properties={
            "budgets": {
                "type": "array",
                "description": "Each pair's RPO target (rpoTargetMinutes), from the stack file",
                "items": {"type": "object"},
                "default": [],
            },
            "failed_over": pair_list("Pairs whose standby has taken over (not judged)"),
        }
    ),
)
