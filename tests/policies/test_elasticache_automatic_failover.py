"""elasticache-automatic-failover, through the analyzer's Analyze."""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "elasticache-automatic-failover"
GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_failover_passes(analyze_resource):
    props = {"automaticFailoverEnabled": True, "numCacheClusters": 2}
    assert messages(analyze_resource(GROUP, props), POLICY) == []


def test_no_failover_is_a_mandatory_violation(analyze_resource):
    for props in ({"automaticFailoverEnabled": False}, {}):
        [found] = only(analyze_resource(GROUP, props), POLICY)
        assert found.detail == "automaticFailoverEnabled must be true (with at least two nodes)."
        assert found.enforcement_level == "mandatory"


def test_secondary_needs_failover_too(analyze_resource):
    """Failover inside a region is the secondary's own setting, not the datastore's."""
    props = {"globalReplicationGroupId": "ldgnf-x", "automaticFailoverEnabled": False}
    assert len(messages(analyze_resource(GROUP, props), POLICY)) == 1


def test_unknown_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(GROUP, {"automaticFailoverEnabled": UNKNOWN}), POLICY) == []
