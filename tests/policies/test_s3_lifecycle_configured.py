"""s3-lifecycle-configured, through the analyzer's Analyze."""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "s3-lifecycle-configured"
TYPE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"


def lifecycle(*statuses: object) -> dict:
    rules = [
        {"id": f"r{i}", "status": s, "expiration": {"days": 30}} for i, s in enumerate(statuses)
    ]
    return {"bucket": "backups", "rules": rules}


def test_an_enabled_rule_passes(analyze_resource):
    assert messages(analyze_resource(TYPE, lifecycle("Disabled", "Enabled")), POLICY) == []


def test_only_disabled_rules_is_a_violation(analyze_resource):
    assert messages(analyze_resource(TYPE, lifecycle("Disabled")), POLICY) == [
        "no lifecycle rule is 'Enabled'; objects would never expire."
    ]


def test_no_rules_is_a_violation(analyze_resource):
    assert messages(analyze_resource(TYPE, lifecycle()), POLICY) == [
        "the lifecycle configuration has no rules."
    ]


def test_unknown_rules_are_not_violations(analyze_resource):
    assert only(analyze_resource(TYPE, {"bucket": "b", "rules": UNKNOWN}), POLICY) == []
    assert only(analyze_resource(TYPE, lifecycle(UNKNOWN)), POLICY) == []
