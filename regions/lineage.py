"""Every copy of a primary region's PostgreSQL data, through failover and failback.

A DR pair's data lives in *generations*. Generation 1 is the original writer in the primary
region and its standby copy (read replica or Aurora secondary) in the standby region. A failover
promotes the standby copy; neither RDS nor Aurora can turn a promoted copy back into a replica, so
going home needs new copies, and each completed failback starts the next generation:

| stage (config)              | primary region P                    | standby region S             |
|-----------------------------|-------------------------------------|------------------------------|
| normal, generation g        | writer(g) serves                    | standby(g) follows writer(g) |
| failover                    | writer(g) kept, stale; release at 0 | standby(g) promoted, serves  |
| failback: resync            | writer(g+1) follows standby(g)      | standby(g) serves            |
| failback: drain             | writer(g+1) catches up              | release at 0: writes stop    |
| failback: cutover           | writer(g+1) promoted, serves        | standby(g) stale, release 0  |
| normal, generation g+1      | writer(g+1) serves                  | standby(g+1) follows it      |

Generation g's two copies are then *retired*: stale and unreplicated, but kept (protected,
deletion-protected) for as long as `retiredGenerations` lists g, so that nothing is deleted by a
config change. Names carry the generation (`us-east-1-postgres-g2`) from generation 2 on, so every
generation's copies have their own URNs and AWS identifiers, and generation 1 keeps the names it
always had. Every copy keeps its component type through promotion, so promotion never changes a
URN.

A point-in-time restore (regions/config/restore.py, docs/restore.md) also starts the next
generation, in the primary region, beside the damaged writer(g) instead of from the standby:

| stage (config)              | primary region P                    | standby region S             |
|-----------------------------|-------------------------------------|------------------------------|
| restore: writes-stopped     | writer(g) kept; release at 0        | standby(g) kept; release 0   |
| restore: restored           | writer(g+1) restored from writer(g) | as before                    |
| restore: switched           | writer(g+1) serves                  | as before                    |
| generation g+1, restored    | writer(g+1) serves                  | standby(g+1) follows it      |

The restored writer is a new database (RDS RestoreDBInstanceToPointInTime, Aurora
RestoreDBClusterToPointInTime), nothing is restored in place; it keeps the names and component
type a failback's writer(g+1) has, so generation g+1 is built the same way whichever way it
began. Generation g then retires with its standby *unpromoted*: standby(g) still follows the
damaged writer(g) (a failback's standby(g) was promoted).

A failover by ARC Region switch (`failoverBy: region-switch`, regions/config/auto_failover.py)
is different for Aurora: the plan runs the Global Database's managed failover
(FailoverGlobalCluster with AllowDataLoss), which makes the standby cluster the writer *of the
same Global Database* and the old writer, once its region is back, a secondary of it (Aurora user
guide, "Performing managed failovers for Aurora global databases": "Aurora automatically adds it
back to the global cluster as a secondary Region"). So the promoted standby keeps its
membership (`shares_global_with` its generation's writer) and nothing is detached; the way home
is a switchover, not a new generation. RDS replica promotion is the same whoever runs it.

Aurora: a detached (promoted) cluster cannot rejoin a Global Database; it can only become the
source of a new one (`aws.rds.GlobalCluster(source_db_cluster_identifier=...)`). So the promoted
standby(g) heads a *resync* Global Database that writer(g+1) joins as a secondary, and writer(g+1),
once promoted, heads generation g+1's Global Database that standby(g+1) joins.

This module decides which copies exist, what each replicates from and whether it is promoted;
`regions/region.py` builds them. It knows nothing of Pulumi.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from regions.config import DrPairConfig, DrStage
from regions.config.restore import RestoreConfig, rfc3339_utc

FAILBACK_STAGES: tuple[DrStage, ...] = ("resync", "drain", "cutover")


@dataclass(frozen=True)
class DatabaseCopy:
    """One physical copy of `primary`'s database, living in `region`."""

    primary: str
    region: str
    generation: int
    role: Literal["writer", "standby"]
    mechanism: Literal["rds", "aurora-global"]
    environment: str
    promoted: bool
    """Takes writes: a replica whose source was removed, or a detached Aurora secondary."""
    source: DatabaseCopy | None
    """The copy it replicates from; None for the original writer and for promoted copies."""
    heads_global_database: str | None = None
    """Aurora: the identifier of the Global Database built from this promoted cluster."""
    shares_global_with: DatabaseCopy | None = None
    """Aurora, promoted by a managed failover: the writer whose Global Database this copy still
    belongs to (as its writer now)."""
    retired: bool = False
    restored_from: str | None = None
    """The identifier of the database (in this region) it was restored from, at `restored_to`
    (an RFC 3339 UTC time); None for a copy that did not begin as a point-in-time restore."""
    restored_to: str | None = None

    @property
    def original(self) -> bool:
        """Generation 1's writer: created empty with the master credentials, never a replica."""
        return self.role == "writer" and self.generation == 1

    @property
    def _suffix(self) -> str:
        return "" if self.generation == 1 else f"-g{self.generation}"

    @property
    def name(self) -> str:
        engine = "aurora" if self.mechanism == "aurora-global" else "postgres"
        if self.role == "writer":
            return f"{self.primary}-{engine}{self._suffix}"
        return f"{self.region}-standby-of-{self.primary}-{engine}{self._suffix}"

    @property
    def identifier(self) -> str:
        base = f"erlmcp-{self.environment}-{self.primary}{self._suffix}"
        if self.role == "writer":
            return base
        return f"{base}-secondary" if self.mechanism == "aurora-global" else f"{base}-replica"

    @property
    def global_database(self) -> str:
        """Aurora: the identifier of the Global Database this writer's generation uses."""
        return f"erlmcp-{self.environment}-{self.primary}{self._suffix}-global"


@dataclass(frozen=True)
class Lineage:
    copies: tuple[DatabaseCopy, ...]
    """Every copy to build, each after the copy it replicates from."""
    primary_uses: DatabaseCopy
    """The copy the primary region's release points at."""
    standby_uses: DatabaseCopy | None
    """The copy the standby region's release for this primary points at."""


def lineage(
    primary: str,
    environment: str,
    pair: DrPairConfig | None,
    stage: DrStage,
    restore: RestoreConfig | None = None,
    *,
    managed: bool = False,
) -> Lineage:
    """The copies of `primary`'s database for a pair at `stage` (no pair: the writer alone),
    while `restore` (a pair in its normal stage only) is under way; `managed`: the failover was
    the Global Database's managed failover (ARC Region switch)."""
    if pair is None:
        writer = _writer(primary, environment, "rds", 1)
        return Lineage(copies=(writer,), primary_uses=writer, standby_uses=None)
    copies: list[DatabaseCopy] = []
    for retired in sorted(pair.retired_generations):
        old_writer = _pair_writer(pair, environment, retired, retired=True)
        if retired + 1 in pair.restored_generations:
            # Restored away from: its standby was never promoted, and still follows it.
            copies += [old_writer, _standby(pair, environment, old_writer, retired=True)]
        else:
            copies += [old_writer, _promoted_standby(pair, environment, old_writer, retired=True)]
    writer = _pair_writer(pair, environment, pair.generation)
    if stage == "normal":
        standby = _standby(pair, environment, writer)
    elif stage == "failover" and managed and pair.database == "aurora-global":
        standby = replace(
            _promoted_standby(pair, environment, writer, heads_resync=False),
            shares_global_with=writer,
        )
    else:
        standby = _promoted_standby(pair, environment, writer, heads_resync=stage != "failover")
    copies += [writer, standby]
    primary_uses = writer
    if stage in FAILBACK_STAGES:
        going_home = DatabaseCopy(
            primary=primary,
            region=primary,
            generation=pair.generation + 1,
            role="writer",
            mechanism=pair.database,
            environment=environment,
            promoted=stage == "cutover",
            source=standby,
        )
        copies.append(going_home)
        if stage == "cutover":
            primary_uses = going_home
    if restore is not None and restore.stage != "writes-stopped":
        restored = _restored_writer(pair, environment, writer, restore.to_text)
        copies.append(restored)
        if restore.stage == "switched":
            primary_uses = restored
    return Lineage(copies=tuple(copies), primary_uses=primary_uses, standby_uses=standby)


def _pair_writer(
    pair: DrPairConfig, environment: str, generation: int, *, retired: bool = False
) -> DatabaseCopy:
    """The writer of one of the pair's generations, as it began (restored or not)."""
    writer = _writer(pair.primary, environment, pair.database, generation, retired=retired)
    restored_to = pair.restored_generations.get(generation)
    if restored_to is None:
        return writer
    source = _writer(pair.primary, environment, pair.database, generation - 1)
    return replace(writer, restored_from=source.identifier, restored_to=rfc3339_utc(restored_to))


def _restored_writer(
    pair: DrPairConfig, environment: str, damaged: DatabaseCopy, restored_to: str
) -> DatabaseCopy:
    """The next generation's writer, restored from `damaged` to `restored_to`: a standalone
    database from the start (Aurora: in no Global Database until the pair's next generation
    makes one from it)."""
    return DatabaseCopy(
        primary=pair.primary,
        region=pair.primary,
        generation=damaged.generation + 1,
        role="writer",
        mechanism=pair.database,
        environment=environment,
        promoted=True,
        source=None,
        restored_from=damaged.identifier,
        restored_to=restored_to,
    )


def _writer(
    primary: str,
    environment: str,
    mechanism: Literal["rds", "aurora-global"],
    generation: int,
    *,
    retired: bool = False,
) -> DatabaseCopy:
    """The writer of a generation. From generation 2 on it began as a copy of the promoted
    standby and was promoted at cutover; with Aurora it then heads the generation's Global
    Database."""
    later = generation > 1
    copy = DatabaseCopy(
        primary=primary,
        region=primary,
        generation=generation,
        role="writer",
        mechanism=mechanism,
        environment=environment,
        promoted=later,
        source=None,
        retired=retired,
    )
    if later and mechanism == "aurora-global":
        return _with_global(copy, copy.global_database)
    return copy


def _standby(
    pair: DrPairConfig, environment: str, writer: DatabaseCopy, *, retired: bool = False
) -> DatabaseCopy:
    return DatabaseCopy(
        primary=pair.primary,
        region=pair.standby,
        generation=writer.generation,
        role="standby",
        mechanism=pair.database,
        environment=environment,
        promoted=False,
        source=writer,
        retired=retired,
    )


def _promoted_standby(
    pair: DrPairConfig,
    environment: str,
    writer: DatabaseCopy,
    *,
    heads_resync: bool = True,
    retired: bool = False,
) -> DatabaseCopy:
    """A standby promoted by failover; with Aurora, once failback begins, it heads the resync
    Global Database that the next generation's writer joins (and keeps heading it, retired)."""
    copy = DatabaseCopy(
        primary=pair.primary,
        region=pair.standby,
        generation=writer.generation,
        role="standby",
        mechanism=pair.database,
        environment=environment,
        promoted=True,
        source=None,
        retired=retired,
    )
    if heads_resync and pair.database == "aurora-global":
        resync = f"erlmcp-{environment}-{pair.primary}-g{writer.generation + 1}-resync"
        return _with_global(copy, resync)
    return copy


def _with_global(copy: DatabaseCopy, identifier: str) -> DatabaseCopy:
    return replace(copy, heads_global_database=identifier)
