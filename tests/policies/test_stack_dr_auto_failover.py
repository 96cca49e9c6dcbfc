"""dr-auto-failover-interlocked, through AnalyzeStack: every pair has its plan, a trigger from
outside the primary and every interlock."""

from __future__ import annotations

import copy

import pytest

from offline.policy_runner import stack_policy_config
from tests.policies.conftest import UNKNOWN, drop_resource, only, set_property

POLICY = "dr-auto-failover-interlocked"
US_PLAN = "us-west-2-region-switch-of-us-east-1-plan"
APAC_PLAN = "ap-northeast-1-region-switch-of-ap-southeast-1-plan"
US_BLOCKED = "us-west-2-autofailover-signals-blocked-for-us-east-1"


# What the policy reads; the rest of the stack is left out to keep each judgement cheap.
READ = (
    "aws:arcregionswitch/plan:Plan",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm",
)


@pytest.fixture
def judge(analyze_stack, prod_stack_config):
    config = {POLICY: stack_policy_config(prod_stack_config)[POLICY]}

    def judged(stack, cfg=config):
        read = [r for r in stack.resources if r.type in READ]
        return only(analyze_stack(read, cfg, policies=[POLICY]), POLICY)

    return judged


def details(found) -> list[str]:
    return [d.detail for d in found]


def conditions(stack, plan: str) -> list[dict]:
    return stack.named(plan).outputs["triggers"][0]["conditions"]


def set_conditions(stack, plan: str, kept: list[dict]) -> None:
    set_property(stack, plan, "triggers.0.conditions", kept)


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_a_pair_without_a_plan_is_a_violation(judge, broken_prod):
    drop_resource(broken_prod, US_PLAN)
    [found] = judge(broken_prod)
    assert found.detail == "DR pair us-east-1 -> us-west-2 has no ARC Region switch plan."
    assert found.enforcement_level == "mandatory"


def test_one_region_seeing_the_primary_down_is_not_enough(judge, broken_prod):
    # Keep the standby's probe, drop the witness's: a partition between two regions must not
    # fail a healthy primary over.
    kept = [
        c
        for c in conditions(broken_prod, US_PLAN)
        if "ap-northeast-1" not in c["associatedAlarmName"]
    ]
    set_conditions(broken_prod, US_PLAN, kept)
    [found] = judge(broken_prod)
    assert "down as seen from two other regions" in found.detail


def test_a_trigger_alarm_in_the_primary_region_is_a_violation(judge, broken_prod):
    plan = broken_prod.named(US_PLAN)
    alarms = plan.outputs["associatedAlarms"]
    moved = copy.deepcopy(alarms)
    moved[0]["resourceIdentifier"] = moved[0]["resourceIdentifier"].replace(
        ":us-west-2:", ":us-east-1:"
    )
    set_property(broken_prod, US_PLAN, "associatedAlarms", moved)
    found = details(judge(broken_prod))
    assert any("lives in the primary region" in d for d in found)


@pytest.mark.parametrize(
    ("interlock", "message"),
    [
        ('ALARM("erlmcp-prod-autofailover-us-west-2-ran-for-us-east-1") OR ', "once it ran"),
        ('OR ALARM("erlmcp-prod-autofailover-us-west-2-lag-of-us-east-1") ', "above the RPO"),
        (' OR NOT OK("erlmcp-prod-autofailover-us-west-2-probe-stopped")', "probe is not running"),
    ],
)
def test_each_interlock_is_required(judge, broken_prod, interlock, message):
    rule = broken_prod.named(US_BLOCKED).outputs["alarmRule"]
    assert interlock in rule
    set_property(broken_prod, US_BLOCKED, "alarmRule", rule.replace(interlock, "", 1))
    found = details(judge(broken_prod))
    assert any(message in d for d in found), found


def test_no_interlock_at_all_is_a_violation(judge, broken_prod):
    kept = [
        c for c in conditions(broken_prod, US_PLAN) if "blocked" not in c["associatedAlarmName"]
    ]
    set_conditions(broken_prod, US_PLAN, kept)
    assert any("no interlock" in d for d in details(judge(broken_prod)))


def test_a_disarmed_pair_must_be_forced_closed(judge, broken_prod, prod_stack_config):
    # autoFailover off (or a rollout, or already failed over): the composite must end OR TRUE.
    config = copy.deepcopy(prod_stack_config)
    config["erlmcp-infra:drPairs"][0]["autoFailover"] = {"enabled": False}
    cfg = {POLICY: stack_policy_config(config)[POLICY]}
    found = details(judge(broken_prod, cfg))
    assert any("does not end in OR TRUE" in d for d in found)
    rule = broken_prod.named(US_BLOCKED).outputs["alarmRule"]
    set_property(broken_prod, US_BLOCKED, "alarmRule", f"{rule} OR TRUE")
    assert judge(broken_prod, cfg) == []
    # ... and an armed pair must not be.
    assert any("forced" in d for d in details(judge(broken_prod)))


def test_the_mutual_pair_needs_the_witness_to_see_the_standby_up(judge, broken_prod):
    kept = [
        c
        for c in conditions(broken_prod, APAC_PLAN)
        if c["associatedAlarmName"]
        != "erlmcp-prod-autofailover-us-east-1-probe-ap-northeast-1-down"
    ]
    set_conditions(broken_prod, APAC_PLAN, kept)
    [found] = judge(broken_prod)
    assert "the two plans of the pair could both fire" in found.detail


def test_the_database_step_must_match_the_pair(judge, broken_prod):
    plan = broken_prod.named(US_PLAN)
    workflows = copy.deepcopy(plan.outputs["workflows"])
    steps = workflows[0]["steps"][0]["parallelConfigs"][0]["steps"]
    steps[0]["globalAuroraConfigs"][0]["behavior"] = "switchoverOnly"
    set_property(broken_prod, US_PLAN, "workflows", workflows)
    assert any("must fail over" in d for d in details(judge(broken_prod)))
    steps[0]["executionBlockType"] = "RdsPromoteReadReplica"
    set_property(broken_prod, US_PLAN, "workflows", workflows)
    assert any("no AuroraGlobalDatabase step" in d for d in details(judge(broken_prod)))


def test_the_rto_is_the_pairs(judge, broken_prod):
    set_property(broken_prod, US_PLAN, "recoveryTimeObjectiveMinutes", 10.0)
    [found] = judge(broken_prod)
    assert "its RTO is 10 min, the pair's is 5" in found.detail


def test_unknown_alarms_are_not_a_violation(judge, broken_prod):
    set_property(broken_prod, US_PLAN, "associatedAlarms.0.resourceIdentifier", UNKNOWN)
    assert judge(broken_prod) == []
