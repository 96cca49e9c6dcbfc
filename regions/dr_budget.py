"""What each DR pair can achieve: its design RTO and RPO, computed from the stack's settings.

Every figure the budget uses is in `FIGURES`, with where it comes from. The RTO of a pair is

    detection + max(DNS TTL, decision + database promotion, decision + cache promotion,
                    capacity ready)

Detection is the primary's health check (interval x failure threshold). After that, clients
follow DNS within a TTL while, in parallel, someone (or automation) decides to fail over and the
database and cache secondaries are promoted and the standby release gets its pods. Capacity is
ready at once when enough pods already run warm; otherwise pods must start (and nodes first, if
the standby keeps none). The RPO is the replication lag the database mechanism can promise.

`python -m planning.budget [Pulumi.<stack>.yaml]` prints the table (the stack file is read there,
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
    "decision": Figure(
        1.0,
        "time from the health-check alarm to the approved failover change (assumed: paged "
        "on-call or automation applying `failover:`); not published by AWS",
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
}


@dataclass(frozen=True)
class PairBudget:
    pair: DrPairConfig
    health_check_interval_seconds: int
    detection: float
    dns_ttl: float
    decision: float
    database_promotion: float
    cache_promotion: float
    capacity_ready: float
    rpo: float

    @property
    def rto(self) -> float:
        return self.detection + max(
            self.dns_ttl,
            self.decision + self.database_promotion,
            self.decision + self.cache_promotion,
            self.capacity_ready,
        )

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
            "decisionMinutes": self.decision,
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
    start = FIGURES["pod_start"].minutes + (FIGURES["node_start"].minutes if nodes_cold else 0)
    return FIGURES["decision"].minutes + start


def pair_budget(stack: StackConfig, pair: DrPairConfig) -> PairBudget:
    aurora = pair.database == "aurora-global"
    return PairBudget(
        pair=pair,
        health_check_interval_seconds=health_check_interval(stack, pair),
        detection=detection_minutes(stack, pair),
        dns_ttl=FIGURES["dns_ttl"].minutes,
        decision=FIGURES["decision"].minutes,
        database_promotion=FIGURES["aurora_promotion" if aurora else "rds_promotion"].minutes,
        cache_promotion=FIGURES["cache_promotion"].minutes,
        capacity_ready=capacity_ready_minutes(stack, pair),
        rpo=FIGURES["aurora_rpo" if aurora else "rds_rpo"].minutes,
    )


def stack_budget(stack: StackConfig) -> list[PairBudget]:
    return [pair_budget(stack, pair) for pair in stack.dr_pairs]


def budget_table(budgets: list[PairBudget]) -> str:
    """A Markdown table of every pair's budget against its targets."""
    lines = [
        "| pair | database | detection | promotion | capacity | RTO / target | RPO / target | |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for b in budgets:
        verdict = "meets targets" if b.meets_targets else "**misses target**"
        lines.append(
            f"| {b.pair.primary} → {b.pair.standby} | {b.pair.database} "
            f"| {b.detection:.1f} min | {b.database_promotion:.0f} min "
            f"| {b.capacity_ready:.0f} min | {b.rto:.1f} / {b.pair.rto_minutes:g} min "
            f"| {_minutes(b.rpo)} / {b.pair.rpo_minutes:g} min | {verdict} |"
        )
    return "\n".join(lines)


def _minutes(value: float) -> str:
    return f"{value * 60:.0f} s" if value < 1 else f"{value:g} min"
