"""What changes between two plans, and loud warnings for stateful resources at risk."""

from __future__ import annotations

from typing import Any

# Resource type -> the input that names the real thing in AWS. A stateful resource whose URN
# changes while its identity stays is a rename: Pulumi would delete one and create another.
STATEFUL_IDENTITY = {
    "aws:rds/instance:Instance": "identifier",
    "aws:rds/cluster:Cluster": "clusterIdentifier",
    "aws:rds/globalCluster:GlobalCluster": "globalClusterIdentifier",
    "aws:elasticache/replicationGroup:ReplicationGroup": "replicationGroupId",
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": (
        "globalReplicationGroupIdSuffix"
    ),
    "aws:s3/bucket:Bucket": "bucket",
    "aws:kms/key:Key": "description",
    "aws:route53/zone:Zone": "name",
}


def _identity(resource: dict[str, Any]) -> Any:
    key = STATEFUL_IDENTITY.get(resource["type"])
    identity = resource["inputs"].get(key) if key else None
    # An auto-named resource (a bucket without `bucket`) is matched by where it lives.
    return identity if identity is not None else ("region", resource["region"])


def diff_plans(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    before = {r["urn"]: r for r in old["resources"]}
    after = {r["urn"]: r for r in new["resources"]}
    added = sorted(after.keys() - before.keys())
    removed = sorted(before.keys() - after.keys())
    changed = []
    for urn in sorted(before.keys() & after.keys()):
        keys = before[urn]["inputs"].keys() | after[urn]["inputs"].keys()
        inputs = sorted(
            k for k in keys if before[urn]["inputs"].get(k) != after[urn]["inputs"].get(k)
        )
        if inputs:
            changed.append({"urn": urn, "inputs": inputs})
    return {
        "added": added,
        "removed": removed,
        "changed": changed,
        "warnings": _stateful_warnings(before, after, added, removed),
    }


def _stateful_warnings(
    before: dict[str, Any], after: dict[str, Any], added: list[str], removed: list[str]
) -> list[str]:
    arrivals = {
        (after[u]["type"], _identity(after[u])): u
        for u in added
        if after[u]["type"] in STATEFUL_IDENTITY
    }
    warnings = []
    for urn in removed:
        resource = before[urn]
        if resource["type"] not in STATEFUL_IDENTITY:
            continue
        successor = arrivals.get((resource["type"], _identity(resource)))
        if successor:
            warnings.append(
                f"STATEFUL RESOURCE RENAMED: {urn} -> {successor}. Pulumi would delete it and "
                "create another (data loss); add an alias with the old name instead."
            )
        else:
            warnings.append(
                f"STATEFUL RESOURCE REMOVED: {urn} ({resource['type']}) would be deleted."
            )
    return warnings
