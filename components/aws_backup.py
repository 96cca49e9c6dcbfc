"""Immutable database backups with AWS Backup: a locked vault per region, a daily plan that copies
each recovery point into the DR partner's vault, and the service role AWS Backup works as.

Why, next to RDS's own automated backups: those live and die with the database (deleting the
instance, or an account compromise, can take them), and they stay in one region. Recovery points
in a vault under Backup Vault Lock cannot be deleted by anyone, root included, before their
retention ends, and the copy in the partner region survives the loss of the primary's region.

Vault Lock in compliance mode: `changeable_for_days` is set, so after that grace period (at least
3 days: AWS Backup enforces a 72-hour cooling-off, AWS::Backup::BackupVault
LockConfigurationType, "ChangeableForDays") the lock itself can no longer be changed or removed,
and the vault cannot be deleted while it holds recovery points. Until then `pulumi destroy` or a
config change can still undo it. Every rule writing into a locked vault must keep recovery points
between the lock's minimum and maximum retention, or its jobs fail; the config model checks that.

The service role holds AWS's managed policies AWSBackupServiceRolePolicyForBackup and
...ForRestores (AWS Backup Developer Guide, "Managed policies for AWS Backup"); the region keys
hand their use to IAM policies of the account (components/kms.py), which is what lets the role
have the copies re-encrypted with the destination vault's key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.service_role import service_role

BACKUP_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
RESTORE_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"
# AWS Backup refuses a lock that could become immutable in less than its 72-hour cooling-off.
MIN_CHANGEABLE_DAYS = 3
_VAULT_NAME = re.compile(r"^[A-Za-z0-9_.-]{2,50}$")


@dataclass(frozen=True)
class VaultLock:
    min_retention_days: int
    max_retention_days: int
    changeable_for_days: int = MIN_CHANGEABLE_DAYS

    def __post_init__(self) -> None:
        if not 1 <= self.min_retention_days <= self.max_retention_days:
            raise ValueError(
                f"vault lock needs 1 <= min_retention_days <= max_retention_days, got "
                f"{self.min_retention_days}..{self.max_retention_days}"
            )
        if self.changeable_for_days < MIN_CHANGEABLE_DAYS:
            raise ValueError(
                f"changeable_for_days must be >= {MIN_CHANGEABLE_DAYS} (AWS Backup's 72-hour "
                f"cooling-off), got {self.changeable_for_days}"
            )

    def admits(self, retention_days: int) -> bool:
        return self.min_retention_days <= retention_days <= self.max_retention_days


@dataclass(frozen=True)
class BackupVaultArgs:
    region: str
    vault_name: str
    kms_key_arn: pulumi.Input[str]
    """Customer-managed key in `region` that encrypts the recovery points."""
    lock: VaultLock
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = True


class BackupVault(pulumi.ComponentResource):
    """A vault in `args.region`, encrypted with the region's key, under compliance-mode lock."""

    vault_name: pulumi.Output[str]
    vault_arn: pulumi.Output[str]
    region: str
    lock: VaultLock

    def __init__(
        self, name: str, args: BackupVaultArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if not _VAULT_NAME.match(args.vault_name):
            raise ValueError(
                f"vault_name {args.vault_name!r} must be 2-50 letters, digits, '-', '_' or '.'"
            )
        super().__init__("erlmcp:components:BackupVault", name, None, opts)
        vault = aws.backup.Vault(
            f"{name}-vault",
            region=args.region,
            name=args.vault_name,
            kms_key_arn=args.kms_key_arn,
            force_destroy=False,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.backup.VaultLockConfiguration(
            f"{name}-lock",
            region=args.region,
            backup_vault_name=vault.name,
            min_retention_days=args.lock.min_retention_days,
            max_retention_days=args.lock.max_retention_days,
            changeable_for_days=args.lock.changeable_for_days,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.vault_name = vault.name
        self.vault_arn = vault.arn
        self.region = args.region
        self.lock = args.lock
        self.register_outputs({"vault_name": self.vault_name, "vault_arn": self.vault_arn})


@dataclass(frozen=True)
class BackupServiceRoleArgs:
    tags: Mapping[str, str] = field(default_factory=dict)


class BackupServiceRole(pulumi.ComponentResource):
    """The role AWS Backup assumes to take, copy and restore recovery points (one per account)."""

    role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: BackupServiceRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp:components:BackupServiceRole", name, None, opts)
        role, _ = service_role(
            f"{name}-role",
            service="backup.amazonaws.com",
            description="AWS Backup takes, copies and restores erlmcp databases as this role",
            managed_policies={
                f"{name}-backup": BACKUP_POLICY_ARN,
                f"{name}-restore": RESTORE_POLICY_ARN,
            },
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})


@dataclass(frozen=True)
class DatabaseBackupPlanArgs:
    region: str
    plan_name: str
    vault: BackupVault
    """The vault in `region` the recovery points go to."""
    copy_to: BackupVault | None
    """A vault in another region (the DR partner's) that every recovery point is copied to;
    None copies nothing (a policy of the pack, `backup-copies-immutable`, refuses that)."""
    database_arns: Sequence[pulumi.Input[str]]
    """RDS instances and Aurora clusters in `region`."""
    role_arn: pulumi.Input[str]
    start_hour_utc: int
    retention_days: int
    selection_name: str = "databases"
    """Unique within its plan only, so it need not repeat the plan's name: AWS Backup allows a
    selection 1-50 characters of [0-9A-Za-z_.-] (terraform-provider-aws
    internal/service/backup/selection.go:44, `StringLenBetween(1, 50)`), which a plan name with
    two region names in it can pass."""
    start_window_minutes: int = 60
    completion_window_minutes: int = 480
    tags: Mapping[str, str] = field(default_factory=dict)


class DatabaseBackupPlan(pulumi.ComponentResource):
    """A daily plan for the region's databases, into its vault, with a copy into the partner's."""

    plan_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: DatabaseBackupPlanArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _validate_plan(args)
        super().__init__("erlmcp:components:DatabaseBackupPlan", name, None, opts)
        lifecycle = {"delete_after": args.retention_days}
        copy_actions = (
            [{"destination_vault_arn": args.copy_to.vault_arn, "lifecycle": lifecycle}]
            if args.copy_to is not None
            else []
        )
        plan = aws.backup.Plan(
            f"{name}-plan",
            region=args.region,
            name=args.plan_name,
            rules=[
                {
                    "rule_name": "daily",
                    "target_vault_name": args.vault.vault_name,
                    "schedule": f"cron(0 {args.start_hour_utc} * * ? *)",
                    "start_window": args.start_window_minutes,
                    "completion_window": args.completion_window_minutes,
                    "lifecycle": lifecycle,
                    "copy_actions": copy_actions,
                    "recovery_point_tags": dict(args.tags),
                }
            ],
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.backup.Selection(
            f"{name}-selection",
            region=args.region,
            name=args.selection_name,
            plan_id=plan.id,
            iam_role_arn=args.role_arn,
            resources=list(args.database_arns),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.plan_id = plan.id
        self.register_outputs({"plan_id": self.plan_id})


def _validate_plan(args: DatabaseBackupPlanArgs) -> None:
    if not args.database_arns:
        raise ValueError(f"backup plan {args.plan_name!r} selects no database")
    if args.vault.region != args.region:
        raise ValueError(
            f"backup plan in {args.region} must write to a vault in {args.region}, not "
            f"{args.vault.region}"
        )
    if args.copy_to is not None and args.copy_to.region == args.region:
        raise ValueError(
            f"backup plan {args.plan_name!r} copies into its own region {args.region}; the copy "
            "must survive the region"
        )
    if not 0 <= args.start_hour_utc <= 23:
        raise ValueError(f"start_hour_utc must be 0-23, got {args.start_hour_utc}")
    if args.completion_window_minutes < args.start_window_minutes + 60:
        raise ValueError(
            "completion_window_minutes must be at least start_window_minutes + 60 (AWS Backup)"
        )
    for vault in (args.vault, args.copy_to):
        if vault is not None and not vault.lock.admits(args.retention_days):
            raise ValueError(
                f"retention_days {args.retention_days} is outside the lock of the vault in "
                f"{vault.region} ({vault.lock.min_retention_days}..."
                f"{vault.lock.max_retention_days} days): its jobs would fail"
            )
