"""The config of automatic failover: per-pair `autoFailover` and stack-level `failoverBy`."""

from __future__ import annotations

import pytest

from regions.auto_failover import planned_pairs
from regions.config import ConfigError, parse_stack_config


def test_every_prod_pair_fails_over_by_itself_by_default(prod_values):
    stack = parse_stack_config(prod_values)
    assert all(p.auto_failover.enabled for p in stack.dr_pairs)
    assert stack.dr_pairs[0].auto_failover.detection_minutes == 1  # the us pair's 5-min RTO
    assert stack.dr_pairs[1].auto_failover.detection_minutes == 2


@pytest.mark.parametrize(
    ("witness", "message"),
    [
        ("us-east-1", "is in the pair"),
        ("us-west-2", "is in the pair"),
        ("sa-east-1", "not a region under 'regions'"),
    ],
)
def test_a_witness_is_a_third_region_of_the_stack(prod_values, witness, message):
    prod_values["drPairs"][0]["autoFailover"] = {"witnessRegion": witness}
    with pytest.raises(ConfigError, match=f"drPairs\\[0\\].autoFailover.witnessRegion.*{message}"):
        parse_stack_config(prod_values)


def test_detection_and_delay_are_bounded(prod_values):
    prod_values["drPairs"][1]["autoFailover"] = {"detectionMinutes": 0}
    with pytest.raises(ConfigError, match="detectionMinutes"):
        parse_stack_config(prod_values)


def test_failover_by_names_a_failed_over_primary(prod_values):
    prod_values["failoverBy"] = {"us-east-1": "region-switch"}
    with pytest.raises(ConfigError, match=r"failoverBy.us-east-1.*not failed over"):
        parse_stack_config(prod_values)
    prod_values["failover"] = {"us-east-1": "us-west-2"}
    stack = parse_stack_config(prod_values)
    assert stack.promoted_by_region_switch(stack.dr_pairs[0])
    assert not stack.promoted_by_region_switch(stack.dr_pairs[1])


def test_a_managed_aurora_failover_goes_home_by_switchover_not_failback(prod_values):
    prod_values["failover"] = {"us-east-1": "us-west-2"}
    prod_values["failoverBy"] = {"us-east-1": "region-switch"}
    prod_values["failback"] = {"us-east-1": "resync"}
    with pytest.raises(ConfigError, match="switchover-global-cluster"):
        parse_stack_config(prod_values)
    # RDS: the plan's promotion is the one config makes; failback stays as it was.
    prod_values["failover"] = {"ap-southeast-1": "ap-northeast-1"}
    prod_values["failoverBy"] = {"ap-southeast-1": "region-switch"}
    prod_values["failback"] = {"ap-southeast-1": "resync"}
    parse_stack_config(prod_values)


def test_a_two_region_stack_has_no_witness_and_must_say_so(prod_values):
    prod_values["regions"] = {r: prod_values["regions"][r] for r in ("us-east-1", "us-west-2")}
    prod_values["drPairs"] = prod_values["drPairs"][:1]
    with pytest.raises(ConfigError, match=r"autoFailover.enabled: the stack has no third region"):
        parse_stack_config(prod_values)
    prod_values["drPairs"][0]["autoFailover"] = {"enabled": False}
    stack = parse_stack_config(prod_values)
    assert planned_pairs(stack) == []  # no plan: `make failover` only
