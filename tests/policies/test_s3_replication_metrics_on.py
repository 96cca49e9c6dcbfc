"""s3-replication-metrics-on, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, only

POLICY = "s3-replication-metrics-on"
TYPE = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"


def replication(*rules: dict) -> dict:
    return {"bucket": "backups", "region": "us-east-1", "role": "arn:role", "rules": list(rules)}


def rule(metrics: object, status: str = "Enabled") -> dict:
    destination: dict = {"bucket": "arn:aws:s3:::standby"}
    if metrics is not None:
        destination["metrics"] = {"status": metrics}
    return {"id": "everything", "status": status, "destination": destination}


def test_metrics_on_passes(analyze_resource):
    assert only(analyze_resource(TYPE, replication(rule("Enabled"))), POLICY) == []


@pytest.mark.parametrize("metrics", ["Disabled", None])
def test_a_rule_without_metrics_is_a_mandatory_violation(analyze_resource, metrics):
    [found] = only(analyze_resource(TYPE, replication(rule("Enabled"), rule(metrics))), POLICY)
    assert found.detail.startswith("rules[1] (everything) replicates without metrics")
    assert found.enforcement_level == "mandatory"


def test_a_disabled_rule_or_an_unknown_status_is_not_judged(analyze_resource):
    assert only(analyze_resource(TYPE, replication(rule(None, "Disabled"))), POLICY) == []
    assert only(analyze_resource(TYPE, replication(rule(UNKNOWN))), POLICY) == []
