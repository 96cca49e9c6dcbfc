"""elasticache-encryption-in-transit, through the analyzer's Analyze."""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "elasticache-encryption-in-transit"
GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_tls_required_passes(analyze_resource):
    assert messages(analyze_resource(GROUP, {"transitEncryptionEnabled": True}), POLICY) == []
    props = {"transitEncryptionEnabled": True, "transitEncryptionMode": "required"}
    assert messages(analyze_resource(GROUP, props), POLICY) == []


def test_no_tls_is_a_mandatory_violation(analyze_resource):
    for props in ({"transitEncryptionEnabled": False}, {}):
        [found] = only(analyze_resource(GROUP, props), POLICY)
        assert found.detail == "transitEncryptionEnabled must be true."
        assert found.enforcement_level == "mandatory"


def test_preferred_mode_is_a_violation(analyze_resource):
    props = {"transitEncryptionEnabled": True, "transitEncryptionMode": "preferred"}
    assert messages(analyze_resource(GROUP, props), POLICY) == [
        "transitEncryptionMode is 'preferred'; 'required' refuses clients without TLS."
    ]


def test_global_datastore_secondary_is_judged_through_its_primary(analyze_resource):
    secondary = {"globalReplicationGroupId": "ldgnf-erlmcp-prod-us-east-1"}
    assert only(analyze_resource(GROUP, secondary), POLICY) == []


def test_unknown_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(GROUP, {"transitEncryptionEnabled": UNKNOWN}), POLICY) == []
    props = {"transitEncryptionEnabled": True, "transitEncryptionMode": UNKNOWN}
    assert only(analyze_resource(GROUP, props), POLICY) == []
