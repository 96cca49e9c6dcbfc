"""What each DR pair can achieve: its design RTO and RPO, computed from the stack's settings.

Every figure the budget uses is in `FIGURES`, with where it comes from. Two paths run from the
moment the primary is lost, and the RTO is the later of them:

    traffic: health-check detection + DNS TTL
    data:    reaction + max(database promotion, cache promotion, pod start)

Route 53 moves clients by itself (health checks on records that already exist). The data path
starts with the *reaction*: with automatic failover (`autoFailover`, regions/config/
auto_failover.py) the ARC Region switch trigger's detection, `detectionMinutes` one-minute probe
periods (the probe alarm's periods x evaluation periods) plus the trigger's own evaluation;
without it, the health check's detection plus a person paged, woken and deciding. The steps then
run in parallel (the plan's single Parallel step): the database promotion by the mechanism the
reaction uses (the plan runs Aurora's managed failover; a person runs `make failover`, which
detaches), the cache promotion, and the pods (0 when enough run warm; pod start, plus node start
when the standby keeps no nodes). The RPO is the replication lag the database mechanism can
promise.

An RDS pair's automatic failover can only fire before the lag interlock closes: RDS reports
ReplicaLag by the clock once the primary is gone (regions/alarms.py), so a trigger that needs the
RPO or longer never fires, and the pair is budgeted as manual.

A point-in-time restore of a pair's primary (docs/restore.md) costs something else: the pair's
users are out of service from the moment writes stop until the restored database serves
(restore + verification + pod start), the restored data has no standby copy until the pair's
next generation has built one, and every write after the restore time is lost unless exported
from the damaged database first. `restore_cost` sets that out from the same figures.

`python -m planning.budget [Pulumi.<stack>.yaml]` prints the tables (the stack file is read there,
not here: regions/ knows the program, not the harness that reads stack files).
"""

from __future__ import annotations

from dataclasses import dataclass

from regions.config import DrPairConfig, StackConfig


@dataclass(frozen=True)
class Figure:
    minutes: float
    source: str


FIGURES: dict[str, Figure] = {
    "dns_ttl": Figure(
        1.0,
        "Route 53 alias records to a Network Load Balancer answer with the NLB's 60 s TTL",
    ),
    "human_decision": Figure(
        15.0,
        "a paged on-call engineer acknowledges, decides and runs `make failover` (issue #23's "
        "estimate for 3 a.m., 15 to 30 minutes; its lower bound); not published by AWS",
    ),
    "probe_period": Figure(
        1.0,
        "the endpoint probe runs every minute (EventBridge `rate(1 minute)`, its finest "
        "schedule) and its alarm's period is 1 minute: detection is detectionMinutes periods "
        "(PutMetricAlarm: Period x EvaluationPeriods, all breaching)",
    ),
    "trigger_evaluation": Figure(
        1.0,
        "ARC Region switch evaluates a trigger's alarms on a schedule AWS does not publish "
        "(ARC user guide, triggers; API Trigger has no period); assumed 1 min, to replace with "
        "a game-day measurement",
    ),
    "aurora_managed_failover": Figure(
        3.0,
        "Aurora user guide, 'Performing managed failovers for Aurora global databases': "
        "'Typically, the chosen secondary cluster assumes the primary role within a few "
        "minutes'; budgeted at 3 min",
    ),
    "rds_promotion": Figure(
        10.0,
        "RDS user guide, promoting a read replica: 'can take several minutes or longer, "
        "depending on the size of the read replica'; budgeted at 10 min",
    ),
    "aurora_promotion": Figure(
        1.0,
        "Aurora user guide, Global Database: a secondary cluster is promoted in under a minute",
    ),
    "cache_promotion": Figure(
        1.0,
        "ElastiCache Global Datastore: promoting a secondary is a manual call that completes "
        "in about a minute",
    ),
    "pod_start": Figure(
        2.0,
        "erlmcp pods on warm nodes: scheduling, image pull and Erlang release boot until "
        "/ready (assumed from the StatefulSet's startup probe budget)",
    ),
    "node_start": Figure(
        5.0,
        "EKS managed node group scaled out from 0: EC2 launch and kubelet join (AWS: several "
        "minutes)",
    ),
    "rds_rpo": Figure(
        5.0,
        "RDS cross-region read replicas are asynchronous and AWS publishes no lag bound; the "
        "bound the design can promise is point-in-time recovery, whose logs ship every 5 min",
    ),
    "aurora_rpo": Figure(
        1 / 60,
        "Aurora Global Database: replication lag typically under 1 second",
    ),
    "latest_restorable": Figure(
        5.0,
        "RDS user guide, 'Restoring a DB instance to a specified time' (USER_PIT): the latest "
        "restorable time is typically within 5 minutes of the current time; Aurora uploads log "
        "records continuously and reports its own LatestRestorableTime (aurora-pitr)",
    ),
    "rds_point_in_time_restore": Figure(
        120.0,
        "not published by AWS: a new instance from the last daily snapshot, then its "
        "transaction logs replayed up to the time (USER_PIT); budgeted at 2 h until the "
        "restore drill measures it",
    ),
    "aurora_point_in_time_restore": Figure(
        120.0,
        "AWS re:Post, 'Why is my Amazon Aurora DB cluster clone, snapshot restore, or point in "
        "time restore taking so long?': a full-copy RestoreDBClusterToPointInTime 'can take up "
        "to a few hours', and the instances are created once the cluster is available; "
        "budgeted at 2 h",
    ),
    "restore_verification": Figure(
        15.0,
        "the operator's checks of the restored database before the release is switched to it "
        "(assumed: docs/restore.md lists them)",
    ),
    "rds_replica_build": Figure(
        120.0,
        "not published by AWS: a cross-region read replica starts from a snapshot copied to "
        "its region, then catches up; size-dependent, budgeted at 2 h",
    ),
    "aurora_secondary_build": Figure(
        120.0,
        "not published by AWS: a secondary region's cluster volume is copied from the "
        "primary's before it replicates; size-dependent, budgeted at 2 h",
    ),
}


@dataclass(frozen=True)
class PairBudget:
    pair: DrPairConfig
    health_check_interval_seconds: int
    detection: float
    """Route 53's: health-check interval x failure threshold."""
    dns_ttl: float
    automatic: bool
    """The Region switch plan's trigger reacts (else a person)."""
    reaction: float
    """From the loss to the first step: the trigger's detection, or detection and a decision."""
    database_promotion: float
    cache_promotion: float
    capacity_ready: float
    """Pod (and node) start once the steps begin; 0 when enough pods run warm."""
    rpo: float

    @property
    def rto(self) -> float:
        traffic = self.detection + self.dns_ttl
        data = self.reaction + max(
            self.database_promotion, self.cache_promotion, self.capacity_ready
        )
        return max(traffic, data)

    @property
    def meets_rto(self) -> bool:
        return self.rto <= self.pair.rto_minutes

    @property
    def meets_rpo(self) -> bool:
        return self.rpo <= self.pair.rpo_minutes

    @property
    def meets_targets(self) -> bool:
        return self.meets_rto and self.meets_rpo

    def as_dict(self) -> dict[str, float | str | bool]:
        return {
            "primary": self.pair.primary,
            "standby": self.pair.standby,
            "database": self.pair.database,
            "healthCheckIntervalSeconds": self.health_check_interval_seconds,
            "standbyPods": self.pair.standby_pods,
            "detectionMinutes": round(self.detection, 2),
            "dnsTtlMinutes": self.dns_ttl,
            "automatic": self.automatic,
            "reactionMinutes": round(self.reaction, 2),
            "databasePromotionMinutes": self.database_promotion,
            "cachePromotionMinutes": self.cache_promotion,
            "capacityReadyMinutes": self.capacity_ready,
            "rtoMinutes": round(self.rto, 2),
            "rtoTargetMinutes": self.pair.rto_minutes,
            "rpoMinutes": round(self.rpo, 2),
            "rpoTargetMinutes": self.pair.rpo_minutes,
            "meetsTargets": self.meets_targets,
        }


def health_check_interval(stack: StackConfig, pair: DrPairConfig) -> int:
    return pair.health_check_interval_seconds or stack.dns.health_check.interval_seconds


def detection_minutes(stack: StackConfig, pair: DrPairConfig) -> float:
    return health_check_interval(stack, pair) * stack.dns.health_check.failure_threshold / 60


def capacity_ready_minutes(stack: StackConfig, pair: DrPairConfig) -> float:
    primary = stack.regions[pair.primary]
    if pair.standby_pods >= primary.pods:
        return 0.0
    standby = stack.regions[pair.standby]
    nodes_cold = not standby.serving and standby.nodes.min_size == 0
    return FIGURES["pod_start"].minutes + (FIGURES["node_start"].minutes if nodes_cold else 0)


def trigger_detection_minutes(pair: DrPairConfig) -> float:
    """The probes' consecutive failed minutes, then the trigger's evaluation."""
    return (
        pair.auto_failover.detection_minutes * FIGURES["probe_period"].minutes
        + FIGURES["trigger_evaluation"].minutes
    )


def fails_over_automatically(pair: DrPairConfig) -> bool:
    """Armed, and (RDS) able to fire before ReplicaLag passes the RPO (module docstring)."""
    if not pair.auto_failover.enabled:
        return False
    return pair.database != "rds" or trigger_detection_minutes(pair) < pair.rpo_minutes


def pair_budget(stack: StackConfig, pair: DrPairConfig) -> PairBudget:
    aurora = pair.database == "aurora-global"
    automatic = fails_over_automatically(pair)
    detection = detection_minutes(stack, pair)
    if aurora:
        # The plan runs the managed failover; `make failover` detaches and promotes.
        promotion = FIGURES["aurora_managed_failover" if automatic else "aurora_promotion"]
    else:
        promotion = FIGURES["rds_promotion"]
    reaction = (
        trigger_detection_minutes(pair)
        if automatic
        else detection + FIGURES["human_decision"].minutes
    )
    return PairBudget(
        pair=pair,
        health_check_interval_seconds=health_check_interval(stack, pair),
        detection=detection,
        dns_ttl=FIGURES["dns_ttl"].minutes,
        automatic=automatic,
        reaction=reaction,
        database_promotion=promotion.minutes,
        cache_promotion=FIGURES["cache_promotion"].minutes,
        capacity_ready=capacity_ready_minutes(stack, pair),
        rpo=FIGURES["aurora_rpo" if aurora else "rds_rpo"].minutes,
    )


def stack_budget(stack: StackConfig) -> list[PairBudget]:
    return [pair_budget(stack, pair) for pair in stack.dr_pairs]


def budget_table(budgets: list[PairBudget]) -> str:
    """A Markdown table of every pair's budget against its targets."""
    lines = [
        "| pair | database | DNS detection | failover by | reaction | promotion | capacity "
        "| RTO / target | RPO / target | |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for b in budgets:
        verdict = "meets targets" if b.meets_targets else "**misses target**"
        by = "Region switch trigger" if b.automatic else "a person"
        lines.append(
            f"| {b.pair.primary} → {b.pair.standby} | {b.pair.database} "
            f"| {b.detection:.1f} min | {by} | {b.reaction:g} min "
            f"| {b.database_promotion:g} min "
            f"| {b.capacity_ready:g} min | {b.rto:g} / {b.pair.rto_minutes:g} min "
            f"| {_minutes(b.rpo)} / {b.pair.rpo_minutes:g} min | {verdict} |"
        )
    return "\n".join(lines)


def _minutes(value: float) -> str:
    return f"{value * 60:.0f} s" if value < 1 else f"{value:g} min"


@dataclass(frozen=True)
class RestoreCost:
    """What restoring a pair's primary to a point in time costs (docs/restore.md)."""

    pair: DrPairConfig
    retention_days: int
    """How far back the time may lie: the databases' backup retention."""
    latest_restorable: float
    """How close to now it may lie, in minutes."""
    database_restore: float
    verification: float
    pod_start: float
    standby_rebuild: float

    @property
    def out_of_service(self) -> float:
        """From writes stopped (stage 1) to the restored database serving (stage 3)."""
        return self.database_restore + self.verification + self.pod_start

    def as_dict(self) -> dict[str, float | str | int]:
        return {
            "primary": self.pair.primary,
            "standby": self.pair.standby,
            "database": self.pair.database,
            "restoreWindowDays": self.retention_days,
            "latestRestorableMinutes": self.latest_restorable,
            "databaseRestoreMinutes": self.database_restore,
            "verificationMinutes": self.verification,
            "podStartMinutes": self.pod_start,
            "outOfServiceMinutes": self.out_of_service,
            "withoutStandbyMinutes": self.standby_rebuild,
            "dataLost": DATA_LOST,
        }


DATA_LOST = "every write after the restore time, unless exported from the damaged database first"


def restore_cost(stack: StackConfig, pair: DrPairConfig) -> RestoreCost:
    aurora = pair.database == "aurora-global"
    return RestoreCost(
        pair=pair,
        retention_days=stack.backups.database.retention_days,
        latest_restorable=FIGURES["latest_restorable"].minutes,
        database_restore=FIGURES[
            "aurora_point_in_time_restore" if aurora else "rds_point_in_time_restore"
        ].minutes,
        verification=FIGURES["restore_verification"].minutes,
        pod_start=FIGURES["pod_start"].minutes,
        standby_rebuild=FIGURES[
            "aurora_secondary_build" if aurora else "rds_replica_build"
        ].minutes,
    )


def restore_costs(stack: StackConfig) -> list[RestoreCost]:
    return [restore_cost(stack, pair) for pair in stack.dr_pairs]


def restore_table(costs: list[RestoreCost]) -> str:
    """A Markdown table of what a point-in-time restore of each pair's primary costs."""
    lines = [
        "| primary | database | restore window | out of service | without standby | data lost |",
        "|---|---|---|---|---|---|",
    ]
    for c in costs:
        lines.append(
            f"| {c.pair.primary} | {c.pair.database} "
            f"| {c.retention_days} days back to {c.latest_restorable:g} min ago "
            f"| {c.out_of_service:g} min (restore {c.database_restore:g}, checks "
            f"{c.verification:g}, pods {c.pod_start:g}) "
            f"| {c.standby_rebuild:g} min | writes after the restore time, unless exported |"
        )
    return "\n".join(lines)
