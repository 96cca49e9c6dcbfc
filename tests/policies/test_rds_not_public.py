"""rds-not-public, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "rds-not-public"
TYPES = ["aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance"]


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


@pytest.mark.parametrize("type_", TYPES)
def test_private_or_unset_passes(analyze_resource, type_):
    assert messages(analyze_resource(type_, {"publiclyAccessible": False}), POLICY) == []
    assert messages(analyze_resource(type_, {}), POLICY) == []


@pytest.mark.parametrize("type_", TYPES)
def test_public_is_a_mandatory_violation(analyze_resource, type_):
    [found] = only(analyze_resource(type_, {"publiclyAccessible": True}), POLICY)
    assert found.detail == "publiclyAccessible is true; databases are reachable only from the VPC."
    assert found.enforcement_level == "mandatory"


def test_unknown_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(TYPES[0], {"publiclyAccessible": UNKNOWN}), POLICY) == []
