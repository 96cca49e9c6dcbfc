"""dr-serving-region-has-standby: no region's own data lives in that region alone.

A region with its own primary database (an RDS instance that replicates from nothing, or an Aurora
cluster that is the writer of a Global Database or stands alone) must have a copy of it in another
region: an RDS read replica, or a secondary cluster of the same Global Database. Regions the stack
file knowingly leaves without a standby (`no_standby`, from its `noStandby`, each with a reason)
are not reported here; the plan shows them. Neither region of a failed-over pair (`failed_over`) is
reported until failback re-pairs them: the standby serves from the promoted copy, and the failed
primary's database has, by then, no live copy by definition. Nor is the primary of a pair whose
data is being restored to a point in time (`restoring`): its restored database gets its copy in
the restore's last stage, the pair's next generation (docs/restore.md; the plan says so). Copies
a failback or a restore left behind carry the `dr-retired` tag: they serve nobody and are not
judged.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from erlmcp_policies.stack.dr_standby import (
    RDS_CLUSTER,
    RDS_INSTANCE,
    configured_pairs,
    global_membership,
    is_aurora_writer,
    pair_list,
    retired,
)
from erlmcp_policies.stack.graph import UNKNOWN, StackIndex, prop

NAME = "dr-serving-region-has-standby"


def _own_databases(index: StackIndex) -> list[tuple[PolicyResource, Any]]:
    """(database, the value its copies name) for every database that is not itself a copy and
    not retired."""
    found = []
    for db in index.of_type(RDS_INSTANCE):
        source = prop(db.props, "replicateSourceDb")
        if source is UNKNOWN or retired(db):
            continue
        if not source:
            found.append((db, prop(db.props, "arn")))
    for cluster in index.of_type(RDS_CLUSTER):
        if retired(cluster):
            continue
        membership = global_membership(index, cluster)
        if not is_aurora_writer(cluster, membership):
            continue
        found.append((cluster, membership))
    return found


def _copies_elsewhere(index: StackIndex, db: PolicyResource, key: Any) -> Any:
    if key is UNKNOWN:
        return UNKNOWN
    if not key:
        return False
    home = index.region_of(db)
    for replica in index.of_type(RDS_INSTANCE):
        source = prop(replica.props, "replicateSourceDb")
        if source is UNKNOWN:
            return UNKNOWN
        if source == key and index.region_of(replica) != home:
            return True
    for cluster in index.of_type(RDS_CLUSTER):
        if cluster is db:
            continue
        global_id = global_membership(index, cluster)
        if global_id is UNKNOWN:
            return UNKNOWN
        if global_id == key and index.region_of(cluster) != home:
            return True
    return False


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    excepted = set(config.get("no_standby") or [])
    for pair in configured_pairs(config, "failed_over"):
        excepted |= {pair.primary, pair.standby}
    excepted |= {pair.primary for pair in configured_pairs(config, "restoring")}
    index = StackIndex(args.resources)
    for db, key in _own_databases(index):
        region = index.region_of(db)
        if not isinstance(region, str) or region in excepted:
            continue
        if _copies_elsewhere(index, db, key) is False:
            report_violation(
                f"{region} keeps its own database {db.name!r} with no copy in another region: "
                "pair it with a standby in drPairs, or list it under noStandby with the reason.",
                db.urn,
            )


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "Every region that serves from its own database keeps a copy of it in another region, "
        "unless the stack states why not [erlmcp]"
    ),
    validate=validate,
    config_schema=PolicyConfigSchema(
        properties={
            "no_standby": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Regions knowingly without a standby (the stack's noStandby)",
                "default": [],
            },
            "failed_over": pair_list("DR pairs in failover: neither region is reported"),
            "restoring": pair_list(
                "DR pairs whose primary's data is being restored to a point in time: the "
                "primary is not reported"
            ),
        }
    ),
)
