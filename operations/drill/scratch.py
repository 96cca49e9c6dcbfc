"""The drill's scratch database: restored from a recovery point, waited for, and deleted.

**Found again.** Every scratch database carries its name prefix, `erlmcp-drill-<env>-<primary>-`,
and the tag `erlmcp:restore-drill-of = <primary>`, both given in the restore call itself (RDS
RestoreDBInstanceFromDBSnapshot and RestoreDBClusterFromSnapshot take `Tags`; botocore's rds
service model), so no moment exists in which it stands untagged. A later run deletes whatever
carries both (`leftovers`), and nothing else: a name alone or a tag alone is someone else's.

**Restored by RDS, from AWS Backup's snapshot.** An RDS or Aurora recovery point is an RDS
snapshot in the vault's region (operations/recovery_points.py), and RDS restores it by identifier.
AWS Backup's own StartRestoreJob would do the same, but cannot tag the new database at creation
(only after the job, which an interrupt can leave untagged) and moto does not model it; RDS's
restore calls are modelled by moto. That RDS may restore from a snapshot AWS Backup owns is AWS
documentation (RDS user guide, snapshots of "Backup service"; AWS Backup developer guide,
"Restoring an Amazon RDS database"), not verified here.

**Where.** In the vault's (the standby's) region, in the DB subnet group and VPC security groups
of a database the stack already runs there (the primary's DR copy, which the standby's EKS pods
reach), so the scratch database is as reachable as that copy and from nowhere else. Single-AZ,
not public, no deletion protection, automated backups off, the master password handed to RDS
to keep in Secrets Manager (`ManageMasterUserPassword`: RDS deletes that secret with the
database) so the drill never sees the password the snapshot carries.

**Deleted** without a final snapshot: an Aurora cluster's instance first, then the cluster
(`DeleteDBInstances` too, in case an instance's own delete failed). RDS lets a database in a
failed state be deleted only that way (DeleteDBInstance documentation in botocore's rds model).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from operations.clock import Clock
from operations.recovery_points import RecoveryPoint

DRILL_TAG = "erlmcp:restore-drill-of"
STARTED_TAG = "erlmcp:restore-drill-started"
AURORA_ENGINE = "aurora-postgresql"
# RDS DBInstanceIdentifier / DBClusterIdentifier: 1-63 letters, digits or hyphens, a letter
# first, no two hyphens in a row, no hyphen last (botocore's rds model, the parameter's doc).
_IDENTIFIER = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$")
# A status a restore does not come back from (RDS user guide, "Viewing Amazon RDS DB instance
# status"); anything else but `available` is still on its way.
FAILED_STATUSES = frozenset(
    {
        "failed",
        "incompatible-restore",
        "incompatible-parameters",
        "incompatible-network",
        "incompatible-option-group",
        "inaccessible-encryption-credentials",
        "restore-error",
        "storage-full",
    }
)
_GONE = {"DBInstanceNotFound", "DBInstanceNotFoundFault", "DBClusterNotFoundFault"}


class RestoreFailed(Exception):
    """The scratch database did not become available."""


@dataclass(frozen=True)
class Placement:
    subnet_group: str
    security_groups: tuple[str, ...]
    borrowed_from: str


@dataclass(frozen=True)
class Scratch:
    region: str
    identifier: str
    """The instance's, or the Aurora cluster's."""
    is_cluster: bool

    @property
    def instance(self) -> str:
        """The instance whose status says when the database answers."""
        return f"{self.identifier}-1" if self.is_cluster else self.identifier


def scratch_prefix(environment: str, primary: str) -> str:
    return f"erlmcp-drill-{environment}-{primary}-"


def scratch_identifier(environment: str, primary: str, started: datetime) -> str:
    identifier = f"{scratch_prefix(environment, primary)}{started:%Y%m%d%H%M%S}"
    # Aurora's instance adds `-1`.
    if not _IDENTIFIER.match(identifier + "-1"):
        raise ValueError(f"{identifier!r} is no valid RDS identifier (1-63 a-z, 0-9, '-')")
    return identifier


def scratch_tags(primary: str, started: datetime, base: dict[str, str]) -> list[dict[str, str]]:
    tags = {**base, DRILL_TAG: primary, STARTED_TAG: started.isoformat(timespec="seconds")}
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


class ScratchDatabases:
    """Scratch databases in one region."""

    def __init__(self, rds: Any, region: str, clock: Clock) -> None:
        self.rds = rds
        self.region = region
        self.clock = clock

    # -- where ------------------------------------------------------------------------------

    def placement(self, candidates: Sequence[tuple[str, bool]]) -> Placement:
        """The subnet group and security groups of the first of `candidates` (identifier, is an
        Aurora cluster) that exists here."""
        for identifier, is_cluster in candidates:
            try:
                if is_cluster:
                    found = self.rds.describe_db_clusters(DBClusterIdentifier=identifier)
                    cluster = found["DBClusters"][0]
                    group = str(cluster["DBSubnetGroup"])
                    security = cluster.get("VpcSecurityGroups", [])
                else:
                    found = self.rds.describe_db_instances(DBInstanceIdentifier=identifier)
                    instance = found["DBInstances"][0]
                    group = str(instance["DBSubnetGroup"]["DBSubnetGroupName"])
                    security = instance.get("VpcSecurityGroups", [])
            except ClientError as error:
                if _code(error) in _GONE:
                    continue
                raise
            groups = tuple(str(g["VpcSecurityGroupId"]) for g in security)
            return Placement(group, groups, identifier)
        names = ", ".join(identifier for identifier, _ in candidates)
        raise RestoreFailed(
            f"no database of the stack in {self.region} to place it beside: {names}"
        )

    # -- restore ----------------------------------------------------------------------------

    def restore(
        self,
        point: RecoveryPoint,
        identifier: str,
        placement: Placement,
        instance_class: str,
        tags: list[dict[str, str]],
    ) -> Scratch:
        common = {
            "DBSubnetGroupName": placement.subnet_group,
            "VpcSecurityGroupIds": list(placement.security_groups),
            "Tags": tags,
            "DeletionProtection": False,
        }
        scratch = Scratch(self.region, identifier, point.is_cluster)
        if point.is_cluster:
            self.rds.restore_db_cluster_from_snapshot(
                DBClusterIdentifier=identifier,
                SnapshotIdentifier=point.snapshot_identifier,
                Engine=AURORA_ENGINE,
                **common,
            )
            self.rds.create_db_instance(
                DBInstanceIdentifier=scratch.instance,
                DBClusterIdentifier=identifier,
                Engine=AURORA_ENGINE,
                DBInstanceClass=instance_class,
                PubliclyAccessible=False,
                Tags=tags,
            )
        else:
            self.rds.restore_db_instance_from_db_snapshot(
                DBInstanceIdentifier=identifier,
                DBSnapshotIdentifier=point.snapshot_identifier,
                DBInstanceClass=instance_class,
                MultiAZ=False,
                PubliclyAccessible=False,
                BackupRetentionPeriod=0,
                ManageMasterUserPassword=True,
                **common,
            )
        return scratch

    def wait_available(self, scratch: Scratch, timeout_seconds: float, poll_seconds: float) -> None:
        """Until the instance is `available`; RestoreFailed on a failed status or the timeout."""
        deadline = self.clock.now().timestamp() + timeout_seconds
        while True:
            status = self.instance_status(scratch.instance)
            if status == "available":
                return
            if status in FAILED_STATUSES:
                raise RestoreFailed(f"{scratch.instance} is {status}")
            if self.clock.now().timestamp() >= deadline:
                raise RestoreFailed(
                    f"{scratch.instance} still {status} after {timeout_seconds / 60:g} min"
                )
            self.clock.sleep(poll_seconds)

    def instance_status(self, instance: str) -> str:
        found = self.rds.describe_db_instances(DBInstanceIdentifier=instance)
        return str(found["DBInstances"][0]["DBInstanceStatus"])

    # -- delete -----------------------------------------------------------------------------

    def delete(self, scratch: Scratch) -> list[str]:
        """Deletes the scratch database; the errors of what could not be deleted (empty when
        all is gone or going)."""
        errors = []
        members = [scratch.instance]
        if scratch.is_cluster:
            members = self._cluster_members(scratch.identifier) or members
        for instance in members:
            errors += self._delete_instance(instance)
        if scratch.is_cluster:
            errors += self._delete_cluster(scratch.identifier)
        return errors

    def _cluster_members(self, cluster: str) -> list[str]:
        try:
            found = self.rds.describe_db_clusters(DBClusterIdentifier=cluster)
        except ClientError:
            return []
        return [str(m["DBInstanceIdentifier"]) for m in found["DBClusters"][0]["DBClusterMembers"]]

    def _delete_instance(self, instance: str) -> list[str]:
        try:
            self.rds.delete_db_instance(
                DBInstanceIdentifier=instance, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
            )
        except ClientError as error:
            if _code(error) not in _GONE:
                return [f"{instance}: {error}"]
        return []

    def _delete_cluster(self, cluster: str) -> list[str]:
        try:
            self.rds.delete_db_cluster(
                DBClusterIdentifier=cluster, SkipFinalSnapshot=True, DeleteDBInstances=True
            )
        except ClientError as error:
            if _code(error) not in _GONE:
                return [f"{cluster}: {error}"]
        return []

    def leftovers(self, environment: str, primary: str) -> list[Scratch]:
        """Scratch databases of earlier drills of `primary` here: name prefix and tag both."""
        prefix = scratch_prefix(environment, primary)
        found: dict[str, Scratch] = {}
        pages = self.rds.get_paginator("describe_db_clusters").paginate()
        for cluster in (c for page in pages for c in page["DBClusters"]):
            name = str(cluster["DBClusterIdentifier"])
            if name.startswith(prefix) and _tagged(cluster.get("TagList"), primary):
                found[name] = Scratch(self.region, name, True)
        pages = self.rds.get_paginator("describe_db_instances").paginate()
        for instance in (i for page in pages for i in page["DBInstances"]):
            name = str(instance["DBInstanceIdentifier"])
            in_cluster = instance.get("DBClusterIdentifier")
            if in_cluster or not name.startswith(prefix):
                continue
            if (
                _tagged(instance.get("TagList"), primary)
                and instance["DBInstanceStatus"] != "deleting"
            ):
                found[name] = Scratch(self.region, name, False)
        return [found[name] for name in sorted(found)]


def _tagged(tags: Any, primary: str) -> bool:
    return any(t.get("Key") == DRILL_TAG and t.get("Value") == primary for t in tags or [])


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
