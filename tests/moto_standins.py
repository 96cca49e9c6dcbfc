"""What moto 5.2 lacks for automatic failover, added to its own server in-process.

moto implements ElastiCache replication groups but no Global Datastore action
(moto/elasticache/responses.py has no create/describe/failover_global_replication_group), and RDS
global clusters but no FailoverGlobalCluster (moto/rds/responses.py), and a promoted read replica
still reports its source. These stand-ins add those
actions to moto's response classes, so boto3 still sends real requests (botocore checks each
against the API model) to the real moto server, which serializes the answers with the API's
output shapes (moto.core.responses.ActionResult). Their behaviour is what the API documents and
no more: a failover swaps the roles (ElastiCache: "The secondary region will become primary, and
all other clusters will become secondary", botocore elasticache service-2.json
FailoverGlobalReplicationGroup; RDS: a global failover makes the target cluster the writer,
Aurora user guide "Performing managed failovers for Aurora global databases").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from moto.core.responses import ActionResult
from moto.elasticache.exceptions import ElastiCacheException
from moto.elasticache.responses import ElastiCacheResponse
from moto.rds.exceptions import RDSClientError
from moto.rds.models import RDSBackend, rds_backends
from moto.rds.responses import RDSResponse


@dataclass
class GlobalDatastore:
    global_id: str
    members: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Replication group id -> (region, PRIMARY or SECONDARY)."""
    failovers: list[dict[str, str]] = field(default_factory=list)
    """Every FailoverGlobalReplicationGroup request, as received."""

    def shape(self) -> dict[str, Any]:
        return {
            "GlobalReplicationGroupId": self.global_id,
            "Status": "available",
            "Members": [
                {
                    "ReplicationGroupId": group,
                    "ReplicationGroupRegion": region,
                    "Role": role,
                    "Status": "associated",
                }
                for group, (region, role) in sorted(self.members.items())
            ],
        }


DATASTORES: dict[str, GlobalDatastore] = {}


def add_datastore(global_id: str, primary: tuple[str, str], *secondaries: tuple[str, str]) -> None:
    """A Global Datastore with `primary` (group id, region) and its secondaries."""
    store = GlobalDatastore(global_id)
    store.members[primary[0]] = (primary[1], "PRIMARY")
    for group, region in secondaries:
        store.members[group] = (region, "SECONDARY")
    DATASTORES[global_id] = store


class GlobalDatastoreNotFound(ElastiCacheException):
    def __init__(self, global_id: str) -> None:
        super().__init__("GlobalReplicationGroupNotFoundFault", f"{global_id} not found")


def _describe_global_replication_groups(self: ElastiCacheResponse) -> ActionResult:
    wanted = self._get_param("GlobalReplicationGroupId")
    if wanted and wanted not in DATASTORES:
        raise GlobalDatastoreNotFound(wanted)
    found = [DATASTORES[wanted]] if wanted else list(DATASTORES.values())
    return ActionResult({"GlobalReplicationGroups": [store.shape() for store in found]})


def _failover_global_replication_group(self: ElastiCacheResponse) -> ActionResult:
    global_id = self._get_param("GlobalReplicationGroupId")
    store = DATASTORES.get(global_id)
    if store is None:
        raise GlobalDatastoreNotFound(global_id)
    request = {
        "GlobalReplicationGroupId": global_id,
        "PrimaryRegion": self._get_param("PrimaryRegion"),
        "PrimaryReplicationGroupId": self._get_param("PrimaryReplicationGroupId"),
        "RequestRegion": self.region,
    }
    store.failovers.append(request)
    target = request["PrimaryReplicationGroupId"]
    if store.members.get(target, ("", ""))[0] != request["PrimaryRegion"]:
        raise ElastiCacheException(
            "InvalidParameterValue", f"{target} is not a member in {request['PrimaryRegion']}"
        )
    for group, (region, _) in list(store.members.items()):
        store.members[group] = (region, "PRIMARY" if group == target else "SECONDARY")
    return ActionResult({"GlobalReplicationGroup": store.shape()})


def _failover_global_cluster(self: RDSResponse) -> ActionResult:
    """FailoverGlobalCluster(AllowDataLoss): the target becomes the writer, the old writer a
    secondary of the same global cluster."""
    global_id = self.params.get("GlobalClusterIdentifier")
    target = self.params.get("TargetDbClusterIdentifier")
    for backend in rds_backends[self.current_account].values():
        found = backend.global_clusters.get(global_id)
        if found is None:
            continue
        arns = [member.db_cluster_arn for member in found.members]
        if target not in arns:
            raise RDSClientError("InvalidParameterValue", f"{target} is not in {global_id}")
        for member in found.members:
            member.is_writer = member.db_cluster_arn == target
        return ActionResult({"GlobalCluster": found})
    raise RDSClientError("GlobalClusterNotFoundFault", f"{global_id} not found")


_moto_promote = RDSBackend.promote_read_replica


def _promote_read_replica(self: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
    """moto keeps a promoted instance's source; RDS does not: ReadReplicaSourceDBInstanceIdentifier
    "contains the identifier of the source DB instance if this DB instance is a read replica"
    (botocore rds service-2.json, DBInstance)."""
    database = _moto_promote(self, db_kwargs)
    database.source_db_instance_identifier = None
    return database


@contextmanager
def standins() -> Iterator[dict[str, GlobalDatastore]]:
    """moto with the stand-in actions, and an empty set of Global Datastores."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            ElastiCacheResponse,
            "describe_global_replication_groups",
            _describe_global_replication_groups,
            raising=False,
        )
        patch.setattr(
            ElastiCacheResponse,
            "failover_global_replication_group",
            _failover_global_replication_group,
            raising=False,
        )
        patch.setattr(
            RDSResponse, "failover_global_cluster", _failover_global_cluster, raising=False
        )
        patch.setattr(RDSBackend, "promote_read_replica", _promote_read_replica)
        DATASTORES.clear()
        try:
            yield DATASTORES
        finally:
            DATASTORES.clear()
