"""Aurora PostgreSQL Global Database: a writer cluster in one region, a secondary in another.

Why a Global Database (BRIEF §2): storage-level replication with lag typically under a second,
and a secondary that is promoted in under a minute, where an RDS cross-region read replica has no
published lag bound and its promotion "can take several minutes or longer".

Promotion (failover) is `promoted=True` on the secondary: the cluster loses its
`global_cluster_identifier`, and the provider calls RemoveFromGlobalCluster — the cluster is
detached in place (same cluster, same identifier, same URN) and becomes a standalone writer.
Limits, from the provider's behaviour and AWS's:
- a detached cluster cannot rejoin the Global Database, and an existing cluster cannot be added
  to one: failback builds a new secondary (see README, failback);
- the old writer stays in the Global Database; a *managed* switchover or failover of the global
  cluster (`aws rds switchover-global-cluster` / `failover-global-cluster`) is an API action, not
  a resource setting, and leaves this program's view of which cluster writes out of date;
- the Global Datastore of the cache is promoted separately (ElastiCache API).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.client_access import ClientSecurityGroups, check_client_groups
from components.postgres import (
    POSTGRES_PORT,
    check_backup_retention,
    check_identifier,
    performance_insights,
    postgres_family,
    postgres_parameters,
    private_database_network,
)

ENGINE = "aurora-postgresql"
LOG_EXPORTS = ("postgresql",)


def aurora_family(engine_version: str) -> str:
    """ "16.6" -> "aurora-postgresql16" (raises ValueError below PostgreSQL 15)."""
    return postgres_family(engine_version).replace("postgres", ENGINE, 1)


@dataclass(frozen=True)
class AuroraPlacement:
    """Where a cluster lives, its key, and who may connect."""

    region: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    client_security_group_ids: ClientSecurityGroups
    kms_key_arn: pulumi.Input[str]
    """A key of `region`: an encrypted secondary needs a key in its own region."""
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AuroraGlobalPrimaryArgs:
    placement: AuroraPlacement
    global_cluster_identifier: str
    cluster_identifier: str
    engine_version: str
    instance_class: str
    database_name: str
    username: str
    password: pulumi.Input[str]
    backup_retention_days: int
    backup_window: str
    maintenance_window: str
    instances: int = 2
    """Writer plus readers in other zones: a writer alone has no local failover."""
    protect: bool = True

    def __post_init__(self) -> None:
        aurora_family(self.engine_version)
        check_identifier(self.cluster_identifier)
        check_identifier(self.global_cluster_identifier)
        check_backup_retention(self.backup_retention_days)
        check_client_groups(self.placement.client_security_group_ids)
        if not 2 <= self.instances <= 15:
            raise ValueError(f"instances {self.instances}: a primary needs 2 to 15")


@dataclass(frozen=True)
class AuroraGlobalSecondaryArgs:
    placement: AuroraPlacement
    global_cluster_identifier: pulumi.Input[str]
    cluster_identifier: str
    engine_version: str
    """The Global Database's version; only picks the family of this cluster's parameter group."""
    instance_class: str
    backup_retention_days: int
    instances: int = 1
    """At least one: a headless secondary would have to start an instance before promotion."""
    promoted: bool = False
    protect: bool = True

    def __post_init__(self) -> None:
        aurora_family(self.engine_version)
        check_identifier(self.cluster_identifier)
        check_backup_retention(self.backup_retention_days)
        check_client_groups(self.placement.client_security_group_ids)
        if not 1 <= self.instances <= 15:
            raise ValueError(f"instances {self.instances}: a secondary needs 1 to 15")


class _AuroraCluster(pulumi.ComponentResource):
    """What both components build and expose around their cluster."""

    cluster_arn: pulumi.Output[str]
    cluster_identifier: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    address: pulumi.Output[str]
    port: pulumi.Output[int]
    security_group_id: pulumi.Output[str]

    def _network_and_parameters(
        self, name: str, placement: AuroraPlacement, engine_version: str
    ) -> tuple[aws.rds.SubnetGroup, aws.ec2.SecurityGroup, aws.rds.ClusterParameterGroup]:
        subnet_group, security_group = private_database_network(
            self,
            name,
            region=placement.region,
            vpc_id=placement.vpc_id,
            subnet_ids=placement.subnet_ids,
            clients=placement.client_security_group_ids,
            tags=placement.tags,
        )
        family = aurora_family(engine_version)
        parameters = aws.rds.ClusterParameterGroup(
            f"{name}-cluster-params",
            region=placement.region,
            family=family,
            description=f"{family} settings of {name}: forced TLS, slow-query and connection logs",
            parameters=[
                aws.rds.ClusterParameterGroupParameterArgs(
                    name=p.name, value=p.value, apply_method=p.apply_method
                )
                for p in postgres_parameters()
            ],
            tags={**placement.tags, "Name": f"{name}-cluster-params"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        return subnet_group, security_group, parameters

    def _cluster(
        self,
        name: str,
        identifier: str,
        placement: AuroraPlacement,
        network: tuple[aws.rds.SubnetGroup, aws.ec2.SecurityGroup, aws.rds.ClusterParameterGroup],
        backup_retention_days: int,
        opts: pulumi.ResourceOptions,
        **role: Any,
    ) -> aws.rds.Cluster:
        """An encrypted, private, deletion-protected cluster; `role` adds writer or secondary
        settings."""
        subnet_group, security_group, parameters = network
        return aws.rds.Cluster(
            f"{name}-cluster",
            region=placement.region,
            cluster_identifier=identifier,
            engine=ENGINE,
            storage_encrypted=True,
            kms_key_id=placement.kms_key_arn,
            port=POSTGRES_PORT,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[security_group.id],
            db_cluster_parameter_group_name=parameters.name,
            backup_retention_period=backup_retention_days,
            deletion_protection=True,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{identifier}-final",
            copy_tags_to_snapshot=True,
            iam_database_authentication_enabled=True,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            apply_immediately=False,
            tags={**placement.tags, "Name": identifier},
            opts=opts,
            **role,
        )

    def _instances(
        self,
        name: str,
        cluster: aws.rds.Cluster,
        placement: AuroraPlacement,
        count: int,
        instance_class: str,
        subnet_group: aws.rds.SubnetGroup,
    ) -> None:
        for slot in range(count):
            aws.rds.ClusterInstance(
                f"{name}-instance-{slot}",
                region=placement.region,
                cluster_identifier=cluster.id,
                engine=ENGINE,
                instance_class=instance_class,
                db_subnet_group_name=subnet_group.name,
                publicly_accessible=False,
                auto_minor_version_upgrade=True,
                copy_tags_to_snapshot=True,
                promotion_tier=slot,
                apply_immediately=False,
                **performance_insights(True, placement.kms_key_arn),
                tags={**placement.tags, "Name": f"{name}-instance-{slot}"},
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _expose(self, cluster: aws.rds.Cluster, security_group: aws.ec2.SecurityGroup) -> None:
        self.cluster_arn = cluster.arn
        self.cluster_identifier = cluster.cluster_identifier
        self.endpoint = cluster.endpoint
        self.reader_endpoint = cluster.reader_endpoint
        self.address = cluster.endpoint  # the writer, as PostgresPrimary.address is
        self.port = cluster.port
        self.security_group_id = security_group.id
        self.register_outputs(
            {
                "cluster_arn": self.cluster_arn,
                "cluster_identifier": self.cluster_identifier,
                "endpoint": self.endpoint,
                "reader_endpoint": self.reader_endpoint,
                "security_group_id": self.security_group_id,
            }
        )


class AuroraGlobalPrimary(_AuroraCluster):
    """The Global Database and its writer cluster, encrypted, deletion-protected, Multi-AZ."""

    global_cluster_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: AuroraGlobalPrimaryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp:components:AuroraGlobalPrimary", name, None, opts)
        placement = args.placement
        subnet_group, security_group, parameters = self._network_and_parameters(
            name, placement, args.engine_version
        )
        global_cluster = aws.rds.GlobalCluster(
            f"{name}-global",
            region=placement.region,
            global_cluster_identifier=args.global_cluster_identifier,
            engine=ENGINE,
            engine_version=args.engine_version,
            database_name=args.database_name,
            storage_encrypted=True,
            deletion_protection=True,
            force_destroy=False,
            tags={**placement.tags, "Name": args.global_cluster_identifier},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        cluster = self._cluster(
            name,
            args.cluster_identifier,
            placement,
            (subnet_group, security_group, parameters),
            args.backup_retention_days,
            pulumi.ResourceOptions(parent=self, protect=args.protect),
            global_cluster_identifier=global_cluster.id,
            engine_version=args.engine_version,
            database_name=args.database_name,
            master_username=args.username,
            master_password=args.password,
            preferred_backup_window=args.backup_window,
            preferred_maintenance_window=args.maintenance_window,
        )
        self._instances(name, cluster, placement, args.instances, args.instance_class, subnet_group)
        self.global_cluster_id = global_cluster.id
        self._expose(cluster, security_group)


class AuroraGlobalSecondary(_AuroraCluster):
    """A read-only secondary cluster of a Global Database in another region, promotable."""

    def __init__(
        self,
        name: str,
        args: AuroraGlobalSecondaryArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("erlmcp:components:AuroraGlobalSecondary", name, None, opts)
        placement = args.placement
        subnet_group, security_group, parameters = self._network_and_parameters(
            name, placement, args.engine_version
        )
        membership = (
            {} if args.promoted else {"global_cluster_identifier": args.global_cluster_identifier}
        )
        cluster = self._cluster(
            name,
            args.cluster_identifier,
            placement,
            (subnet_group, security_group, parameters),
            args.backup_retention_days,
            # AWS sets the writer's ARN as a secondary's replication source (the provider asks to
            # ignore it), and the version is the Global Database's, upgraded there.
            pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                ignore_changes=["replicationSourceIdentifier", "engineVersion"],
            ),
            # Credentials and database name come from the Global Database's writer.
            engine_version=args.engine_version,
            **membership,
        )
        self._instances(name, cluster, placement, args.instances, args.instance_class, subnet_group)
        self._expose(cluster, security_group)
