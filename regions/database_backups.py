"""Where the databases' immutable copies go: a locked AWS Backup vault in every region, and for
every region with databases that take writes a daily plan into its vault, copied into the vault
of each copy's DR partner (components/aws_backup.py).

A serving region without a standby (`noStandby`) has no partner, yet its recovery points must
still leave the region (policy `backup-copies-immutable`): they are copied into the vault of
`off_region_copy`, another region of the stack. Its plan's name says `no-standby`, not the
target, so adding a region that becomes a better target changes no URN (only the copy action).

Only copies that take writes are selected (regions/databases.py `WritingCopy`): a standby holds
its primary's data, whose recovery points already arrive in the standby region's vault as
copies; when a failover promotes the standby, it takes writes and gets its own plan, copied back
towards the primary's region. Logical names carry the region (and the partner), never a
position, so adding regions or pairs changes no URN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby

import pulumi

from components.aws_backup import (
    BackupVault,
    BackupVaultArgs,
    DatabaseBackupPlan,
    DatabaseBackupPlanArgs,
    VaultLock,
)
from regions.config import StackConfig
from regions.databases import WritingCopy
from regions.region import ErlmcpRegion


def vault_lock(stack: StackConfig) -> VaultLock:
    lock = stack.backups.vault.lock
    return VaultLock(
        min_retention_days=lock.min_retention_days,
        max_retention_days=lock.max_retention_days,
        changeable_for_days=lock.changeable_for_days,
    )


def build_vaults(regions: Mapping[str, ErlmcpRegion]) -> dict[str, BackupVault]:
    return {
        name: BackupVault(
            f"{name}-backup-vault",
            BackupVaultArgs(
                region=name,
                vault_name=f"erlmcp-{region.stack.environment}-{name}",
                kms_key_arn=region.key.key_arn,
                lock=vault_lock(region.stack),
                tags=region.tags,
            ),
            opts=pulumi.ResourceOptions(parent=region),
        )
        for name, region in sorted(regions.items())
    }


def geography(region: str) -> str:
    """The region code's area prefix: `ap` for ap-northeast-1, `eu` for eu-west-1."""
    return region.split("-", 1)[0]


def off_region_copy(stack: StackConfig, region: str) -> str | None:
    """Where a region without a DR partner copies its database recovery points: another region
    of the stack (each has a locked vault), preferring, in order, one in the same area (data
    stays on its continent, the copy crosses the shortest distance), the home region, and then
    the first by name; so the choice is the same at every run. None if the stack has no other
    region."""
    others = [name for name in stack.regions if name != region]
    if not others:
        return None
    return min(
        others,
        key=lambda name: (geography(name) != geography(region), name != stack.home_region, name),
    )


def plan_databases(
    regions: Mapping[str, ErlmcpRegion],
    vaults: Mapping[str, BackupVault],
    writing: Sequence[WritingCopy],
    role_arn: pulumi.Input[str],
) -> list[DatabaseBackupPlan]:
    """One plan per region and partner, selecting that region's writing copies."""

    def key(copy: WritingCopy) -> tuple[str, str]:
        return copy.region, copy.partner or ""

    plans = []
    for (name, partner), copies in groupby(sorted(writing, key=key), key=key):
        region = regions[name]
        settings = region.stack.backups.vault
        env = region.stack.environment
        suffix = f"to-{partner}" if partner else "no-standby"
        target = partner or off_region_copy(region.stack, name)
        plans.append(
            DatabaseBackupPlan(
                f"{name}-database-backups-{suffix}",
                DatabaseBackupPlanArgs(
                    region=name,
                    plan_name=f"erlmcp-{env}-{name}-databases-{suffix}",
                    vault=vaults[name],
                    copy_to=vaults[target] if target else None,
                    database_arns=[copy.arn for copy in copies],
                    role_arn=role_arn,
                    start_hour_utc=settings.start_hour_utc,
                    retention_days=settings.retention_days,
                    tags=region.tags,
                ),
                opts=pulumi.ResourceOptions(parent=region),
            )
        )
    return plans
