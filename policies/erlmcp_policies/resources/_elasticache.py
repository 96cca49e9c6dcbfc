"""ElastiCache plumbing shared by the ElastiCache policies (not a policy).

A Global Datastore secondary (a replication group with globalReplicationGroupId) takes its engine,
version and encryption settings from the datastore, whose settings come from the primary group,
and AWS rejects them on the secondary. Policies about those settings judge the primary group and
accept a secondary as it is: the secondary cannot differ from its primary.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erlmcp_policies.common import has_value, prop

REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


def is_global_secondary(props: Mapping[str, Any]) -> bool:
    return has_value(prop(props, "globalReplicationGroupId"))
