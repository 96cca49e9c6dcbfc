"""dr-standby-holds-replicas on the prod stack and on broken copies of it."""

from __future__ import annotations

import copy

import pytest

from offline.recorder import UNKNOWN
from tests.policies.conftest import drop_resource, messages, set_property

POLICY = "dr-standby-holds-replicas"
TOKYO_DB_ARN = "arn:aws:rds:ap-northeast-1:123456789012:db:erlmcp-prod-ap-northeast-1"
# ap-southeast-1 -> ap-northeast-1 keeps an RDS read replica; us-east-1 -> us-west-2 an Aurora
# Global Database secondary.
RDS_REPLICA = "ap-northeast-1-standby-of-ap-southeast-1-postgres-db"
AURORA_SECONDARY = "us-west-2-standby-of-us-east-1-aurora-cluster"
PAIRS = [
    {"primary": "us-east-1", "standby": "us-west-2"},
    {"primary": "eu-west-1", "standby": "eu-central-1"},
    {"primary": "ap-southeast-1", "standby": "ap-northeast-1"},
    {"primary": "ap-northeast-1", "standby": "ap-southeast-1"},
]
CONFIGURED = {POLICY: {"dr_pairs": PAIRS}}


def database_missing(primary: str, standby: str) -> str:
    return f"DR pair {primary} -> {standby}: {standby} holds no copy of {primary}'s database"


def cache_missing(primary: str, standby: str) -> str:
    return f"DR pair {primary} -> {standby}: {standby} holds no secondary of {primary}'s cache"


def backups_missing(primary: str, standby: str) -> str:
    return (
        f"DR pair {primary} -> {standby}: {standby} is not the replication target of "
        f"{primary}'s backups"
    )


def violations(analyze_stack, stack, config=CONFIGURED) -> list[str]:
    return messages(analyze_stack(stack, config, policies=[POLICY]), POLICY)


def assert_only(found: list[str], *expected: str) -> None:
    assert len(found) == len(expected), found
    for text in expected:
        assert any(m.startswith(text) for m in found), (text, found)


def test_prod_stack_passes(analyze_stack, prod_stack):
    assert violations(analyze_stack, prod_stack) == []


def test_prod_pairs_are_found_without_config(analyze_stack, broken_prod):
    """Each pair's remaining copies name it, so a missing replica is caught with no config."""
    drop_resource(broken_prod, RDS_REPLICA)
    assert_only(
        violations(analyze_stack, broken_prod, None),
        database_missing("ap-southeast-1", "ap-northeast-1"),
    )


def test_missing_database_replica(analyze_stack, broken_prod):
    drop_resource(broken_prod, RDS_REPLICA)
    found = violations(analyze_stack, broken_prod)
    assert_only(found, database_missing("ap-southeast-1", "ap-northeast-1"))


def test_violation_points_at_the_primary_database(analyze_stack, broken_prod):
    drop_resource(broken_prod, RDS_REPLICA)
    [diagnostic] = [
        d for d in analyze_stack(broken_prod, CONFIGURED, policies=[POLICY]) if d.policy == POLICY
    ]
    assert diagnostic.urn.endswith("aws:rds/instance:Instance::ap-southeast-1-postgres-db")
    assert diagnostic.enforcement_level == "mandatory"


def recorded_first(stack, name: str) -> None:
    """Move a resource to the front of the recording, as if the engine had registered it first."""
    resource = stack.named(name)
    stack.resources.remove(resource)
    stack.resources.insert(0, resource)


def first_in_every_order(stack, name: str) -> None:
    """Record a resource first, under a URN that also sorts before every other (references to it
    follow), so that neither the recording order nor URN order can pick the right original."""
    resource = stack.named(name)
    old = resource.urn
    project, chain = old.split("::", 2)[1:]
    resource.urn = old.replace(f"::{project}::{chain}", f"::{project}::0-{chain}")
    for other in stack.resources:
        other.dependencies = [resource.urn if d == old else d for d in other.dependencies]
        for key, urns in other.property_dependencies.items():
            other.property_dependencies[key] = [resource.urn if u == old else u for u in urns]
    recorded_first(stack, name)


# In the mutual APAC pair each region holds its own data and a copy of its partner's: a violation
# of ap-northeast-1 -> ap-southeast-1 must name ap-northeast-1's own original, never the copy of
# ap-southeast-1's it holds, whichever the engine recorded first.
MUTUAL = [
    (
        "ap-southeast-1-standby-of-ap-northeast-1-postgres-db",
        "ap-northeast-1-standby-of-ap-southeast-1-postgres-db",
        "aws:rds/instance:Instance::ap-northeast-1-postgres-db",
    ),
    (
        "ap-southeast-1-standby-of-ap-northeast-1-redis-group",
        "ap-northeast-1-standby-of-ap-southeast-1-redis-group",
        "aws:elasticache/replicationGroup:ReplicationGroup::ap-northeast-1-redis-group",
    ),
    (
        "ap-northeast-1-backups-to-ap-southeast-1-config",
        "ap-northeast-1-access-logs-bucket",
        "aws:s3/bucket:Bucket::ap-northeast-1-backups-bucket",
    ),
]


@pytest.mark.parametrize(("missing", "decoy", "original"), MUTUAL)
def test_a_mutual_pairs_violation_names_the_primarys_own_original(
    analyze_stack, broken_prod, missing, decoy, original
):
    drop_resource(broken_prod, missing)
    first_in_every_order(broken_prod, decoy)
    [diagnostic] = analyze_stack(broken_prod, CONFIGURED, policies=[POLICY])
    assert diagnostic.detail.startswith("DR pair ap-northeast-1 -> ap-southeast-1: ")
    assert diagnostic.urn.endswith(original)
    recorded_first(broken_prod, original.rsplit("::", 1)[1])  # the other order: the same answer
    [again] = analyze_stack(broken_prod, CONFIGURED, policies=[POLICY])
    assert again.urn == diagnostic.urn


def test_after_a_failback_the_violation_names_the_current_generation(analyze_stack, dr_stage_stack):
    # ap-southeast-1 keeps its retired generation-1 writer next to the generation-2 one.
    stack = copy.deepcopy(dr_stage_stack("ap-southeast-1", "generation-2"))
    drop_resource(stack, "ap-northeast-1-standby-of-ap-southeast-1-postgres-g2-db")
    first_in_every_order(stack, "ap-southeast-1-postgres-db")
    [diagnostic] = analyze_stack(stack, CONFIGURED, policies=[POLICY])
    assert diagnostic.detail.startswith(database_missing("ap-southeast-1", "ap-northeast-1"))
    assert diagnostic.urn.endswith("Instance::ap-southeast-1-postgres-g2-db")


def test_a_datastores_primary_group_is_its_own_cache_though_aws_names_the_datastore(
    analyze_stack, broken_prod
):
    # After creation AWS reports the Global Datastore's id on its primary group too.
    datastore = broken_prod.named("ap-northeast-1-redis-global-datastore")
    global_id = datastore.outputs["globalReplicationGroupId"]
    set_property(broken_prod, "ap-northeast-1-redis-group", "globalReplicationGroupId", global_id)
    drop_resource(broken_prod, "ap-southeast-1-standby-of-ap-northeast-1-redis-group")
    first_in_every_order(broken_prod, "ap-northeast-1-standby-of-ap-southeast-1-redis-group")
    [diagnostic] = analyze_stack(broken_prod, CONFIGURED, policies=[POLICY])
    assert diagnostic.urn.endswith("ReplicationGroup::ap-northeast-1-redis-group")


def test_replica_of_another_regions_database(analyze_stack, broken_prod):
    set_property(broken_prod, RDS_REPLICA, "replicateSourceDb", TOKYO_DB_ARN)
    found = violations(analyze_stack, broken_prod)
    assert any(m.startswith(database_missing("ap-southeast-1", "ap-northeast-1")) for m in found), (
        found
    )


def test_replica_in_the_wrong_region(analyze_stack, broken_prod):
    set_property(broken_prod, RDS_REPLICA, "region", "eu-central-1")
    found = violations(analyze_stack, broken_prod)
    assert any(m.startswith(database_missing("ap-southeast-1", "ap-northeast-1")) for m in found), (
        found
    )


def test_missing_aurora_secondary(analyze_stack, broken_prod):
    drop_resource(broken_prod, AURORA_SECONDARY)
    [diagnostic] = analyze_stack(broken_prod, CONFIGURED, policies=[POLICY])
    assert diagnostic.detail.startswith(database_missing("us-east-1", "us-west-2"))
    assert diagnostic.urn.endswith("aws:rds/cluster:Cluster::us-east-1-aurora-cluster")


def test_aurora_secondary_of_another_global_database(analyze_stack, broken_prod):
    set_property(
        broken_prod, AURORA_SECONDARY, "globalClusterIdentifier", "erlmcp-prod-eu-west-1-global"
    )
    found = violations(analyze_stack, broken_prod)
    assert_only(found, database_missing("us-east-1", "us-west-2"))


def test_missing_cache_secondary(analyze_stack, broken_prod):
    drop_resource(broken_prod, "eu-central-1-standby-of-eu-west-1-redis-group")
    assert_only(violations(analyze_stack, broken_prod), cache_missing("eu-west-1", "eu-central-1"))


def test_global_datastore_of_another_primary(analyze_stack, broken_prod):
    set_property(
        broken_prod,
        "eu-west-1-redis-global-datastore",
        "primaryReplicationGroupId",
        "erlmcp-prod-us-east-1",
    )
    found = violations(analyze_stack, broken_prod)
    assert any(m.startswith(cache_missing("eu-west-1", "eu-central-1")) for m in found), found


def test_backups_replicated_to_the_wrong_bucket(analyze_stack, broken_prod):
    wrong = broken_prod.named("eu-central-1-backups-bucket").outputs["arn"]
    config = broken_prod.named("us-east-1-backups-to-us-west-2-config")
    for props in (config.inputs, config.outputs):
        props["rules"][0]["destination"]["bucket"] = wrong
    found = violations(analyze_stack, broken_prod)
    assert any(m.startswith(backups_missing("us-east-1", "us-west-2")) for m in found), found


def test_disabled_backup_replication_rule(analyze_stack, broken_prod):
    config = broken_prod.named("ap-southeast-1-backups-to-ap-northeast-1-config")
    for props in (config.inputs, config.outputs):
        props["rules"][0]["status"] = "Disabled"
    found = violations(analyze_stack, broken_prod)
    assert_only(found, backups_missing("ap-southeast-1", "ap-northeast-1"))


def test_configured_pair_with_no_copies_at_all(analyze_stack, broken_prod):
    for name in (
        AURORA_SECONDARY,
        "us-west-2-standby-of-us-east-1-redis-group",
        "us-east-1-backups-to-us-west-2-config",
    ):
        drop_resource(broken_prod, name)
    assert violations(analyze_stack, broken_prod, None) == []
    assert_only(
        violations(analyze_stack, broken_prod),
        database_missing("us-east-1", "us-west-2"),
        cache_missing("us-east-1", "us-west-2"),
        backups_missing("us-east-1", "us-west-2"),
    )


def test_require_limits_the_copies_checked(analyze_stack, broken_prod):
    drop_resource(broken_prod, "eu-central-1-standby-of-eu-west-1-redis-group")
    config = {POLICY: {"dr_pairs": PAIRS, "require": ["database", "backups"]}}
    assert violations(analyze_stack, broken_prod, config) == []


@pytest.mark.parametrize("level", ["advisory", "disabled"])
def test_enforcement_level_is_configurable(analyze_stack, broken_prod, level):
    drop_resource(broken_prod, RDS_REPLICA)
    config = {POLICY: {"enforcementLevel": level, "dr_pairs": PAIRS}}
    found = analyze_stack(broken_prod, config, policies=[POLICY])
    assert [d.enforcement_level for d in found] == ([level] if level == "advisory" else [])


def test_unknown_replica_source_is_not_judged(analyze_stack, broken_prod):
    """During a preview the replica's source ARN may be unknown: no violation for it."""
    set_property(broken_prod, RDS_REPLICA, "replicateSourceDb", UNKNOWN)
    assert violations(analyze_stack, broken_prod) == []


def test_dr_pairs_must_name_both_regions(analyze_stack, prod_stack):
    from offline.analyzer import PolicyConfigError

    with pytest.raises(PolicyConfigError, match="dr-standby-holds-replicas"):
        config = {POLICY: {"dr_pairs": [{"primary": "us-east-1"}]}}
        analyze_stack(prod_stack, config, policies=[POLICY])
