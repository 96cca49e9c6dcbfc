"""Identifiers the program derives from the environment and a region, where AWS limits their
length; written once, so the config model can refuse an environment that would overflow one."""

from __future__ import annotations

# ElastiCache replication group ids: 1-40 characters (terraform-provider-aws
# internal/service/elasticache/replication_group.go:1172 `validateReplicationGroupID`).
CACHE_GROUP_ID_LIMIT = 40


def cache_group_id(environment: str, region: str) -> str:
    """A region's own Redis replication group."""
    return f"erlmcp-{environment}-{region}"


def standby_cache_group_id(environment: str, primary: str) -> str:
    """The Global Datastore secondary that a standby region holds for `primary`."""
    return f"{cache_group_id(environment, primary)}-dr"
