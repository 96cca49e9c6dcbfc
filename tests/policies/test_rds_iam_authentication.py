"""rds-iam-authentication (advisory), through the analyzer's Analyze."""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "rds-iam-authentication"
INSTANCE = "aws:rds/instance:Instance"


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_iam_authentication_passes(analyze_resource):
    props = {"iamDatabaseAuthenticationEnabled": True}
    assert messages(analyze_resource(INSTANCE, props), POLICY) == []


def test_missing_iam_authentication_is_advisory(analyze_resource):
    [found] = only(analyze_resource(INSTANCE, {"iamDatabaseAuthenticationEnabled": False}), POLICY)
    assert found.detail == "iamDatabaseAuthenticationEnabled is off; prefer short-lived IAM tokens."
    assert found.enforcement_level == "advisory"


def test_pack_config_can_make_it_mandatory(analyze_resource):
    found = analyze_resource(INSTANCE, {}, config={POLICY: "mandatory"})
    assert [d.enforcement_level for d in only(found, POLICY)] == ["mandatory"]


def test_unknown_is_not_a_violation(analyze_resource):
    props = {"iamDatabaseAuthenticationEnabled": UNKNOWN}
    assert only(analyze_resource(INSTANCE, props), POLICY) == []
