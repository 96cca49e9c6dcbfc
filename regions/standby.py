"""What a region's standby release for its primary runs at each stage of the DR sequence
(docs/failover.md: "Failover by config", "Failback by config", "Warm standby pods before
promotion")."""

from __future__ import annotations

from regions.config import DrPairConfig, DrStage, RegionConfig

# Stages in which the standby release serves the primary's traffic, and in which the primary's
# own release must stay at 0 pods (its database is stale until the cutover).
SERVING_STANDBY_STAGES: tuple[DrStage, ...] = ("failover", "resync")
FENCED_PRIMARY_STAGES: tuple[DrStage, ...] = ("failover", "resync", "drain")


def standby_pods_can_be_ready(pair: DrPairConfig, stage: DrStage) -> bool:
    """Warm pods of an Aurora standby point at its cluster's writer endpoint, which a Global
    Database secondary keeps inactive until promotion (AWS Database Blog, "Introducing Aurora
    Global Database Failover": the secondary Regions' writer endpoints are inactive): they run,
    but cannot pass `/ready` (which needs the database) until the failover promotes the cluster.
    Awaiting them would time the update out, so the update does not wait for them; pointing them
    at the reader endpoint instead would change their pod template at failover, and a rolling
    restart of every warm pod is the capacity wait they exist to avoid. An RDS replica accepts
    connections before promotion under the same address: awaited."""
    return not (pair.database == "aurora-global" and stage == "normal")


def standby_replicas(stage: DrStage, pair: DrPairConfig, primary: RegionConfig) -> int:
    """Pods of the standby release: warm pods, the primary's pods while it serves in the
    primary's place, none while failback drains writes and cuts over."""
    if stage in SERVING_STANDBY_STAGES:
        return primary.pods
    if stage in ("drain", "cutover"):
        return 0
    return pair.standby_pods
