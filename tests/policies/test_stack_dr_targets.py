"""dr-budget-meets-targets: the budget against its targets, and against the deployed resources."""

from __future__ import annotations

import copy
from typing import Any

from offline.policy_runner import DR_BUDGET_POLICY, stack_policy_config
from tests.policies.conftest import drop_resource, messages, set_property

POLICY = DR_BUDGET_POLICY
US = "DR pair us-east-1 -> us-west-2"


def budgets_config(prod_stack_config, **changes: Any) -> dict[str, Any]:
    """The runner's config for this policy, with us-east-1's budget entry changed."""
    config = copy.deepcopy(stack_policy_config(prod_stack_config)[POLICY])
    us_east = next(b for b in config["budgets"] if b["primary"] == "us-east-1")
    us_east.update(changes)
    return {POLICY: config}


def meeting(prod_stack_config, **changes: Any) -> dict[str, Any]:
    """A us-east-1 budget that meets its targets, so only the resource checks can fail."""
    return budgets_config(
        prod_stack_config,
        rtoMinutes=2.5,
        rpoMinutes=0.02,
        **{"database": "aurora-global", **changes},
    )


def violations(analyze_stack, stack, config) -> list[str]:
    return messages(analyze_stack(stack, config, policies=[POLICY]), POLICY)


def test_prod_budgets_meet_their_targets(analyze_stack, prod_stack, prod_stack_config):
    config = {POLICY: stack_policy_config(prod_stack_config)[POLICY]}
    assert violations(analyze_stack, prod_stack, config) == []


def test_a_budget_over_its_targets_is_reported(analyze_stack, prod_stack, prod_stack_config):
    config = budgets_config(prod_stack_config, rtoMinutes=11.5, rpoMinutes=5)
    found = [m for m in violations(analyze_stack, prod_stack, config) if m.startswith(US)]
    assert found == [
        f"{US}: design RTO 11.5 min exceeds the target 5 min.",
        f"{US}: design RPO 5 min exceeds the target 1 min.",
    ]


def test_a_budget_within_its_targets_and_true_to_the_stack_passes(
    analyze_stack, prod_stack, prod_stack_config
):
    found = violations(analyze_stack, prod_stack, meeting(prod_stack_config))
    assert [m for m in found if m.startswith(US)] == []


def test_slower_health_checks_than_assumed(analyze_stack, broken_prod, prod_stack_config):
    set_property(broken_prod, "dns-us-east-1-health", "requestInterval", 30)
    found = violations(analyze_stack, broken_prod, meeting(prod_stack_config))
    assert (
        f"{US}: the budget assumes 10 s health checks of us-east-1 but the stack checks every 30 s."
        in found
    )


def test_a_database_copy_of_another_kind_than_assumed(analyze_stack, prod_stack, prod_stack_config):
    config = meeting(prod_stack_config, database="rds")
    found = violations(analyze_stack, prod_stack, config)
    assert (
        f"{US}: the budget assumes an RDS read replica (aws:rds/instance:Instance) in us-west-2, "
        "which the stack does not hold." in found
    )


def test_a_missing_aurora_secondary(analyze_stack, broken_prod, prod_stack_config):
    drop_resource(broken_prod, "us-west-2-standby-of-us-east-1-aurora-cluster")
    found = violations(analyze_stack, broken_prod, meeting(prod_stack_config))
    assert (
        f"{US}: the budget assumes an Aurora Global Database secondary in us-west-2, which the "
        "stack does not hold." in found
    )


def test_fewer_warm_pods_than_assumed(analyze_stack, broken_prod, prod_stack_config):
    set_property(
        broken_prod, "us-west-2-standby-of-us-east-1-erlmcp-statefulset", "spec.replicas", 1
    )
    found = violations(analyze_stack, broken_prod, meeting(prod_stack_config))
    assert f"{US}: the budget assumes 3 warm pods behind standby-us-east-1, but 1 run there." in (
        found
    )


def test_a_failed_over_pair_is_not_judged(analyze_stack, broken_prod, prod_stack_config):
    drop_resource(broken_prod, "us-west-2-standby-of-us-east-1-aurora-cluster")
    config = budgets_config(prod_stack_config, rtoMinutes=11.5)
    config[POLICY]["failed_over"] = [{"primary": "us-east-1", "standby": "us-west-2"}]
    assert [m for m in violations(analyze_stack, broken_prod, config) if m.startswith(US)] == []
