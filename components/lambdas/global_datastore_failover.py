"""Make a Global Datastore's secondary in this region its primary: the ElastiCache step of an
ARC Region switch plan (a `CustomActionLambda` step; ElastiCache has no execution block).

Configuration (environment): GLOBAL_REPLICATION_GROUP_ID, NEW_PRIMARY_REGION,
NEW_PRIMARY_REPLICATION_GROUP_ID; MARKER_NAMESPACE, MARKER_METRIC and MARKER_PRIMARY name the
"auto failover ran" marker this run sets first (regions/auto_failover.py); WAIT_SECONDS bounds
how long it waits for the new role.

Idempotent: a run that finds the group already primary only sets the marker and returns, so
ARC's retries (`retry_interval_minutes`) and a second execution are harmless. When the Global
Datastore refuses (busy with another change) or the new role has not shown within WAIT_SECONDS,
it raises, and ARC retries the step.

API (botocore elasticache service-2.json): DescribeGlobalReplicationGroups with
ShowMemberInfo returns Members[{ReplicationGroupId, ReplicationGroupRegion, Role}];
FailoverGlobalReplicationGroup(GlobalReplicationGroupId, PrimaryRegion,
PrimaryReplicationGroupId) "used after a failover ... to promote a secondary cluster to primary"
and is sent to the new primary's region (aws elasticache failover-global-replication-group
--region <standby>, docs/failover.md).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import boto3

POLL_SECONDS = 10


class NotYet(Exception):
    """The Global Datastore cannot fail over now; ARC retries the step."""


def handler(event: Mapping[str, Any], context: Any) -> dict[str, str]:
    return promote(
        os.environ,
        elasticache=boto3.client("elasticache", region_name=os.environ["NEW_PRIMARY_REGION"]),
        cloudwatch=boto3.client("cloudwatch", region_name=os.environ["NEW_PRIMARY_REGION"]),
    )


def promote(
    env: Mapping[str, str],
    *,
    elasticache: Any,
    cloudwatch: Any,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, str]:
    set_marker(env, cloudwatch)
    group_id = env["GLOBAL_REPLICATION_GROUP_ID"]
    target = env["NEW_PRIMARY_REPLICATION_GROUP_ID"]
    group = describe(elasticache, group_id)
    if role_of(group, target) == "PRIMARY":
        return {"status": "already-primary", "globalReplicationGroupId": group_id}
    # A Global Datastore busy with another change refuses the call
    # (InvalidGlobalReplicationGroupState); the error fails the step and ARC retries it.
    elasticache.failover_global_replication_group(
        GlobalReplicationGroupId=group_id,
        PrimaryRegion=env["NEW_PRIMARY_REGION"],
        PrimaryReplicationGroupId=target,
    )
    deadline = clock() + float(env.get("WAIT_SECONDS", "240"))
    while role_of(describe(elasticache, group_id), target) != "PRIMARY":
        if clock() >= deadline:
            raise NotYet(f"{target} is not primary of {group_id} yet; the failover is running")
        sleep(POLL_SECONDS)
    return {"status": "promoted", "globalReplicationGroupId": group_id}


def describe(elasticache: Any, group_id: str) -> dict[str, Any]:
    found = elasticache.describe_global_replication_groups(
        GlobalReplicationGroupId=group_id, ShowMemberInfo=True
    )["GlobalReplicationGroups"]
    return found[0]


def role_of(group: Mapping[str, Any], replication_group_id: str) -> str | None:
    """PRIMARY or SECONDARY ("the role of the replication group, primary or secondary"; the
    API's casing is not documented, so compared upper-cased)."""
    for member in group.get("Members", []):
        if member.get("ReplicationGroupId") == replication_group_id:
            return str(member.get("Role", "")).upper()
    return None


def set_marker(env: Mapping[str, str], cloudwatch: Any) -> None:
    """The pair's "auto failover ran" marker at 1: the interlock alarm keeps the trigger closed
    until `make failover PRIMARY=<primary> REARM=1` sets it back to 0."""
    cloudwatch.put_metric_data(
        Namespace=env["MARKER_NAMESPACE"],
        MetricData=[
            {
                "MetricName": env["MARKER_METRIC"],
                "Dimensions": [{"Name": "Primary", "Value": env["MARKER_PRIMARY"]}],
                "Value": 1.0,
                "Unit": "Count",
            }
        ],
    )
