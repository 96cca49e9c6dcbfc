"""rds-deletion-protection, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "rds-deletion-protection"
INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
REPLICA = {"replicateSourceDb": "arn:aws:rds:us-east-1:123456789012:db:primary"}


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


@pytest.mark.parametrize("type_", [INSTANCE, CLUSTER])
def test_protected_passes(analyze_resource, type_):
    assert messages(analyze_resource(type_, {"deletionProtection": True}), POLICY) == []


def test_unprotected_primary_is_a_violation(analyze_resource):
    [found] = only(analyze_resource(INSTANCE, {"deletionProtection": False}), POLICY)
    assert found.detail == "deletionProtection must be true on this primary."
    assert found.enforcement_level == "mandatory"
    assert messages(analyze_resource(CLUSTER, {}), POLICY) == [
        "deletionProtection must be true on this cluster."
    ]


def test_replicas_are_required_by_default(analyze_resource):
    assert messages(analyze_resource(INSTANCE, REPLICA), POLICY) == [
        "deletionProtection must be true on this replica."
    ]


def test_config_can_exempt_replicas_but_not_primaries(analyze_resource):
    config = {POLICY: {"require_on_replicas": False}}
    assert messages(analyze_resource(INSTANCE, REPLICA, config=config), POLICY) == []
    assert len(messages(analyze_resource(INSTANCE, {}, config=config), POLICY)) == 1


def test_unknown_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(INSTANCE, {"deletionProtection": UNKNOWN}), POLICY) == []
