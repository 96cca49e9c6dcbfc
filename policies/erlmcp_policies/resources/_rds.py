"""RDS plumbing shared by the RDS policies (not a policy)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erlmcp_policies.common import has_value, prop

INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"


def is_replica(props: Mapping[str, Any]) -> bool:
    """A read replica: it names its source (unknown counts: it will)."""
    return has_value(prop(props, "replicateSourceDb"))


def kind(resource_type: str, props: Mapping[str, Any]) -> str:
    """'replica', 'primary' or 'cluster', for messages."""
    if resource_type == CLUSTER:
        return "cluster"
    return "replica" if is_replica(props) else "primary"
