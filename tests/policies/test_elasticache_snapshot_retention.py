"""elasticache-snapshot-retention, through the analyzer's Analyze."""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "elasticache-snapshot-retention"
GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


def retention(analyze_resource, days: object, config=None) -> list[str]:
    props = {} if days is None else {"snapshotRetentionLimit": days}
    return messages(analyze_resource(GROUP, props, config=config), POLICY)


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_one_day_passes(analyze_resource):
    assert retention(analyze_resource, 1) == []


def test_no_snapshots_is_a_mandatory_violation(analyze_resource):
    [found] = only(analyze_resource(GROUP, {"snapshotRetentionLimit": 0}), POLICY)
    assert found.detail == "snapshotRetentionLimit is 0 day(s); keep at least 1."
    assert found.enforcement_level == "mandatory"
    assert retention(analyze_resource, None) == [
        "snapshotRetentionLimit is not set (no automatic snapshots); keep at least 1 day(s)."
    ]


def test_minimum_comes_from_config(analyze_resource):
    config = {POLICY: {"min_snapshot_retention_days": 7}}
    assert retention(analyze_resource, 3, config) == [
        "snapshotRetentionLimit is 3 day(s); keep at least 7."
    ]
    assert retention(analyze_resource, 7, config) == []


def test_unknown_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(GROUP, {"snapshotRetentionLimit": UNKNOWN}), POLICY) == []
