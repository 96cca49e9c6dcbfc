"""dr-serving-region-has-standby: every region's own database has a copy elsewhere."""

from __future__ import annotations

from offline.policy_runner import DR_STANDBY_POLICY, stack_policy_config
from tests.policies.conftest import drop_resource, messages
from tests.restore_stages import restore_stage_config, restore_stage_stack

POLICY = DR_STANDBY_POLICY
TOKYO_UNPAIRED = (
    "ap-northeast-1 keeps its own database 'ap-northeast-1-postgres-db' with no copy in another "
    "region: pair it with a standby in drPairs, or list it under noStandby with the reason."
)


def violations(analyze_stack, stack, config=None) -> list[str]:
    return messages(analyze_stack(stack, config, policies=[POLICY]), POLICY)


def test_prod_stack_passes(analyze_stack, prod_stack):
    assert violations(analyze_stack, prod_stack) == []


def test_a_region_whose_database_has_no_copy(analyze_stack, broken_prod):
    drop_resource(broken_prod, "ap-southeast-1-standby-of-ap-northeast-1-postgres-db")
    assert violations(analyze_stack, broken_prod) == [TOKYO_UNPAIRED]


def test_a_stated_exception_is_not_reported(analyze_stack, broken_prod):
    drop_resource(broken_prod, "ap-southeast-1-standby-of-ap-northeast-1-postgres-db")
    config = {POLICY: {"no_standby": ["ap-northeast-1"]}}
    assert violations(analyze_stack, broken_prod, config) == []


def test_a_promoted_standby_is_not_reported_while_failed_over(analyze_stack, broken_prod):
    promoted = broken_prod.named("ap-northeast-1-standby-of-ap-southeast-1-postgres-db")
    promoted.inputs.pop("replicateSourceDb")
    promoted.outputs.pop("replicateSourceDb")
    found = violations(analyze_stack, broken_prod)
    assert [m for m in found if m.startswith("ap-northeast-1")] != []
    config = {POLICY: {"failed_over": [{"primary": "ap-southeast-1", "standby": "ap-northeast-1"}]}}
    assert violations(analyze_stack, broken_prod, config) == []


def test_an_aurora_writer_without_a_secondary(analyze_stack, broken_prod):
    drop_resource(broken_prod, "eu-central-1-standby-of-eu-west-1-aurora-cluster")
    assert violations(analyze_stack, broken_prod) == [
        "eu-west-1 keeps its own database 'eu-west-1-aurora-cluster' with no copy in another "
        "region: pair it with a standby in drPairs, or list it under noStandby with the reason."
    ]


def test_a_restored_database_has_no_copy_until_its_generation_gives_it_one(analyze_stack):
    # Both kinds of restored writer count as a region's own database (an Aurora one carries no
    # master user: its restore block says it is a writer), so only `restoring` exempts them.
    restored = restore_stage_stack("restored")
    assert sorted(violations(analyze_stack, restored)) == [
        f"{region} keeps its own database '{name}' with no copy in another region: pair it "
        "with a standby in drPairs, or list it under noStandby with the reason."
        for region, name in (
            ("ap-southeast-1", "ap-southeast-1-postgres-g2-db"),
            ("us-east-1", "us-east-1-aurora-g2-cluster"),
        )
    ]
    config = {POLICY: stack_policy_config(restore_stage_config("restored"))[POLICY]}
    assert violations(analyze_stack, restored, config) == []
