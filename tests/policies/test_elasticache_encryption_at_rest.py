"""elasticache-encryption-at-rest, through the analyzer's Analyze."""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "elasticache-encryption-at-rest"
GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_encrypted_primary_passes(analyze_resource):
    assert messages(analyze_resource(GROUP, {"atRestEncryptionEnabled": True}), POLICY) == []


def test_unencrypted_primary_is_a_mandatory_violation(analyze_resource):
    for props in ({"atRestEncryptionEnabled": False}, {}):
        [found] = only(analyze_resource(GROUP, props), POLICY)
        assert found.detail == "atRestEncryptionEnabled must be true."
        assert found.enforcement_level == "mandatory"


def test_global_datastore_secondary_is_judged_through_its_primary(analyze_resource):
    secondary = {"globalReplicationGroupId": "ldgnf-erlmcp-prod-us-east-1"}
    assert only(analyze_resource(GROUP, secondary), POLICY) == []
    pending = {"globalReplicationGroupId": UNKNOWN}
    assert only(analyze_resource(GROUP, pending), POLICY) == []


def test_unknown_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(GROUP, {"atRestEncryptionEnabled": UNKNOWN}), POLICY) == []
