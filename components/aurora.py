"""Aurora PostgreSQL Global Database: a writer cluster in one region, a secondary in another.

Why a Global Database (BRIEF §2): storage-level replication with lag typically under a second,
and a secondary that is promoted in under a minute, where an RDS cross-region read replica has no
published lag bound and its promotion "can take several minutes or longer".

What each side sets
-------------------
`AuroraGlobalPrimary` creates the `aws.rds.GlobalCluster` (engine, version, database name,
encryption and deletion protection live there) and the writer cluster that joins it with the
master credentials. The GlobalCluster is a global object, but the API that manages it is
regional: pulumi-aws v7 gives it a `region` argument (the endpoint it is managed through), set to
the writer's region like every other child.

`AuroraGlobalSecondary` creates a cluster that joins an existing Global Database. It sets no
master user name, password or database name: AWS copies them from the writer, and sending them
is an InvalidParameterValue (the provider's create path says so). It needs a KMS key *of its own
region* (`placement.kms_key_arn`): a Global Database is encrypted cluster by cluster. Its
`engine_version` must be the Global Database's current version when it is created (the
component cannot check an Output; the caller passes the primary's), and afterwards the version
is ignored on both clusters: upgrades are made on the GlobalCluster, which upgrades its members
(the provider's documented way; pinning the version on a member would fight that).

A secondary must be created after the writer and one of its instances exist: pass
`opts=ResourceOptions(depends_on=[primary_component])`. The component copies that dependency onto
its cluster so the ordering is part of the recorded graph, and destroy removes the secondary
before the writer.

Final snapshots: both clusters keep one (`skip_final_snapshot=False`). A secondary cannot be
deleted while it is in a Global Database, so the provider's delete first detaches it
(RemoveFromGlobalCluster), making it a standalone cluster, then deletes it with the snapshot.

Instances: each cluster gets `instances` `aws.rds.ClusterInstance`s, named by slot, `protect`ed
like the cluster: an instance holds no data (the cluster volume does), but losing the writer
is an outage until a reader is promoted, and losing them all leaves the data unreachable. So
scaling `instances` down is deliberate: `pulumi state unprotect <urn>` first. When
`placement.availability_zones` is given, slot i is pinned to zone i (mod the count), so the
writer and its first reader never share a zone; without it RDS picks zones from the subnet
group and may place two instances in one zone.
A primary needs 2 to 15 instances (a writer alone has no in-region failover; 15 is one writer
plus the 14 readers AWS allows with one secondary region). A secondary needs 1 to 16: a headless
secondary (no instance) still replicates storage, but promoting it means first creating an
instance (many minutes), which defeats the point of the Global Database.

Promotion (`AuroraGlobalSecondary(promoted=True)`)
--------------------------------------------------
What the provider supports, read from terraform-provider-aws's aws_rds_cluster (which
pulumi-aws wraps): removing `global_cluster_identifier` from a member cluster calls
RemoveFromGlobalCluster (with the cluster's ARN, through the secondary's own regional endpoint)
and waits for the cluster to be available again. That is AWS's manual "detach and promote"
recovery: the same cluster, same identifier, same URN, becomes a standalone read-write cluster.
`promoted=True` does exactly that and changes nothing else. Limits:

- The old writer is not touched. It stays the writer of the (now single-member) Global Database;
  if its region comes back, it accepts writes again and diverges, so its clients must stay
  stopped (the region composition scales the failed region's release to 0). It and its Global
  Database are `protect`ed and deletion-protected: deleting them is a deliberate act.
- A detached cluster cannot rejoin, and the provider refuses to add an existing cluster to a
  Global Database or move it between Global Databases ("existing RDS Clusters cannot be added to
  an existing RDS Global Cluster"). Turning `promoted` back to False is therefore an error, not
  a failback. Failback builds a new Global Database from the promoted cluster
  (`heads_global_cluster`: an `aws.rds.GlobalCluster` with `source_db_cluster_identifier`, and
  `ignore_changes` on the cluster's `globalClusterIdentifier`, which AWS now sets from outside)
  and a new secondary in the old region that joins it (regions/lineage.py has the sequence).
- Writes acknowledged by the old writer but not yet replicated (typically under a second of lag)
  are lost: that is the RPO of detach-and-promote.
- AWS's *managed* failover and switchover (`aws rds failover-global-cluster`,
  `switchover-global-cluster`) are API actions, not resource arguments: the provider's
  GlobalCluster has no setting for them. Run out of band (an ARC Region switch plan runs the
  failover), they swap the writer role inside the Global Database; Pulumi shows no diff
  afterwards: the GlobalCluster's `global_cluster_members` (with `is_writer`) are computed only
  (global_cluster.go lines 87-102) and each member's `global_cluster_identifier` is read back as
  the same Global Database (cluster.go lines 1268-1274). What the config must then say is
  `promoted=True, keeps_membership=True` on the secondary (the same inputs as before: no
  detach), so the program's idea of which region writes matches. `global_endpoint` follows the
  writer through those actions, not through a detach. Never `promoted=True` alone after one: that
  would detach the new writer (cluster.go lines 1477-1500, RemoveFromGlobalCluster).
- The update must reach only the standby region: if the old writer's region is down, run
  `pulumi up` limited to the standby's resources (`--target`), since refreshing or updating
  anything in the failed region would fail.
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
    PointInTimeRestore,
    check_backup_retention,
    check_identifier,
    performance_insights,
    postgres_family,
    postgres_parameters,
    private_database_network,
)
from components.rds_monitoring import enhanced_monitoring

ENGINE = "aurora-postgresql"
LOG_EXPORTS = ("postgresql",)
PRIMARY_INSTANCES = (2, 15)
SECONDARY_INSTANCES = (1, 16)
# Aurora Global Database runs on memory-optimised classes (db.r*, db.x*) or Serverless v2.
_GLOBAL_CLASS_PREFIXES = ("db.r", "db.x")
_SERVERLESS_CLASS = "db.serverless"


def aurora_family(engine_version: str) -> str:
    """ "16.6" -> "aurora-postgresql16" (raises ValueError below PostgreSQL 15)."""
    return postgres_family(engine_version).replace("postgres", ENGINE, 1)


def check_instances(count: int, bounds: tuple[int, int], role: str) -> None:
    low, high = bounds
    if not low <= count <= high:
        raise ValueError(f"instances {count}: a {role} needs {low} to {high}")


def check_instance_class(instance_class: str) -> None:
    if instance_class != _SERVERLESS_CLASS and not instance_class.startswith(
        _GLOBAL_CLASS_PREFIXES
    ):
        raise ValueError(
            f"instance_class {instance_class!r}: an Aurora Global Database needs a memory-"
            "optimised class (db.r*, db.x*) or db.serverless"
        )


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
    availability_zones: pulumi.Input[Sequence[str]] | None = None
    """Zones of `subnet_ids`; instance slot i goes to zone i mod len. None: RDS chooses."""
    monitoring_role_arn: pulumi.Input[str] | None = None
    """The Enhanced Monitoring role of the cluster's instances; None: monitoring off."""

    def __post_init__(self) -> None:
        check_client_groups(self.client_security_group_ids)


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
        check_instance_class(self.instance_class)
        check_instances(self.instances, PRIMARY_INSTANCES, "primary")


@dataclass(frozen=True)
class AuroraGlobalSecondaryArgs:
    placement: AuroraPlacement
    global_cluster_identifier: pulumi.Input[str] | None
    """The Global Database to join; None only once promoted."""
    cluster_identifier: str
    engine_version: str
    """The configured version; picks this cluster's parameter group family, and is the version
    it joins at unless `joins_at_version` says otherwise."""
    instance_class: str
    backup_retention_days: int
    joins_at_version: pulumi.Input[str] | None = None
    """The Global Database's actual version (its `engine_version_actual`): a secondary must be
    created at it, and a Global Database may have moved on from the config's (a forced minor
    upgrade; a failback's new Global Database made from the promoted cluster)."""
    instances: int = 1
    """At least one: a headless secondary would have to start an instance before promotion."""
    backup_window: str | None = None
    maintenance_window: str | None = None
    """None lets AWS pick; set them to keep the standby's windows apart from the writer's."""
    promoted: bool = False
    """Detach from the Global Database and run as a standalone writer (see module docstring)."""
    keeps_membership: bool = False
    """Promoted by the Global Database's managed failover (FailoverGlobalCluster, run outside
    Pulumi, e.g. by ARC Region switch): the cluster is the writer of the same Global Database,
    so `global_cluster_identifier` stays and nothing is detached."""
    heads_global_cluster: str | None = None
    """Once promoted: the identifier of a new Global Database built from this cluster, so that
    a new secondary elsewhere can follow it (failback)."""
    restored_from: PointInTimeRestore | None = None
    """Instead of joining a Global Database: a new standalone cluster restored from another
    cluster of its region to a point in time (`promoted` must be True). Like a detached
    secondary it can then head a Global Database of its own (`heads_global_cluster`)."""
    protect: bool = True

    def __post_init__(self) -> None:
        if self.restored_from is not None and (
            not self.promoted or self.global_cluster_identifier is not None
        ):
            raise ValueError(
                f"restored_from of {self.cluster_identifier}: a restored cluster is standalone "
                "(promoted, no global_cluster_identifier)"
            )
        if self.keeps_membership and (
            not self.promoted
            or self.global_cluster_identifier is None
            or self.heads_global_cluster is not None
        ):
            raise ValueError(
                f"keeps_membership of {self.cluster_identifier}: only a cluster promoted inside "
                "its Global Database, which it names and does not replace with a new one"
            )
        if self.global_cluster_identifier is None and not self.promoted:
            raise ValueError(
                f"global_cluster_identifier of {self.cluster_identifier}: a secondary that is not "
                "promoted needs the Global Database it joins"
            )
        if self.heads_global_cluster is not None:
            if not self.promoted:
                raise ValueError(
                    f"heads_global_cluster of {self.cluster_identifier}: only a promoted "
                    "(standalone) cluster can become the source of a new Global Database"
                )
            check_identifier(self.heads_global_cluster)
        aurora_family(self.engine_version)
        check_identifier(self.cluster_identifier)
        check_backup_retention(self.backup_retention_days)
        check_instance_class(self.instance_class)
        check_instances(self.instances, SECONDARY_INSTANCES, "secondary")


_Network = tuple[aws.rds.SubnetGroup, aws.ec2.SecurityGroup, aws.rds.ClusterParameterGroup]


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
    ) -> _Network:
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
        # Auto-named: a major upgrade changes the family, which replaces the group, and a
        # generated name lets the new group exist before the cluster moves off the old one.
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
        network: _Network,
        backup_retention_days: int,
        opts: pulumi.ResourceOptions,
        **role: Any,
    ) -> aws.rds.Cluster:
        """An encrypted, private, deletion-protected cluster that keeps a final snapshot; `role`
        adds writer or secondary settings."""
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
            # Changes wait for the maintenance window instead of restarting production now.
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
        protect: bool,
    ) -> None:
        for slot in range(count):
            aws.rds.ClusterInstance(
                f"{name}-instance-{slot}",
                region=placement.region,
                cluster_identifier=cluster.id,
                engine=ENGINE,
                instance_class=instance_class,
                db_subnet_group_name=subnet_group.name,
                availability_zone=_zone_of_slot(placement.availability_zones, slot),
                publicly_accessible=False,
                # Minor versions move through config (components/postgres.py VERSION_POLICY).
                auto_minor_version_upgrade=False,
                copy_tags_to_snapshot=True,
                # Lower tiers are promoted first on a local failover: slot order, predictable.
                promotion_tier=slot,
                apply_immediately=False,
                **performance_insights(True, placement.kms_key_arn),
                **enhanced_monitoring(placement.monitoring_role_arn),
                tags={**placement.tags, "Name": f"{name}-instance-{slot}"},
                opts=pulumi.ResourceOptions(parent=self, protect=protect),
            )

    def _expose(
        self,
        cluster: aws.rds.Cluster,
        security_group: aws.ec2.SecurityGroup,
        **extra: pulumi.Output[Any],
    ) -> None:
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
                "address": self.address,
                "port": self.port,
                "security_group_id": self.security_group_id,
                **extra,
            }
        )


def _zone_of_slot(
    zones: pulumi.Input[Sequence[str]] | None, slot: int
) -> pulumi.Output[str] | None:
    if zones is None:
        return None
    return pulumi.Output.from_input(zones).apply(lambda names: list(names)[slot % len(names)])


class AuroraGlobalPrimary(_AuroraCluster):
    """The Global Database and its writer cluster (encrypted, deletion-protected), with a writer
    and readers: in distinct zones when `placement.availability_zones` is given."""

    global_cluster_id: pulumi.Output[str]
    global_endpoint: pulumi.Output[str]
    """The Global Database's writer endpoint: follows managed switchover/failover, not a detach."""
    global_engine_version: pulumi.Output[str]
    """The version the Global Database runs (what a new secondary must join at)."""

    def __init__(
        self, name: str, args: AuroraGlobalPrimaryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp:components:AuroraGlobalPrimary", name, None, opts)
        placement = args.placement
        network = self._network_and_parameters(name, placement, args.engine_version)
        global_cluster = aws.rds.GlobalCluster(
            f"{name}-global",
            region=placement.region,
            global_cluster_identifier=args.global_cluster_identifier,
            engine=ENGINE,
            engine_version=args.engine_version,
            database_name=args.database_name,
            storage_encrypted=True,
            deletion_protection=True,
            # Never detach members just to delete the Global Database.
            force_destroy=False,
            tags={**placement.tags, "Name": args.global_cluster_identifier},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        cluster = self._cluster(
            name,
            args.cluster_identifier,
            placement,
            network,
            args.backup_retention_days,
            # The version is the Global Database's: it upgrades its members. After a managed
            # failover (run outside Pulumi) this cluster is a secondary, and AWS reports the new
            # writer as its replication source (terraform-provider-aws cluster.go at the pinned
            # revision: Read sets `replication_source_identifier` from the API, line 1244; Update
            # sends nothing for it, line 1297): ignored, as on the secondaries.
            pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                ignore_changes=["engineVersion", "replicationSourceIdentifier"],
            ),
            global_cluster_identifier=global_cluster.id,
            engine_version=args.engine_version,
            database_name=args.database_name,
            master_username=args.username,
            master_password=pulumi.Output.secret(args.password),  # not left to the SDK
            preferred_backup_window=args.backup_window,
            preferred_maintenance_window=args.maintenance_window,
        )
        self._instances(
            name,
            cluster,
            placement,
            args.instances,
            args.instance_class,
            network[0],
            protect=args.protect,
        )
        self.global_cluster_id = global_cluster.id
        self.global_endpoint = global_cluster.endpoint
        self.global_engine_version = global_cluster.engine_version_actual
        self._expose(
            cluster,
            network[1],
            global_cluster_id=self.global_cluster_id,
            global_endpoint=self.global_endpoint,
        )


class AuroraGlobalSecondary(_AuroraCluster):
    """A read-only secondary cluster of a Global Database in another region, promotable by
    detaching it (`promoted=True`). Pass `depends_on=[the primary component]` in `opts`."""

    def __init__(
        self,
        name: str,
        args: AuroraGlobalSecondaryArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("erlmcp:components:AuroraGlobalSecondary", name, None, opts)
        placement = args.placement
        network = self._network_and_parameters(name, placement, args.engine_version)
        detached = args.promoted and not args.keeps_membership
        membership = (
            {} if detached else {"global_cluster_identifier": args.global_cluster_identifier}
        )
        ignored = ["replicationSourceIdentifier", "engineVersion"]
        if args.heads_global_cluster is not None:
            # The new Global Database makes this cluster its member from the outside; without
            # this, the next update would detach it again (the provider's documented pattern).
            ignored.append("globalClusterIdentifier")
        windows = {
            key: value
            for key, value in (
                ("preferred_backup_window", args.backup_window),
                ("preferred_maintenance_window", args.maintenance_window),
            )
            if value is not None
        }
        cluster = self._cluster(
            name,
            args.cluster_identifier,
            placement,
            network,
            args.backup_retention_days,
            pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                # Children do not inherit the component's dependencies in the graph: copy the
                # writer dependency so creation waits for it and destroy detaches this first.
                depends_on=opts.depends_on if opts is not None else None,
                # AWS reports the writer's ARN as a secondary's replication source (the provider
                # asks to ignore it), and the version is the Global Database's.
                ignore_changes=ignored,
            ),
            # No credentials and no database name: AWS copies them from the writer.
            engine_version=args.joins_at_version or args.engine_version,
            **membership,
            **windows,
            **_point_in_time(args.restored_from),
        )
        self._instances(
            name,
            cluster,
            placement,
            args.instances,
            args.instance_class,
            network[0],
            protect=args.protect,
        )
        self.global_cluster_id: pulumi.Output[str] | None = None
        self.global_engine_version: pulumi.Output[str] | None = None
        extra: dict[str, pulumi.Output[Any]] = {}
        if args.heads_global_cluster is not None:
            global_cluster = self._new_global_cluster(
                name, args.heads_global_cluster, cluster, placement, args.protect
            )
            self.global_cluster_id = global_cluster.id
            # Made from this cluster, the Global Database runs this cluster's version.
            self.global_engine_version = cluster.engine_version_actual
            extra["global_cluster_id"] = self.global_cluster_id
        self._expose(cluster, network[1], **extra)

    def _new_global_cluster(
        self,
        name: str,
        identifier: str,
        cluster: aws.rds.Cluster,
        placement: AuroraPlacement,
        protect: bool,
    ) -> aws.rds.GlobalCluster:
        """A Global Database created from this (promoted) cluster: engine, version, database
        name and encryption come from the cluster, and the provider rejects `engine` with a
        source. `force_destroy` is required with a source (the provider's RequiredWith); it only
        matters on delete, which `protect` and deletion protection already block."""
        global_cluster = aws.rds.GlobalCluster(
            f"{name}-global",
            region=placement.region,
            global_cluster_identifier=identifier,
            source_db_cluster_identifier=cluster.arn,
            force_destroy=True,
            deletion_protection=True,
            tags={**placement.tags, "Name": identifier},
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=protect,
                # Read back from the source cluster; AWS refuses them with a source, and the
                # provider would otherwise see a database name appear and plan a replacement.
                ignore_changes=["databaseName", "engineVersion", "storageEncrypted"],
            ),
        )
        return global_cluster


# Stated, not left to a default: `full-copy` (pulumi-aws ClusterRestoreToPointInTimeArgs:
# "full-copy (default) and copy-on-write"). A copy-on-write restore is a clone that shares
# storage pages with the damaged cluster; the restored data should owe it nothing.
RESTORE_TYPE = "full-copy"


def _point_in_time(restore: PointInTimeRestore | None) -> dict[str, Any]:
    """The cluster's `restore_to_point_in_time` block. The restore call takes the key, subnet
    group, cluster parameter group, security groups, port, log exports and IAM authentication
    given here; backup retention and windows go in the provider's ModifyDBCluster right after
    (cluster.go:841-959). The cluster starts with no instance: the component's
    `aws.rds.ClusterInstance`s are created after it, as for any cluster."""
    if restore is None:
        return {}
    return {
        "restore_to_point_in_time": aws.rds.ClusterRestoreToPointInTimeArgs(
            source_cluster_identifier=restore.source_identifier,
            restore_to_time=restore.time,
            restore_type=RESTORE_TYPE,
        )
    }
