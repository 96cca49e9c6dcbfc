"""dr-copies-lag-alarmed, through AnalyzeStack."""

from __future__ import annotations

import pytest

from offline.policy_runner import stack_policy_config
from tests.policies.conftest import UNKNOWN, drop_resource, only, set_property

POLICY = "dr-copies-lag-alarmed"
RDS_LAG = "ap-northeast-1-alarms-database-lag-of-ap-southeast-1"
AURORA_LAG = "us-west-2-alarms-database-lag-of-us-east-1"
CACHE_LAG = "eu-central-1-alarms-cache-lag-of-eu-west-1"


@pytest.fixture
def judge(analyze_stack, prod_stack_config):
    """The policy over a stack, with the RPOs the stack file gives it."""
    config = {POLICY: stack_policy_config(prod_stack_config)[POLICY]}
    return lambda stack: only(analyze_stack(stack, config, policies=[POLICY]), POLICY)


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_a_replica_without_its_lag_alarm_is_a_mandatory_violation(judge, broken_prod):
    drop_resource(broken_prod, RDS_LAG)
    [found] = judge(broken_prod)
    assert found.detail.startswith(
        "DR copy 'ap-northeast-1-standby-of-ap-southeast-1-postgres-db' in ap-northeast-1 has no "
        "ReplicaLag alarm"
    )
    assert found.enforcement_level == "mandatory"


def test_an_aurora_alarm_above_the_rpo_in_milliseconds_is_a_violation(judge, broken_prod):
    # us-east-1 -> us-west-2 promises 1 minute: 60 000 ms.
    set_property(broken_prod, AURORA_LAG, "threshold", 60001.0)
    [found] = judge(broken_prod)
    assert "its AuroraGlobalDBRPOLag alarm fires above 60001, past the pair's RPO of 1 min" in (
        found.detail
    )


def test_a_cache_alarm_at_the_rpo_passes_and_above_it_fails(judge, broken_prod):
    set_property(broken_prod, CACHE_LAG, "threshold", 300.0)
    assert judge(broken_prod) == []
    set_property(broken_prod, CACHE_LAG, "threshold", 301.0)
    [found] = judge(broken_prod)
    assert "GlobalDatastoreReplicationLag" in found.detail


def test_an_unknown_threshold_is_not_a_violation(judge, broken_prod):
    set_property(broken_prod, RDS_LAG, "threshold", UNKNOWN)
    assert judge(broken_prod) == []


def test_an_alarm_on_something_else_does_not_count(judge, broken_prod):
    copy = broken_prod.named("ap-northeast-1-standby-of-ap-southeast-1-postgres-db")
    alarm = broken_prod.named(RDS_LAG)
    alarm.dependencies = [d for d in alarm.dependencies if d != copy.urn]
    alarm.property_dependencies = {
        k: [u for u in v if u != copy.urn] for k, v in alarm.property_dependencies.items()
    }
    [found] = judge(broken_prod)
    assert "has no ReplicaLag alarm" in found.detail


def test_a_primary_cache_that_reports_its_datastore_is_no_copy(judge, broken_prod):
    # AWS reports the Global Datastore's id on the primary group too, once it exists. In the
    # mutual pair, ap-northeast-1 is a standby region whose own group is such a primary.
    datastore = broken_prod.named("ap-northeast-1-redis-global-datastore")
    global_id = datastore.outputs["globalReplicationGroupId"]
    set_property(broken_prod, "ap-northeast-1-redis-group", "globalReplicationGroupId", global_id)
    assert judge(broken_prod) == []
