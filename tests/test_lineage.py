"""Which copies of a primary's database exist at each stage of the DR sequence, and their names."""

from __future__ import annotations

import pytest

from regions.config import DrPairConfig
from regions.config.restore import RestoreConfig
from regions.lineage import lineage


def pair(database: str = "rds", **extra) -> DrPairConfig:
    return DrPairConfig(
        primary="ap-southeast-1",
        standby="ap-northeast-1",
        rto_minutes=15,
        rpo_minutes=5,
        database=database,
        **extra,
    )


def summary(stage: str, **extra) -> list[tuple[str, str, bool, str | None]]:
    plan = lineage("ap-southeast-1", "prod", pair(**extra), stage)
    return [
        (c.name, c.identifier, c.promoted, c.source.name if c.source else None) for c in plan.copies
    ]


def test_a_region_without_a_pair_has_its_writer_alone():
    plan = lineage("eu-west-1", "prod", None, "normal")
    assert [c.name for c in plan.copies] == ["eu-west-1-postgres"]
    assert plan.primary_uses.original and plan.standby_uses is None


def test_generation_1_keeps_the_names_it_always_had():
    assert summary("normal") == [
        ("ap-southeast-1-postgres", "erlmcp-prod-ap-southeast-1", False, None),
        (
            "ap-northeast-1-standby-of-ap-southeast-1-postgres",
            "erlmcp-prod-ap-southeast-1-replica",
            False,
            "ap-southeast-1-postgres",
        ),
    ]


@pytest.mark.parametrize(
    ("stage", "standby_promoted", "next_writer", "primary_uses"),
    [
        ("failover", True, None, "ap-southeast-1-postgres"),
        ("resync", True, False, "ap-southeast-1-postgres"),
        ("drain", True, False, "ap-southeast-1-postgres"),
        ("cutover", True, True, "ap-southeast-1-postgres-g2"),
    ],
)
def test_each_stage_promotes_and_adds_what_the_sequence_says(
    stage, standby_promoted, next_writer, primary_uses
):
    plan = lineage("ap-southeast-1", "prod", pair(), stage)
    by_name = {c.name: c for c in plan.copies}
    standby = by_name["ap-northeast-1-standby-of-ap-southeast-1-postgres"]
    assert standby.promoted is standby_promoted and standby.source is None
    writer = by_name.get("ap-southeast-1-postgres-g2")
    if next_writer is None:
        assert writer is None
    else:
        assert writer.region == "ap-southeast-1" and writer.identifier.endswith("-g2")
        assert writer.promoted is next_writer and writer.source is standby
    assert plan.primary_uses.name == primary_uses
    assert plan.standby_uses is standby


def test_generation_2_follows_its_writer_and_keeps_generation_1_retired():
    assert summary("normal", generation=2, retiredGenerations=[1]) == [
        ("ap-southeast-1-postgres", "erlmcp-prod-ap-southeast-1", False, None),
        (
            "ap-northeast-1-standby-of-ap-southeast-1-postgres",
            "erlmcp-prod-ap-southeast-1-replica",
            True,
            None,
        ),
        ("ap-southeast-1-postgres-g2", "erlmcp-prod-ap-southeast-1-g2", True, None),
        (
            "ap-northeast-1-standby-of-ap-southeast-1-postgres-g2",
            "erlmcp-prod-ap-southeast-1-g2-replica",
            False,
            "ap-southeast-1-postgres-g2",
        ),
    ]
    plan = lineage("ap-southeast-1", "prod", pair(generation=2, retiredGenerations=[1]), "normal")
    assert [c.retired for c in plan.copies] == [True, True, False, False]


def test_a_generation_not_listed_as_retired_is_not_built():
    names = [c.name for c in lineage("ap-southeast-1", "prod", pair(generation=2), "normal").copies]
    assert names == [
        "ap-southeast-1-postgres-g2",
        "ap-northeast-1-standby-of-ap-southeast-1-postgres-g2",
    ]


def test_aurora_copies_head_the_global_databases_failback_builds():
    plan = lineage("ap-southeast-1", "prod", pair("aurora-global"), "resync")
    heads = {c.name: c.heads_global_database for c in plan.copies}
    assert heads == {
        "ap-southeast-1-aurora": None,
        "ap-northeast-1-standby-of-ap-southeast-1-aurora": "erlmcp-prod-ap-southeast-1-g2-resync",
        "ap-southeast-1-aurora-g2": None,
    }
    later = lineage("ap-southeast-1", "prod", pair("aurora-global", generation=2), "normal")
    writer, standby = later.copies
    assert writer.heads_global_database == "erlmcp-prod-ap-southeast-1-g2-global"
    assert standby.identifier == "erlmcp-prod-ap-southeast-1-g2-secondary"
    assert standby.source is writer


# -- a point-in-time restore (regions/config/restore.py) -----------------------------------------

TO = "2026-05-01T09:30:00Z"


def restore(stage: str) -> RestoreConfig:
    return RestoreConfig(to=TO if stage != "writes-stopped" else None, stage=stage)


@pytest.mark.parametrize("database", ["rds", "aurora-global"])
def test_a_restore_adds_the_next_writer_beside_the_damaged_one(database):
    normal = lineage("ap-southeast-1", "prod", pair(database), "normal")
    stopped = lineage("ap-southeast-1", "prod", pair(database), "normal", restore("writes-stopped"))
    assert stopped == normal
    for stage in ("restored", "switched"):
        plan = lineage("ap-southeast-1", "prod", pair(database), "normal", restore(stage))
        assert plan.copies[:2] == normal.copies  # the damaged writer and its standby, as they were
        restored = plan.copies[2]
        assert (restored.region, restored.role, restored.generation) == (
            "ap-southeast-1",
            "writer",
            2,
        )
        assert restored.restored_from == "erlmcp-prod-ap-southeast-1" and restored.restored_to == TO
        # Standalone from the start: a writer, following nothing, in no Global Database yet.
        assert restored.promoted and restored.source is None
        assert restored.heads_global_database is None
        assert plan.primary_uses == (restored if stage == "switched" else normal.primary_uses)
        assert plan.standby_uses == normal.standby_uses


@pytest.mark.parametrize("database", ["rds", "aurora-global"])
def test_a_restored_generation_keeps_how_it_began_and_its_predecessor_keeps_its_standby(database):
    switched = lineage("ap-southeast-1", "prod", pair(database), "normal", restore("switched"))
    done = pair(database, generation=2, retired_generations=[1], restored_generations={2: TO})
    plan = lineage("ap-southeast-1", "prod", done, "normal")
    by_name = {c.name: c for c in plan.copies}
    suffix = "aurora" if database == "aurora-global" else "postgres"
    writer = by_name[f"ap-southeast-1-{suffix}-g2"]
    # The same database as the restore made (same identifier and restore), now heading its
    # generation's Global Database when Aurora.
    assert (writer.identifier, writer.restored_from, writer.restored_to) == (
        switched.copies[2].identifier,
        "erlmcp-prod-ap-southeast-1",
        TO,
    )
    assert (writer.heads_global_database is not None) == (database == "aurora-global")
    # Generation 1 retires unpromoted: its standby still follows the damaged writer.
    old_standby = by_name[f"ap-northeast-1-standby-of-ap-southeast-1-{suffix}"]
    assert old_standby.retired and not old_standby.promoted
    assert old_standby.source == by_name[f"ap-southeast-1-{suffix}"]
    assert plan.standby_uses == by_name[f"ap-northeast-1-standby-of-ap-southeast-1-{suffix}-g2"]
    assert plan.standby_uses.source == writer


def test_a_managed_aurora_failover_keeps_the_standby_in_its_writers_global_database():
    # failoverBy: region-switch (ARC's FailoverGlobalCluster): same copies, same names, the
    # standby promoted but sharing the writer's Global Database, nothing new to head.
    detached = lineage("ap-southeast-1", "prod", pair("aurora-global"), "failover")
    managed = lineage("ap-southeast-1", "prod", pair("aurora-global"), "failover", managed=True)
    assert [c.name for c in managed.copies] == [c.name for c in detached.copies]
    writer, standby = managed.copies
    assert standby.promoted and standby.source is None
    assert standby.shares_global_with == writer and standby.heads_global_database is None
    assert all(c.shares_global_with is None for c in detached.copies)


def test_managed_changes_nothing_for_rds_nor_before_the_failover():
    for database, stage in (("rds", "failover"), ("aurora-global", "normal")):
        plain = lineage("ap-southeast-1", "prod", pair(database), stage)
        managed = lineage("ap-southeast-1", "prod", pair(database), stage, managed=True)
        assert managed == plain
