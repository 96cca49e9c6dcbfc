"""dr-standby-holds-replicas: each DR standby region holds copies of its primary's data.

A DR pair (primary region -> standby region) is known from two places:
- the resources themselves: every cross-region database replica, Global Datastore secondary and
  backup replication rule names one pair (source region -> copy's region);
- the `dr_pairs` config (the offline runner passes the stack file's `drPairs`), so that a pair
  whose copies are *all* missing is still checked.
A pair listed under `failed_over` is not judged: its standby database has been promoted and
serves the primary's traffic, which is the point of the failover, not a lost copy; nor is the
reverse pair its failback copy names, unless the config lists it. An Aurora cluster belongs to
the Global Database its `globalClusterIdentifier` names, or to the one built from it
(`sourceDbClusterIdentifier`, failback).
For every pair the standby region must hold all three copies:
- database: an aws:rds/instance in the standby region whose `replicateSourceDb` is the ARN of a
  database instance in the primary region, or an aws:rds/cluster there in the same Aurora Global
  Database (`globalClusterIdentifier`) as a cluster in the primary region;
- cache: an aws:elasticache/replicationGroup in the standby region whose
  `globalReplicationGroupId` names a GlobalReplicationGroup whose `primaryReplicationGroupId` is a
  replication group in the primary region;
- backups: an aws:s3/bucketReplicationConfig on a bucket in the primary region with an enabled
  rule whose destination is a bucket in the standby region.
A value the engine does not know yet (preview) never counts as missing: the pair is not judged.
A violation names the primary's own original of the missing copy (`original_in`): its database
(an instance that replicates from nothing, an Aurora writer, not a generation a failback
retired), its cache (not a Global Datastore
secondary), its backup bucket (not an access-log bucket). In a mutual pair the primary's region
also holds copies of its partner's data; those are never named, whatever the recording order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from erlmcp_policies.common import region_from_arn
from erlmcp_policies.stack.graph import UNKNOWN, StackIndex, list_at, prop

NAME = "dr-standby-holds-replicas"

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
GLOBAL_GROUP = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"

COPIES = ("database", "cache", "backups")
# Tag of a database copy left behind by a failback: stale, unreplicated, serving nobody.
RETIRED_TAG = "dr-retired"


@dataclass(frozen=True)
class Pair:
    primary: str
    standby: str

    def __str__(self) -> str:
        return f"{self.primary} -> {self.standby}"


# A check answers True (the copy is there), False (it is not) or UNKNOWN (cannot tell yet).
Check = Callable[[StackIndex, Pair], Any]


def _database_arns(index: StackIndex, region: str) -> Any:
    """ARNs of the databases in a region that are not themselves replicas."""
    arns: set[str] = set()
    for db in index.in_region(RDS_INSTANCE, region):
        source, arn = prop(db.props, "replicateSourceDb"), prop(db.props, "arn")
        if source is UNKNOWN or arn is UNKNOWN:
            return UNKNOWN
        if not source and isinstance(arn, str):
            arns.add(arn)
    return arns


def has_database_replica(index: StackIndex, pair: Pair) -> Any:
    primaries = _database_arns(index, pair.primary)
    if primaries is UNKNOWN:
        return UNKNOWN
    for replica in index.in_region(RDS_INSTANCE, pair.standby):
        source = prop(replica.props, "replicateSourceDb")
        if source is UNKNOWN:
            return UNKNOWN
        if source in primaries:
            return True
    return False


def global_membership(index: StackIndex, cluster: PolicyResource) -> Any:
    """The Aurora Global Database a cluster belongs to (None: none): the one its
    `globalClusterIdentifier` names or, for a promoted cluster that a new Global Database was
    built from (failback), the GlobalCluster whose `sourceDbClusterIdentifier` is its ARN."""
    named = prop(cluster.props, "globalClusterIdentifier")
    if named:
        return named
    arn = prop(cluster.props, "arn")
    if arn is UNKNOWN:
        return UNKNOWN
    for global_cluster in index.of_type(GLOBAL_CLUSTER):
        source = prop(global_cluster.props, "sourceDbClusterIdentifier")
        if source is UNKNOWN:
            return UNKNOWN
        if source and source == arn:
            return prop(global_cluster.props, "globalClusterIdentifier")
    return None


def is_aurora_writer(cluster: PolicyResource, membership: Any) -> bool:
    """A writer carries the master credentials, or began as a point-in-time restore of another
    cluster (regions/lineage.py: a restore's writer, standalone until its generation heads a
    Global Database), or (a later generation's writer, promoted from a secondary) heads a Global
    Database built from it; a secondary does none of these."""
    if prop(cluster.props, "masterUsername") not in (None, UNKNOWN):
        return True
    if prop(cluster.props, "restoreToPointInTime") not in (None, UNKNOWN):
        return True
    return bool(membership) and not prop(cluster.props, "globalClusterIdentifier")


def has_aurora_secondary(index: StackIndex, pair: Pair) -> Any:
    """A cluster in the standby region in the same Aurora Global Database as one in the primary."""
    primaries = set()
    for cluster in index.in_region(RDS_CLUSTER, pair.primary):
        global_id = global_membership(index, cluster)
        if global_id is UNKNOWN:
            return UNKNOWN
        if global_id:
            primaries.add(global_id)
    for cluster in index.in_region(RDS_CLUSTER, pair.standby):
        global_id = global_membership(index, cluster)
        if global_id is UNKNOWN:
            return UNKNOWN
        if global_id in primaries:
            return True
    return False


def has_database_copy(index: StackIndex, pair: Pair) -> Any:
    """An RDS read replica or an Aurora Global Database secondary of the primary's database."""
    replica = has_database_replica(index, pair)
    return replica if replica is not False else has_aurora_secondary(index, pair)


def _group_ids(index: StackIndex, region: str) -> Any:
    ids: set[str] = set()
    for group in index.in_region(REPLICATION_GROUP, region):
        ident = prop(group.props, "replicationGroupId")
        if ident is UNKNOWN:
            return UNKNOWN
        if isinstance(ident, str):
            ids.add(ident)
    return ids


def has_cache_secondary(index: StackIndex, pair: Pair) -> Any:
    primary_groups = _group_ids(index, pair.primary)
    if primary_groups is UNKNOWN:
        return UNKNOWN
    datastores: dict[str, Any] = {}
    for datastore in index.of_type(GLOBAL_GROUP):
        ident = prop(datastore.props, "globalReplicationGroupId")
        if ident is UNKNOWN:
            return UNKNOWN
        datastores[ident] = prop(datastore.props, "primaryReplicationGroupId")
    for secondary in index.in_region(REPLICATION_GROUP, pair.standby):
        global_id = prop(secondary.props, "globalReplicationGroupId")
        if global_id is UNKNOWN:
            return UNKNOWN
        if not global_id:
            continue
        primary_id = datastores.get(global_id)
        if primary_id is UNKNOWN:
            return UNKNOWN
        if primary_id in primary_groups:
            return True
    return False


def _buckets(index: StackIndex, region: str) -> Any:
    """Names and ARNs of the buckets in a region."""
    names: set[str] = set()
    for bucket in index.in_region(BUCKET, region):
        name, arn = prop(bucket.props, "bucket"), prop(bucket.props, "arn")
        if name is UNKNOWN or arn is UNKNOWN:
            return UNKNOWN
        names.update(v for v in (name, arn) if isinstance(v, str))
    return names


def _enabled_destinations(config: Any) -> Any:
    destinations = []
    for rule in list_at(config.props, "rules"):
        status = prop(rule, "status")
        target = prop(rule, "destination", "bucket")
        if UNKNOWN in (rule, status, target):
            return UNKNOWN
        if status == "Enabled" and isinstance(target, str):
            destinations.append(target)
    return destinations


def has_backup_replication(index: StackIndex, pair: Pair) -> Any:
    sources, targets = _buckets(index, pair.primary), _buckets(index, pair.standby)
    if sources is UNKNOWN or targets is UNKNOWN:
        return UNKNOWN
    for config in index.of_type(BUCKET_REPLICATION):
        source = prop(config.props, "bucket")
        if source is UNKNOWN:
            return UNKNOWN
        if source not in sources:
            continue
        destinations = _enabled_destinations(config)
        if destinations is UNKNOWN:
            return UNKNOWN
        if any(d in targets for d in destinations):
            return True
    return False


# What each copy is a copy of: a violation is reported against that resource in the primary.
ORIGINALS = {
    "database": (RDS_INSTANCE, RDS_CLUSTER),
    "cache": (REPLICATION_GROUP,),
    "backups": (BUCKET,),
}


def retired(resource: PolicyResource) -> bool:
    return bool(prop(resource.props, "tags", RETIRED_TAG))


def _own_database(index: StackIndex, db: PolicyResource) -> bool:
    """The primary's current database: not a copy of another's, not a retired generation."""
    if retired(db):
        return False
    if db.resource_type == RDS_INSTANCE:
        source = prop(db.props, "replicateSourceDb")
        return source is not UNKNOWN and not source
    return is_aurora_writer(db, global_membership(index, db))


def own_cache(index: StackIndex, group: PolicyResource) -> bool:
    """Not a Global Datastore secondary: in no datastore, or the one its datastore names as
    primary (AWS reports the datastore's id on the primary group too)."""
    global_id = prop(group.props, "globalReplicationGroupId")
    if not global_id:
        return True
    primaries = {
        prop(d.props, "globalReplicationGroupId"): prop(d.props, "primaryReplicationGroupId")
        for d in index.of_type(GLOBAL_GROUP)
    }
    return primaries.get(global_id) == prop(group.props, "replicationGroupId")


def _own_backups(index: StackIndex, bucket: PolicyResource) -> bool:
    """Not a bucket that receives another bucket's access logs."""
    log_targets = {prop(logging.props, "targetBucket") for logging in index.of_type(BUCKET_LOGGING)}
    return not log_targets.intersection(
        value for value in (prop(bucket.props, "bucket"), prop(bucket.props, "arn")) if value
    )


OWN: dict[str, Callable[[StackIndex, PolicyResource], bool]] = {
    "database": _own_database,
    "cache": own_cache,
    "backups": _own_backups,
}


def original_in(index: StackIndex, copy_kind: str, region: str) -> PolicyResource | None:
    """What a violation names: the region's own original of `copy_kind` (any candidate when none
    is recognisably its own), the first by URN, so the recording order never decides."""
    candidates = sorted(
        (r for type_ in ORIGINALS[copy_kind] for r in index.in_region(type_, region)),
        key=lambda r: r.urn,
    )
    own = [r for r in candidates if OWN[copy_kind](index, r)]
    return (own or candidates or [None])[0]


CHECKS: dict[str, tuple[Check, str]] = {
    "database": (
        has_database_copy,
        "{standby} holds no copy of {primary}'s database (an aws:rds/instance in {standby} "
        "whose replicateSourceDb is the ARN of a database in {primary}, or an Aurora cluster in "
        "{standby} in the same Global Database as one in {primary})",
    ),
    "cache": (
        has_cache_secondary,
        "{standby} holds no secondary of {primary}'s cache (an ElastiCache replication group in "
        "{standby} in a Global Datastore whose primary group is in {primary})",
    ),
    "backups": (
        has_backup_replication,
        "{standby} is not the replication target of {primary}'s backups (a "
        "BucketReplicationConfig on a bucket in {primary} with an enabled rule to a bucket in "
        "{standby})",
    ),
}


def inferred_pairs(index: StackIndex) -> set[Pair]:
    """The pairs that the cross-region copies in the stack name."""
    pairs: set[Pair] = set()

    def add(primary: Any, standby: Any) -> None:
        if isinstance(primary, str) and isinstance(standby, str) and primary != standby:
            pairs.add(Pair(primary, standby))

    for db in index.of_type(RDS_INSTANCE):
        add(region_from_arn(prop(db.props, "replicateSourceDb")), index.region_of(db))
    groups = {
        prop(g.props, "replicationGroupId"): index.region_of(g)
        for g in index.of_type(REPLICATION_GROUP)
    }
    datastores = {
        prop(d.props, "globalReplicationGroupId"): prop(d.props, "primaryReplicationGroupId")
        for d in index.of_type(GLOBAL_GROUP)
    }
    for group in index.of_type(REPLICATION_GROUP):
        global_id = prop(group.props, "globalReplicationGroupId")
        if isinstance(global_id, str) and global_id in datastores:
            add(groups.get(datastores[global_id]), index.region_of(group))
    bucket_regions: dict[Any, Any] = {}
    for bucket in index.of_type(BUCKET):
        for key in ("bucket", "arn"):
            bucket_regions[prop(bucket.props, key)] = index.region_of(bucket)
    for config in index.of_type(BUCKET_REPLICATION):
        source_region = index.region_of(config)
        destinations = _enabled_destinations(config)
        for target in destinations if destinations is not UNKNOWN else []:
            add(source_region, bucket_regions.get(target))
    return pairs


def pair_list(description: str) -> dict[str, Any]:
    """Config schema of a list of {primary, standby} pairs."""
    return {
        "type": "array",
        "description": description,
        "items": {
            "type": "object",
            "properties": {"primary": {"type": "string"}, "standby": {"type": "string"}},
            "required": ["primary", "standby"],
        },
        "default": [],
    }


def configured_pairs(config: Any, key: str = "dr_pairs") -> set[Pair]:
    return {
        Pair(str(p["primary"]), str(p["standby"]))
        for p in config.get(key) or []
        if "primary" in p and "standby" in p
    }


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    required = [c for c in config.get("require", COPIES) if c in CHECKS]
    index = StackIndex(args.resources)
    failed_over = configured_pairs(config, "failed_over")
    configured = configured_pairs(config)
    # A failed-over pair's failback copy (in the primary, following the promoted standby) names
    # the reverse pair; it is the way home, not a DR pair of its own.
    going_home = {Pair(p.standby, p.primary) for p in failed_over} - configured
    for pair in sorted(inferred_pairs(index) | configured, key=str):
        if pair in failed_over or pair in going_home:
            continue
        for copy_kind in required:
            check, message = CHECKS[copy_kind]
            if check(index, pair) is False:
                text = message.format(primary=pair.primary, standby=pair.standby)
                original = original_in(index, copy_kind, pair.primary)
                report_violation(f"DR pair {pair}: {text}.", original.urn if original else None)


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "Every DR standby region holds a replica of its primary's database, a Global Datastore "
        "secondary of its cache and the replication target of its backups, so a failover has "
        "the data to fail over to [AWS Security Hub S3.7; CKV_AWS_144; erlmcp runbook §3.1]"
    ),
    validate=validate,
    config_schema=PolicyConfigSchema(
        properties={
            "dr_pairs": pair_list("DR pairs that must exist even if the stack names none of them"),
            "failed_over": pair_list("DR pairs in failover (their standby serves): not judged"),
            "require": {
                "type": "array",
                "description": "Which copies a standby must hold",
                "items": {"type": "string", "enum": list(COPIES)},
                "default": list(COPIES),
            },
        }
    ),
)
