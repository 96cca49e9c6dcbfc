"""Every copy of a primary's database, each built in the region it lives in.

`build_databases` asks regions/lineage.py which copies exist at the pair's DR stage and
generation, and builds each one in its region: the original writer (RDS PostgreSQL, or the
writer of an Aurora Global Database), cross-region RDS read replicas, Aurora secondaries. Every
copy keeps its component type through promotion, so no URN ever changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from components.aurora import (
    AuroraGlobalPrimary,
    AuroraGlobalPrimaryArgs,
    AuroraGlobalSecondary,
    AuroraGlobalSecondaryArgs,
    AuroraPlacement,
)
from components.postgres import (
    PointInTimeRestore,
    PostgresPrimary,
    PostgresPrimaryArgs,
    PostgresReplica,
    PostgresReplicaArgs,
)
from regions.config import DatabaseConfig
from regions.config.restore import restore_of
from regions.lineage import DatabaseCopy, lineage

if TYPE_CHECKING:
    from regions.region import ErlmcpRegion

DATABASE_MAINTENANCE_WINDOW = "sun:04:00-sun:05:00"
AURORA_WRITER_INSTANCES = 2

Database = PostgresPrimary | PostgresReplica | AuroraGlobalPrimary | AuroraGlobalSecondary


@dataclass(frozen=True)
class WritingCopy:
    """A copy of a primary's data that takes writes (so it is what backups must capture)."""

    region: str
    arn: pulumi.Output[str]
    partner: str | None
    """The other region of its DR pair, where backups are copied; None without a pair."""


def build_databases(
    primary: ErlmcpRegion, regions: Mapping[str, ErlmcpRegion]
) -> list[WritingCopy]:
    """Every copy of `primary`'s database (regions/lineage.py decides which), each built by the
    region it lives in; then tell the primary and its standby which copy their releases use.
    Returns the copies that take writes: the original writer and any promoted copy, not the
    replicas and not the copies a failback retired."""
    stack = primary.stack
    pair = stack.pair_of_primary(primary.region)
    plan = lineage(
        primary.region,
        stack.environment,
        pair,
        stack.dr_stage(pair),
        restore_of(stack, primary.region),
        managed=pair is not None and stack.promoted_by_region_switch(pair),
    )
    built: dict[DatabaseCopy, Database] = {}
    for copy in plan.copies:
        built[copy] = database_copy(regions[copy.region], copy, primary, built)
    primary.database = built[plan.primary_uses]
    primary.database_copies = dict(built)
    if pair is not None and plan.standby_uses is not None:
        regions[pair.standby].standby_database = built[plan.standby_uses]
    writing = []
    for copy, database in built.items():
        if takes_writes(copy):
            partner = None
            if pair is not None:
                partner = pair.standby if copy.region == pair.primary else pair.primary
            writing.append(WritingCopy(copy.region, database_arn(database), partner))
    return writing


def takes_writes(copy: DatabaseCopy) -> bool:
    """The original writer and any promoted copy, unless a failback retired it: what backups
    capture and the connections alarm watches. A failback's new writer is promoted at cutover
    while it still names the copy it came from (regions/lineage.py), and serves from then on."""
    return (copy.source is None or copy.promoted) and not copy.retired


def database_arn(database: Database) -> pulumi.Output[str]:
    """What AWS Backup selects: the instance for RDS, the cluster for Aurora."""
    if isinstance(database, PostgresPrimary | PostgresReplica):
        return database.instance_arn
    return database.cluster_arn


def database_copy(
    region: ErlmcpRegion,
    copy: DatabaseCopy,
    owner: ErlmcpRegion,
    built: Mapping[DatabaseCopy, Database],
) -> Database:
    """Build one copy of `owner`'s database in `region`; `built` holds the copies built before."""
    database = owner.config.database
    assert database is not None and owner.db_password is not None
    if copy.original:
        return _original_writer(region, copy, database, owner.db_password)
    source = built[copy.source] if copy.source is not None else None
    if copy.mechanism == "aurora-global":
        if copy.shares_global_with is not None:
            # Promoted by the managed failover: still in the writer's Global Database.
            return _aurora_copy(region, copy, database, built[copy.shares_global_with])
        return _aurora_copy(region, copy, database, source)
    return _postgres_copy(region, copy, database, source)


def _original_writer(
    region: ErlmcpRegion, copy: DatabaseCopy, database: DatabaseConfig, password: pulumi.Output[str]
) -> PostgresPrimary | AuroraGlobalPrimary:
    """RDS PostgreSQL, or the writer of an Aurora Global Database when this region's DR pair
    asks for one."""
    backups = region.stack.backups.database
    common = {
        "engine_version": database.engine_version,
        "instance_class": database.instance_class,
        "database_name": region.stack.release.database_name,
        "username": region.stack.release.database_user,
        "password": password,
        "backup_retention_days": backups.retention_days,
        "backup_window": backups.window,
        "maintenance_window": DATABASE_MAINTENANCE_WINDOW,
    }
    if copy.mechanism == "aurora-global":
        return AuroraGlobalPrimary(
            copy.name,
            AuroraGlobalPrimaryArgs(
                placement=_aurora_placement(region, copy),
                global_cluster_identifier=copy.global_database,
                cluster_identifier=copy.identifier,
                **common,
            ),
            opts=pulumi.ResourceOptions(parent=region),
        )
    return PostgresPrimary(
        copy.name,
        PostgresPrimaryArgs(
            **region.data_placement(copy),
            monitoring_role_arn=region.rds_monitoring_role_arn,
            identifier=copy.identifier,
            allocated_storage_gb=database.allocated_storage_gb,
            max_allocated_storage_gb=database.max_allocated_storage_gb,
            multi_az=database.multi_az,
            **common,
        ),
        opts=pulumi.ResourceOptions(parent=region),
    )


def _postgres_copy(
    region: ErlmcpRegion, copy: DatabaseCopy, database: DatabaseConfig, source: Database | None
) -> PostgresReplica:
    """A cross-region read replica of `source` (None once promoted). A later generation's
    writer also keeps the writer's Multi-AZ and storage ceiling while it is still a replica."""
    writer_settings: dict[str, Any] = (
        {
            "multi_az": database.multi_az,
            "max_allocated_storage_gb": database.max_allocated_storage_gb,
        }
        if copy.role == "writer"
        else {}
    )
    return PostgresReplica(
        copy.name,
        PostgresReplicaArgs(
            **region.data_placement(copy),
            monitoring_role_arn=region.rds_monitoring_role_arn,
            identifier=copy.identifier,
            source_instance_arn=source.instance_arn
            if isinstance(source, PostgresPrimary | PostgresReplica)
            else None,
            engine_version=database.engine_version,
            instance_class=database.instance_class,
            backup_retention_days=region.stack.backups.database.retention_days,
            promoted=copy.promoted,
            restored_from=point_in_time(copy),
            **writer_settings,
        ),
        opts=pulumi.ResourceOptions(parent=region),
    )


def _aurora_copy(
    region: ErlmcpRegion, copy: DatabaseCopy, database: DatabaseConfig, source: Database | None
) -> AuroraGlobalSecondary:
    """An Aurora secondary in `source`'s Global Database (None once promoted); a later
    generation's writer gets the writer's instance count and windows."""
    global_id = getattr(source, "global_cluster_id", None)
    writer_settings: dict[str, Any] = (
        {
            "instances": AURORA_WRITER_INSTANCES,
            "backup_window": region.stack.backups.database.window,
            "maintenance_window": DATABASE_MAINTENANCE_WINDOW,
        }
        if copy.role == "writer"
        else {}
    )
    return AuroraGlobalSecondary(
        copy.name,
        AuroraGlobalSecondaryArgs(
            placement=_aurora_placement(region, copy),
            global_cluster_identifier=global_id,
            cluster_identifier=copy.identifier,
            engine_version=database.engine_version,
            joins_at_version=getattr(source, "global_engine_version", None),
            instance_class=database.instance_class,
            backup_retention_days=region.stack.backups.database.retention_days,
            promoted=copy.promoted,
            keeps_membership=copy.shares_global_with is not None,
            heads_global_cluster=copy.heads_global_database,
            restored_from=point_in_time(copy),
            **writer_settings,
        ),
        # AWS adds a secondary only once the cluster it follows is available.
        opts=pulumi.ResourceOptions(
            parent=region, depends_on=[source] if source is not None else None
        ),
    )


def point_in_time(copy: DatabaseCopy) -> PointInTimeRestore | None:
    """Where a copy that began as a point-in-time restore came from, and when."""
    if copy.restored_from is None or copy.restored_to is None:
        return None
    return PointInTimeRestore(source_identifier=copy.restored_from, time=copy.restored_to)


def _aurora_placement(region: ErlmcpRegion, copy: DatabaseCopy) -> AuroraPlacement:
    return AuroraPlacement(
        **region.data_placement(copy),
        availability_zones=region.network.availability_zones,
        monitoring_role_arn=region.rds_monitoring_role_arn,
    )
