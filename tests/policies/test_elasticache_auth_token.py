"""elasticache-auth-token, through the analyzer's Analyze (the token arrives as a secret)."""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, messages, only, secret

POLICY = "elasticache-auth-token"
GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
MISSING = "neither authToken nor userGroupIds is set: any client in the network could connect."


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_secret_auth_token_passes(analyze_resource):
    props = {"authToken": secret("x" * 32), "authTokenUpdateStrategy": "ROTATE"}
    assert messages(analyze_resource(GROUP, props), POLICY) == []


def test_rbac_user_groups_pass(analyze_resource):
    assert messages(analyze_resource(GROUP, {"userGroupIds": ["erlmcp-users"]}), POLICY) == []


def test_no_authentication_is_a_mandatory_violation(analyze_resource):
    for props in ({}, {"authToken": secret("")}, {"userGroupIds": []}):
        [found] = only(analyze_resource(GROUP, props), POLICY)
        assert found.detail == MISSING
        assert found.enforcement_level == "mandatory"


def test_unknown_token_counts_as_set(analyze_resource):
    """A generated token is unknown during preview."""
    assert only(analyze_resource(GROUP, {"authToken": secret(UNKNOWN)}), POLICY) == []
    assert only(analyze_resource(GROUP, {"authToken": UNKNOWN}), POLICY) == []
