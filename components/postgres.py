"""RDS for PostgreSQL: a primary instance, and a cross-region read replica of one.

Both share the same network and configuration helpers: a DB subnet group in the given private
subnets, a security group that admits TCP 5432 only from the given client security groups, and a
parameter group of the engine's family that forces TLS and turns on useful logging.

Security group without egress rules
-----------------------------------
The security group has ingress rules only, and no egress rule at all (the provider removes the
allow-all egress rule AWS adds to a new group). Security groups are stateful, so replies to an
admitted client connection leave regardless of egress rules; RDS PostgreSQL never opens
connections to anything in the VPC on its own; and replication to a cross-region replica, backups,
log exports and Performance Insights travel over RDS's own network, not through the instance's
ENI. An egress rule would only widen what a compromised database could reach.

Cross-region replica: what it may and may not set
-------------------------------------------------
A replica inherits the engine, engine version, master user name, master password and database
name from its source. The provider rejects `username` and `db_name` together with
`replicate_source_db` (ConflictsWith in the aws_db_instance schema), and the SDK docstrings say
both "cannot be specified for a replica"; `password` on a replica would be sent as a later
ModifyDBInstance and fight with the source. `engine` and `engine_version` are accepted but only
duplicate the source: pinning `engine_version` here would drift (or try to downgrade) as soon as
the primary takes a minor upgrade, so the replica's `engine_version` arg only picks the family of
its own parameter group. Without that group, a cross-region replica gets the region's default
parameter group (no forced TLS), and without its own subnet group it lands in the region's
`default` subnet group.

An encrypted cross-region replica must be encrypted with a KMS key of the *destination* region:
`kms_key_arn` is the standby region's key (`storage_encrypted` is ignored by AWS for cross-region
replicas; the key decides). Replicas cannot take a final snapshot, so `skip_final_snapshot` is
True; `deletion_protection` and `protect` guard them instead. Backups: RDS creates replicas with
backups off; the provider applies `backup_retention_period` in a ModifyDBInstance right after
creation, which RDS for PostgreSQL allows on replicas from 14.1 on (this module requires 15+), so a
replica that is promoted during a failover already has automated backups and point-in-time
recovery from its first minute as a primary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.client_access import (
    ClientSecurityGroups,
    check_client_groups,
    client_security_group,
)
from components.rds_monitoring import enhanced_monitoring

POSTGRES_PORT = 5432
MIN_MAJOR_VERSION = 15
# VERSION_POLICY: the config pins the full engine version (16.6) and AWS does not upgrade minors
# on its own (`auto_minor_version_upgrade=False` on RDS and Aurora instances); a minor upgrade is
# a config change, reviewed in the plan like any other. Why not let AWS upgrade: the provider
# then reads the newer version into state and plans a "downgrade" to the config's, which RDS
# refuses (terraform-provider-aws internal/service/rds/engine_version.go,
# `compareActualEngineVersion`; issues #39579, #48936), and pinning only the major ("16") is
# resent as-is by aws_rds_cluster on any modify (cluster.go Update compares it with
# `engine_version_actual`). When AWS forces an upgrade (a minor's end of support), the next plan
# shows the downgrade: raise the config to the version AWS moved to. Copies that join an Aurora
# Global Database join at its actual version (components/aurora.py `joins_at_version`).
LOG_EXPORTS = ("postgresql", "upgrade")
STORAGE_TYPE = "gp3"
# Performance Insights' free retention tier; longer retention is billed per vCPU.
PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7

# RDS instance identifiers: a letter, then letters, digits and single hyphens, at most 63
# characters, not ending in a hyphen. RDS stores them lowercased, so uppercase would diff forever.
_IDENTIFIER = re.compile(r"^[a-z](?:[a-z0-9]|-(?!-)){0,62}$")
_ENGINE_VERSION = re.compile(r"^(\d+)(?:\.\d+)*$")


def postgres_family(engine_version: str) -> str:
    """The parameter group family of an RDS PostgreSQL version: "16.4" -> "postgres16"."""
    matched = _ENGINE_VERSION.match(engine_version)
    if matched is None:
        raise ValueError(
            f"engine_version {engine_version!r} is not a PostgreSQL version such as '16.4'"
        )
    major = int(matched.group(1))
    if major < MIN_MAJOR_VERSION:
        raise ValueError(
            f"engine_version {engine_version!r}: PostgreSQL {MIN_MAJOR_VERSION}+ is required"
        )
    return f"postgres{major}"


def check_identifier(identifier: str) -> None:
    if not _IDENTIFIER.match(identifier) or identifier.endswith("-"):
        raise ValueError(
            f"identifier {identifier!r}: RDS identifiers are 1-63 lowercase letters, digits and "
            "single hyphens, start with a letter and do not end with a hyphen"
        )


def check_backup_retention(days: int) -> None:
    # 0 would disable backups (and, on a primary, make cross-region replicas impossible).
    if not 1 <= days <= 35:
        raise ValueError(f"backup_retention_days {days}: must be between 1 and 35")


@dataclass(frozen=True)
class PointInTimeRestore:
    """A database that begins as a copy of another, in the same region, as it was at `time`.

    A new instance or cluster beside the source, never the source restored in place: the
    provider creates it with RestoreDBInstanceToPointInTime or RestoreDBClusterToPointInTime
    from the `restore_to_point_in_time` block (terraform-provider-aws, commit 1a5174b1,
    internal/service/rds/instance.go lines 538-575 and 1346-1528; cluster.go lines 365-406 and
    841-959). The block is ForceNew on both (instance.go:541, cluster.go:368): changing it
    later would replace the database, so it is given once and then kept as it was."""

    source_identifier: str
    """The source's RDS identifier (instance or cluster); the provider accepts it for both
    (`source_db_instance_identifier`, `source_cluster_identifier`)."""
    time: str
    """RFC 3339 in UTC (`2026-05-01T09:30:00Z`): the provider's `ValidUTCTimestamp`."""


def _named(tags: Mapping[str, str], name: str) -> dict[str, str]:
    return {**tags, "Name": name}


def private_database_network(
    owner: pulumi.Resource,
    name: str,
    *,
    region: str,
    vpc_id: pulumi.Input[str],
    subnet_ids: Sequence[pulumi.Input[str]],
    clients: ClientSecurityGroups,
    tags: Mapping[str, str],
) -> tuple[aws.rds.SubnetGroup, aws.ec2.SecurityGroup]:
    """Subnet group and a security group open on 5432 to the client groups only."""
    child = pulumi.ResourceOptions(parent=owner)
    subnet_group = aws.rds.SubnetGroup(
        f"{name}-subnets",
        region=region,
        description=f"Private subnets of {name}",
        subnet_ids=list(subnet_ids),
        tags=_named(tags, f"{name}-subnets"),
        opts=child,
    )
    security_group = client_security_group(
        owner,
        name,
        region=region,
        vpc_id=vpc_id,
        port=POSTGRES_PORT,
        service="PostgreSQL",
        clients=clients,
        tags=tags,
    )
    return subnet_group, security_group


def postgres_parameters() -> list[aws.rds.ParameterGroupParameterArgs]:
    def dynamic(param: str, value: str) -> aws.rds.ParameterGroupParameterArgs:
        return aws.rds.ParameterGroupParameterArgs(
            name=param, value=value, apply_method="immediate"
        )

    return [
        # TLS only; the default is already 1 from PostgreSQL 15 on, but a default can change.
        dynamic("rds.force_ssl", "1"),
        # Statements slower than the P99 target (500 ms) are logged with their duration.
        dynamic("log_min_duration_statement", "500"),
        dynamic("log_connections", "1"),
        dynamic("log_disconnections", "1"),
        dynamic("log_lock_waits", "1"),
        dynamic("log_statement", "ddl"),
        # Static: takes effect at the next reboot, never by forcing one mid-day.
        aws.rds.ParameterGroupParameterArgs(
            name="shared_preload_libraries",
            value="pg_stat_statements",
            apply_method="pending-reboot",
        ),
    ]


def _parameter_group(
    owner: pulumi.Resource,
    name: str,
    *,
    region: str,
    engine_version: str,
    tags: Mapping[str, str],
) -> aws.rds.ParameterGroup:
    # Auto-named on purpose: a major upgrade changes the family, which replaces the group, and a
    # generated name lets the new group exist before the instance is moved off the old one.
    family = postgres_family(engine_version)
    return aws.rds.ParameterGroup(
        f"{name}-params",
        region=region,
        family=family,
        description=f"{family} settings of {name}: forced TLS, slow-query and connection logs",
        parameters=postgres_parameters(),
        tags=_named(tags, f"{name}-params"),
        opts=pulumi.ResourceOptions(parent=owner),
    )


def performance_insights(enabled: bool, kms_key_arn: pulumi.Input[str]) -> dict[str, object]:
    if not enabled:
        return {"performance_insights_enabled": False}
    return {
        "performance_insights_enabled": True,
        "performance_insights_kms_key_id": kms_key_arn,
        "performance_insights_retention_period": PERFORMANCE_INSIGHTS_RETENTION_DAYS,
    }


class _PostgresOutputs(pulumi.ComponentResource):
    """What both components expose, taken from their DB instance and security group."""

    instance_arn: pulumi.Output[str]
    instance_identifier: pulumi.Output[str]
    address: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    port: pulumi.Output[int]
    security_group_id: pulumi.Output[str]

    def _network_and_parameters(
        self, name: str, args: PostgresPrimaryArgs | PostgresReplicaArgs
    ) -> tuple[aws.rds.SubnetGroup, aws.ec2.SecurityGroup, aws.rds.ParameterGroup]:
        subnet_group, security_group = private_database_network(
            self,
            name,
            region=args.region,
            vpc_id=args.vpc_id,
            subnet_ids=args.subnet_ids,
            clients=args.client_security_group_ids,
            tags=args.tags,
        )
        parameter_group = _parameter_group(
            self, name, region=args.region, engine_version=args.engine_version, tags=args.tags
        )
        return subnet_group, security_group, parameter_group

    def _instance(
        self,
        name: str,
        args: PostgresPrimaryArgs | PostgresReplicaArgs,
        network: tuple[aws.rds.SubnetGroup, aws.ec2.SecurityGroup, aws.rds.ParameterGroup],
        apply_immediately: bool = False,
        **role: Any,
    ) -> aws.rds.Instance:
        """An encrypted, private, deletion-protected instance; `role` adds primary or replica
        settings. Changes wait for the maintenance window unless `apply_immediately`."""
        subnet_group, security_group, parameter_group = network
        return aws.rds.Instance(
            f"{name}-db",
            region=args.region,
            identifier=args.identifier,
            instance_class=args.instance_class,
            storage_type=STORAGE_TYPE,
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            port=POSTGRES_PORT,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[security_group.id],
            parameter_group_name=parameter_group.name,
            publicly_accessible=False,
            iam_database_authentication_enabled=True,
            backup_retention_period=args.backup_retention_days,
            copy_tags_to_snapshot=True,
            deletion_protection=True,
            # VERSION_POLICY: minors move through config, never behind its back.
            auto_minor_version_upgrade=False,
            apply_immediately=apply_immediately,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            **performance_insights(args.performance_insights, args.kms_key_arn),
            **enhanced_monitoring(args.monitoring_role_arn),
            tags=_named(args.tags, args.identifier),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            **role,
        )

    def _expose(self, instance: aws.rds.Instance, security_group: aws.ec2.SecurityGroup) -> None:
        self.instance_arn = instance.arn
        self.instance_identifier = instance.identifier
        self.address = instance.address
        self.endpoint = instance.endpoint
        self.port = instance.port
        self.security_group_id = security_group.id
        self.register_outputs(
            {
                "instance_arn": self.instance_arn,
                "instance_identifier": self.instance_identifier,
                "address": self.address,
                "endpoint": self.endpoint,
                "port": self.port,
                "security_group_id": self.security_group_id,
            }
        )


@dataclass(frozen=True)
class PostgresPrimaryArgs:
    region: str
    identifier: str
    """The RDS instance identifier; fixed here so renaming the Pulumi resource never changes it."""
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    client_security_group_ids: ClientSecurityGroups
    kms_key_arn: pulumi.Input[str]
    engine_version: str
    instance_class: str
    allocated_storage_gb: int
    max_allocated_storage_gb: int
    database_name: str
    username: str
    password: pulumi.Input[str]
    backup_retention_days: int
    backup_window: str
    maintenance_window: str
    multi_az: bool = True
    performance_insights: bool = True
    monitoring_role_arn: pulumi.Input[str] | None = None
    """The Enhanced Monitoring role (components/rds_monitoring.py); None: monitoring off."""
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = True

    def __post_init__(self) -> None:
        postgres_family(self.engine_version)
        check_identifier(self.identifier)
        check_backup_retention(self.backup_retention_days)
        check_client_groups(self.client_security_group_ids)
        if self.max_allocated_storage_gb < self.allocated_storage_gb:
            raise ValueError(
                f"max_allocated_storage_gb {self.max_allocated_storage_gb} is below "
                f"allocated_storage_gb {self.allocated_storage_gb}"
            )


class PostgresPrimary(_PostgresOutputs):
    """A Multi-AZ, encrypted, deletion-protected RDS PostgreSQL primary in one region."""

    def __init__(
        self, name: str, args: PostgresPrimaryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp:components:PostgresPrimary", name, None, opts)
        subnet_group, security_group, parameter_group = self._network_and_parameters(name, args)
        instance = self._instance(
            name,
            args,
            (subnet_group, security_group, parameter_group),
            engine="postgres",
            engine_version=args.engine_version,
            allocated_storage=args.allocated_storage_gb,
            max_allocated_storage=args.max_allocated_storage_gb,
            db_name=args.database_name,
            username=args.username,
            password=pulumi.Output.secret(args.password),
            multi_az=args.multi_az,
            backup_window=args.backup_window,
            maintenance_window=args.maintenance_window,
            # Automated backups outlive the instance (for their retention period) if it is deleted.
            delete_automated_backups=False,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{args.identifier}-final",
        )
        self._expose(instance, security_group)


@dataclass(frozen=True)
class PostgresReplicaArgs:
    region: str
    """The standby region, where the replica is built."""
    source_instance_arn: pulumi.Input[str] | None
    """ARN of the source in another region (cross-region replicas need the ARN, not the id);
    None only once promoted, when nothing is replicated any more."""
    identifier: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    client_security_group_ids: ClientSecurityGroups
    kms_key_arn: pulumi.Input[str]
    """A KMS key of the standby region: the source's key cannot be used across regions."""
    engine_version: str
    """The primary's version; used only for the family of the replica's own parameter group."""
    instance_class: str
    backup_retention_days: int
    multi_az: bool = False
    max_allocated_storage_gb: int | None = None
    """Storage autoscaling ceiling; the replica does not follow the primary's autoscaling, and a
    full replica stops replaying WAL."""
    performance_insights: bool = True
    monitoring_role_arn: pulumi.Input[str] | None = None
    """The Enhanced Monitoring role (components/rds_monitoring.py); None: monitoring off."""
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = True
    promoted: bool = False
    """Failover: a promoted replica no longer follows its source and takes writes. The provider
    promotes it in place (PromoteReadReplica) when `replicate_source_db` goes away; the instance,
    its identifier and its URN stay. It cannot become a replica again: failback builds new copies
    (regions/lineage.py)."""
    restored_from: PointInTimeRestore | None = None
    """Instead of a replica: a new standalone instance restored from another instance of its
    region to a point in time (`promoted` must be True: it follows nothing). Its engine, master
    user, password, database name, storage and key come from the source."""

    def __post_init__(self) -> None:
        if self.restored_from is not None and (
            not self.promoted or self.source_instance_arn is not None
        ):
            raise ValueError(
                f"restored_from of {self.identifier}: a restored instance is standalone "
                "(promoted, no source_instance_arn)"
            )
        if self.source_instance_arn is None and not self.promoted:
            raise ValueError(
                f"source_instance_arn of {self.identifier}: a replica that is not promoted "
                "needs the ARN of the instance it follows"
            )
        postgres_family(self.engine_version)
        check_identifier(self.identifier)
        check_backup_retention(self.backup_retention_days)
        check_client_groups(self.client_security_group_ids)


class PostgresReplica(_PostgresOutputs):
    """An encrypted cross-region read replica of a PostgreSQL primary, built in the standby region.

    Promotion (failover) is `promoted=True`, which removes `replicate_source_db`; once promoted it
    is a standalone primary and keeps a final snapshot if it is ever deleted.
    """

    def __init__(
        self, name: str, args: PostgresReplicaArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp:components:PostgresReplica", name, None, opts)
        subnet_group, security_group, parameter_group = self._network_and_parameters(name, args)
        storage_autoscaling = (
            {}
            if args.max_allocated_storage_gb is None
            else {"max_allocated_storage": args.max_allocated_storage_gb}
        )
        # A replica follows its source and cannot take a final snapshot. A promoted replica is a
        # primary: it keeps a final snapshot, states its engine, which the instance already has
        # (no diff, no replace), and runs Multi-AZ at once: it is the only copy taking writes, and
        # without `apply_immediately` RDS would convert it in the next maintenance window, days
        # away. Converting to Multi-AZ adds a standby without an outage (RDS User Guide,
        # "Modifying a DB instance to be a Multi-AZ DB instance deployment").
        role: dict[str, Any] = (
            {
                "engine": "postgres",
                "multi_az": True,
                "skip_final_snapshot": False,
                "final_snapshot_identifier": f"{args.identifier}-final",
                **_point_in_time(args.restored_from),
            }
            if args.promoted
            else {
                "replicate_source_db": args.source_instance_arn,
                "multi_az": args.multi_az,
                "skip_final_snapshot": True,
            }
        )
        instance = self._instance(
            name,
            args,
            (subnet_group, security_group, parameter_group),
            apply_immediately=args.promoted,
            **role,
            **storage_autoscaling,
        )
        self._expose(instance, security_group)


def _point_in_time(restore: PointInTimeRestore | None) -> dict[str, Any]:
    """The instance's `restore_to_point_in_time` block. The restore call takes the class,
    subnet and parameter groups, security groups, Multi-AZ, storage type, port, log exports and
    IAM authentication given here; monitoring goes in the provider's ModifyDBInstance right
    after (instance.go:1346-1528). It sends no KMS key: the restored instance keeps the
    source's, which is this region's key, the one `kms_key_id` names (a ForceNew argument,
    instance.go:354-360, so the two must agree). Settings the restore call does not take
    (Performance Insights) are applied by the next update, in place."""
    if restore is None:
        return {}
    return {
        "restore_to_point_in_time": aws.rds.InstanceRestoreToPointInTimeArgs(
            source_db_instance_identifier=restore.source_identifier,
            restore_time=restore.time,
        )
    }
