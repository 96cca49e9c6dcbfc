"""AWS Backup recovery points of a database, read from a vault (ListRecoveryPointsByBackupVault,
filtered by the database's ARN).

A vault holds the points AWS Backup took of the databases of its own region and the copies the
partner region's plan sent it (components/aws_backup.py: every rule copies into the DR
partner's vault). A copy keeps the source database's ARN as its `ResourceArn` and names the
vault it came from in `SourceBackupVaultArn` (botocore's backup service model,
`RecoveryPointByBackupVault`), so one filtered listing finds both. An RDS or Aurora recovery
point is an RDS snapshot in the vault's region: its ARN is the snapshot's
(`arn:aws:rds:<region>:<account>:snapshot:awsbackup:job-...` for an instance,
`...:cluster-snapshot:...` for an Aurora cluster), which RDS restores from by identifier.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Points a restore can start from. AWS Backup's statuses (service model `RecoveryPointStatus`):
# COMPLETED, PARTIAL, DELETING, EXPIRED, AVAILABLE, STOPPED, CREATING.
RESTORABLE = frozenset({"COMPLETED", "AVAILABLE"})


@dataclass(frozen=True)
class RecoveryPoint:
    arn: str
    vault: str
    region: str
    resource_arn: str
    status: str
    created: datetime
    copied_from: str | None
    """The vault ARN it was copied from; None for a point taken in this vault's region."""

    @property
    def snapshot_identifier(self) -> str:
        """The RDS snapshot's identifier: the ARN after `snapshot:` or `cluster-snapshot:`."""
        kind = "cluster-snapshot:" if self.is_cluster else "snapshot:"
        return self.arn.split(kind, 1)[1]

    @property
    def is_cluster(self) -> bool:
        return ":cluster-snapshot:" in self.arn

    def age_minutes(self, now: datetime) -> float:
        return (now - self.created).total_seconds() / 60


def recovery_points(backup: Any, vault: str, region: str, resource_arn: str) -> list[RecoveryPoint]:
    """Every recovery point of `resource_arn` in `vault`."""
    pages = backup.get_paginator("list_recovery_points_by_backup_vault").paginate(
        BackupVaultName=vault, ByResourceArn=resource_arn
    )
    return [
        RecoveryPoint(
            arn=str(point["RecoveryPointArn"]),
            vault=vault,
            region=region,
            resource_arn=str(point.get("ResourceArn", "")),
            status=str(point.get("Status", "")),
            created=point["CreationDate"],
            copied_from=point.get("SourceBackupVaultArn"),
        )
        for page in pages
        for point in page.get("RecoveryPoints", [])
    ]


def newest_restorable(points: Iterable[RecoveryPoint]) -> RecoveryPoint | None:
    usable = [point for point in points if point.status in RESTORABLE]
    return max(usable, key=lambda point: point.created, default=None)
