"""Automatic failover for every DR pair: the probes, the signal alarms, the Global Datastore
failover Lambda and the ARC Region switch plan (who watches whom and why: regions/auto_failover.py;
docs/failover.md "Automatic failover").

Nothing here depends on the DR stage except the interlock composite's rule: the plan, its
Lambda, its trigger's alarms and the probes have the same inputs before and after a failover.
That matters because the plan is managed through ARC's control plane in us-east-1
(components/region_switch.py): a failover while us-east-1 is down must not have to update it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from components.alarms import InsightsQuery, Metric
from components.aurora import AuroraGlobalPrimary, AuroraGlobalSecondary
from components.postgres import PostgresPrimary, PostgresReplica
from components.python_function import PythonFunction, PythonFunctionArgs
from components.region_switch import (
    AuroraFailover,
    EksScaling,
    LambdaStep,
    RdsPromotion,
    RegionSwitchPlan,
    RegionSwitchPlanArgs,
    ScaledWorkload,
    TriggerCondition,
)
from components.release_names import APP, STATEFULSET_NAME
from components.signal_alarms import Composite, Signal, SignalAlarms, SignalAlarmsArgs
from regions.auto_failover import (
    MARKER_METRIC,
    MARKER_NAMESPACE,
    PROBE_METRIC,
    PROBE_NAMESPACE,
    PROBE_STOPPED,
    blocked_rule,
    blocked_signal,
    disarmed_by_config,
    lag_signal,
    marker_signal,
    plan_name,
    planned_pairs,
    probe_down,
    probe_targets,
    signal_prefix,
    trigger_conditions,
)
from regions.config import DrPairConfig, StackConfig
from regions.lineage import lineage
from regions.names import cache_group_id, standby_cache_group_id
from regions.providers import StackProviders

if TYPE_CHECKING:
    from regions.region import ErlmcpRegion

PROBE_SCHEDULE = "rate(1 minute)"
MINUTE = 60


@dataclass
class AutoFailover:
    plans: dict[str, RegionSwitchPlan]
    """Pair name -> its plan."""
    signals: dict[str, SignalAlarms]
    """Region -> its signal alarms."""
    probes: dict[str, PythonFunction]
    cache_failovers: dict[str, PythonFunction]
    """Pair name -> its Global Datastore failover Lambda (in the standby region)."""


def build_auto_failover(
    stack: StackConfig, regions: Mapping[str, ErlmcpRegion], providers: StackProviders
) -> AutoFailover:
    targets = probe_targets(stack)
    probes = {
        name: probe_function(stack, regions[name], watched) for name, watched in targets.items()
    }
    signals = {
        name: SignalAlarms(
            f"{name}-autofailover-signals",
            SignalAlarmsArgs(
                region=name,
                name_prefix=signal_prefix(stack.environment, name),
                signals=region_signals(stack, regions, name, targets.get(name, [])),
                composites=[
                    Composite(
                        blocked_signal(pair),
                        f"ALARM while anything holds the automatic failover of {pair.primary}",
                        blocked_rule(pair, bool(disarmed_by_config(stack, pair))),
                    )
                    for pair in planned_pairs(stack)
                    if pair.standby == name
                ],
                tags=regions[name].tags,
            ),
            opts=pulumi.ResourceOptions(parent=regions[name]),
        )
        for name in sorted({*targets, *(p.standby for p in planned_pairs(stack))})
    }
    cache_failovers = {
        pair.name: cache_failover_function(stack, regions, pair) for pair in planned_pairs(stack)
    }
    plans = {
        pair.name: region_switch_plan(
            stack, regions, pair, signals, cache_failovers[pair.name], providers
        )
        for pair in planned_pairs(stack)
    }
    return AutoFailover(
        plans=plans, signals=signals, probes=probes, cache_failovers=cache_failovers
    )


# -- probes -------------------------------------------------------------------------------------


def probe_url(stack: StackConfig, region: str) -> str:
    """The region's own public name, as its users reach it (port 443, the health check's
    path: the same endpoint Route 53 checks)."""
    return f"https://{region}.{stack.domain}{stack.dns.health_check.path}"


def probe_function(stack: StackConfig, region: ErlmcpRegion, watched: list[str]) -> PythonFunction:
    name = f"erlmcp-{stack.environment}-{region.region}-probe"
    return PythonFunction(
        f"{region.region}-probe",
        PythonFunctionArgs(
            region=region.region,
            function_name=name,
            module="endpoint_probe",
            account_id=stack.account_id,
            kms_key_arn=region.key.key_arn,
            statements=[put_metric_statement(PROBE_NAMESPACE)],
            environment={
                "TARGETS": json.dumps({t: probe_url(stack, t) for t in watched}, sort_keys=True),
                "PROBE_NAMESPACE": PROBE_NAMESPACE,
                "TIMEOUT_SECONDS": "10",
            },
            timeout_seconds=30,
            schedule=PROBE_SCHEDULE,
            tags=region.tags,
            global_provider=region.global_provider,
        ),
        opts=pulumi.ResourceOptions(parent=region),
    )


def put_metric_statement(namespace: str) -> dict[str, Any]:
    """PutMetricData has no resource-level permission; the namespace condition key limits it
    (Service Authorization Reference, Amazon CloudWatch: `cloudwatch:namespace`)."""
    return {
        "Effect": "Allow",
        "Action": "cloudwatch:PutMetricData",
        "Resource": "*",
        "Condition": {"StringEquals": {"cloudwatch:namespace": namespace}},
    }


# -- signals ------------------------------------------------------------------------------------


def detection_of(stack: StackConfig, target: str) -> int:
    pair = stack.pair_of_primary(target)
    return pair.auto_failover.detection_minutes if pair else 2


def region_signals(
    stack: StackConfig, regions: Mapping[str, ErlmcpRegion], name: str, watched: list[str]
) -> list[Signal]:
    signals = [probe_down_signal(target, detection_of(stack, target)) for target in watched]
    pair = stack.pair_for_standby(name)
    if pair is not None:
        signals += [
            probe_stopped_signal(pair),
            lag_interlock_signal(stack, pair),
            marker_interlock_signal(pair),
        ]
    return signals


def probe_down_signal(target: str, minutes: int) -> Signal:
    """This region's probe found `target` down in each of the last `minutes` minutes. Missing
    data is not down: a probe that did not run says nothing about the target."""
    return Signal(
        what=probe_down(target),
        description=f"{target} did not answer this region's probe for {minutes} min",
        source=Metric(PROBE_NAMESPACE, PROBE_METRIC, {"Target": target}, "Maximum"),
        comparison="LessThanThreshold",
        threshold=1,
        period_seconds=MINUTE,
        evaluation_periods=minutes,
        treat_missing_data="notBreaching",
    )


def probe_stopped_signal(pair: DrPairConfig) -> Signal:
    """The standby's own probe published nothing for 2 minutes: it cannot run code or reach
    CloudWatch, so it is not healthy enough to take over (missing data breaches)."""
    return Signal(
        what=PROBE_STOPPED,
        description="This region's probe stopped reporting",
        source=Metric(PROBE_NAMESPACE, PROBE_METRIC, {"Target": pair.primary}, "SampleCount"),
        comparison="LessThanThreshold",
        threshold=1,
        period_seconds=MINUTE,
        evaluation_periods=2,
        treat_missing_data="breaching",
    )


def lag_interlock_signal(stack: StackConfig, pair: DrPairConfig) -> Signal:
    """The standby copy's last reported lag is above the pair's RPO (the metrics and their
    sources: regions/alarms.py `database_lag_alarm`). Missing data keeps the state: when the
    primary goes silent, the lag it had last is what a failover would lose."""
    standby = _current_copies(stack, pair)[1]
    rpo_seconds = pair.rpo_minutes * MINUTE
    source: Metric | InsightsQuery
    if pair.database == "aurora-global":
        source = InsightsQuery(
            'SELECT MAX(AuroraGlobalDBRPOLag) FROM "AWS/RDS" '
            f"WHERE DBClusterIdentifier = '{standby.identifier}'"
        )
        threshold = rpo_seconds * 1000
    else:
        source = Metric(
            "AWS/RDS", "ReplicaLag", {"DBInstanceIdentifier": standby.identifier}, "Maximum"
        )
        threshold = rpo_seconds
    return Signal(
        what=lag_signal(pair),
        description=f"The copy of {pair.primary}'s database is behind by more than the RPO "
        f"({pair.rpo_minutes:g} min): failing over would lose more than promised",
        source=source,
        comparison="GreaterThanThreshold",
        threshold=threshold,
        period_seconds=MINUTE,
        evaluation_periods=1,
        treat_missing_data="ignore",
    )


def marker_interlock_signal(pair: DrPairConfig) -> Signal:
    """The pair's "automatic failover ran" marker (regions/auto_failover.py); missing data
    keeps the state, so once set it holds until `make failover ... REARM=1` publishes 0."""
    return Signal(
        what=marker_signal(pair),
        description=f"The automatic failover of {pair.primary} ran and was not rearmed",
        source=Metric(MARKER_NAMESPACE, MARKER_METRIC, {"Primary": pair.primary}, "Maximum"),
        comparison="GreaterThanOrEqualToThreshold",
        threshold=1,
        period_seconds=MINUTE,
        evaluation_periods=1,
        treat_missing_data="ignore",
    )


# -- the cache step and the plan ----------------------------------------------------------------


def _current_copies(stack: StackConfig, pair: DrPairConfig) -> tuple[Any, Any]:
    """The current generation's writer and standby copy, as they are while the pair is normal
    (their names and identifiers do not change with the stage)."""
    normal = lineage(pair.primary, stack.environment, pair, "normal")
    assert normal.standby_uses is not None
    return normal.primary_uses, normal.standby_uses


def _built(
    regions: Mapping[str, ErlmcpRegion], pair: DrPairConfig, stack: StackConfig
) -> tuple[Any, Any]:
    writer, standby = _current_copies(stack, pair)
    by_name = {copy.name: built for copy, built in regions[pair.primary].database_copies.items()}
    return by_name[writer.name], by_name[standby.name]


def cache_failover_function(
    stack: StackConfig, regions: Mapping[str, ErlmcpRegion], pair: DrPairConfig
) -> PythonFunction:
    primary, standby = regions[pair.primary], regions[pair.standby]
    assert primary.global_datastore is not None
    global_id = primary.global_datastore.global_replication_group_id
    new_primary_group = standby_cache_group_id(stack.environment, pair.primary)
    account = stack.account_id
    group_arns = [
        f"arn:aws:elasticache:{pair.primary}:{account}:replicationgroup:"
        f"{cache_group_id(stack.environment, pair.primary)}",
        f"arn:aws:elasticache:{pair.standby}:{account}:replicationgroup:{new_primary_group}",
    ]
    return PythonFunction(
        f"{pair.standby}-cache-failover-of-{pair.primary}",
        PythonFunctionArgs(
            region=pair.standby,
            function_name=f"erlmcp-{stack.environment}-{pair.standby}-cache-of-{pair.primary}",
            module="global_datastore_failover",
            account_id=account,
            kms_key_arn=standby.key.key_arn,
            statements=[
                {
                    "Effect": "Allow",
                    "Action": [
                        "elasticache:DescribeGlobalReplicationGroups",
                        "elasticache:FailoverGlobalReplicationGroup",
                    ],
                    "Resource": [
                        pulumi.Output.concat(
                            f"arn:aws:elasticache::{account}:globalreplicationgroup:", global_id
                        ),
                        *group_arns,
                    ],
                },
                put_metric_statement(MARKER_NAMESPACE),
            ],
            environment={
                "GLOBAL_REPLICATION_GROUP_ID": global_id,
                "NEW_PRIMARY_REGION": pair.standby,
                "NEW_PRIMARY_REPLICATION_GROUP_ID": new_primary_group,
                "MARKER_NAMESPACE": MARKER_NAMESPACE,
                "MARKER_METRIC": MARKER_METRIC,
                "MARKER_PRIMARY": pair.primary,
                "WAIT_SECONDS": "240",
            },
            timeout_seconds=300,
            tags=standby.tags,
            global_provider=standby.global_provider,
        ),
        opts=pulumi.ResourceOptions(parent=standby),
    )


def database_step(
    stack: StackConfig, regions: Mapping[str, ErlmcpRegion], pair: DrPairConfig
) -> AuroraFailover | RdsPromotion:
    writer, standby = _built(regions, pair, stack)
    if isinstance(writer, AuroraGlobalPrimary | AuroraGlobalSecondary):
        assert isinstance(standby, AuroraGlobalSecondary) and writer.global_cluster_id is not None
        global_id = writer.global_cluster_id
        return AuroraFailover(
            global_cluster_identifier=global_id,
            global_cluster_arn=pulumi.Output.concat(
                f"arn:aws:rds::{stack.account_id}:global-cluster:", global_id
            ),
            cluster_arns=[writer.cluster_arn, standby.cluster_arn],
        )
    assert isinstance(writer, PostgresPrimary | PostgresReplica)
    assert isinstance(standby, PostgresReplica)
    return RdsPromotion({pair.primary: writer.instance_arn, pair.standby: standby.instance_arn})


def region_switch_plan(
    stack: StackConfig,
    regions: Mapping[str, ErlmcpRegion],
    pair: DrPairConfig,
    signals: Mapping[str, SignalAlarms],
    cache: PythonFunction,
    providers: StackProviders,
) -> RegionSwitchPlan:
    primary, standby = regions[pair.primary], regions[pair.standby]
    assert standby.standby_release is not None
    conditions = [
        TriggerCondition(
            alarm_name=signals[c.region].names[c.what],
            alarm_arn=signals[c.region].arns[c.what],
            state="red" if c.state == "red" else "green",
        )
        for c in trigger_conditions(stack, pair)
    ]
    workloads = {
        pair.primary: ScaledWorkload(
            cluster_arn=primary.eks.cluster_arn,
            cluster_name=primary.eks.cluster_name,
            namespace=stack.release.namespace,
            name=STATEFULSET_NAME,
            hpa_name=APP if primary.config.hpa else None,
        ),
        pair.standby: ScaledWorkload(
            cluster_arn=standby.eks.cluster_arn,
            cluster_name=standby.eks.cluster_name,
            namespace=standby.standby_release.namespace,
            name=STATEFULSET_NAME,
        ),
    }
    return RegionSwitchPlan(
        f"{pair.standby}-region-switch-of-{pair.primary}",
        RegionSwitchPlanArgs(
            plan_name=plan_name(stack.environment, pair),
            primary_region=pair.primary,
            standby_region=pair.standby,
            account_id=stack.account_id,
            rto_minutes=math.ceil(pair.rto_minutes),
            database=database_step(stack, regions, pair),
            cache=LambdaStep(function_arn=cache.function_arn),
            pods=EksScaling(workloads=workloads, key=APP),
            conditions=conditions,
            min_delay_minutes=pair.auto_failover.min_delay_minutes,
            description=f"Fail {pair.primary} over to {pair.standby} (erlmcp {stack.environment})",
            tags=standby.tags,
        ),
        providers={r: providers.regional[r] for r in (pair.primary, pair.standby)},
        global_provider=providers.global_services,
        # It spans the pair (access entries in both clusters): under neither region, and every
        # child names its provider.
    )
