"""rds-multi-az, through the analyzer's Analyze."""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "rds-multi-az"
INSTANCE = "aws:rds/instance:Instance"


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_multi_az_primary_passes(analyze_resource):
    assert messages(analyze_resource(INSTANCE, {"multiAz": True}), POLICY) == []


def test_single_az_primary_is_a_mandatory_violation(analyze_resource):
    for props in ({"multiAz": False}, {}):
        [found] = only(analyze_resource(INSTANCE, props), POLICY)
        assert found.detail == "multiAz must be true on a primary database instance."
        assert found.enforcement_level == "mandatory"


def test_replicas_are_exempt(analyze_resource):
    replica = {"replicateSourceDb": "arn:aws:rds:us-east-1:123456789012:db:p", "multiAz": False}
    assert only(analyze_resource(INSTANCE, replica), POLICY) == []


def test_unknown_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(INSTANCE, {"multiAz": UNKNOWN}), POLICY) == []
