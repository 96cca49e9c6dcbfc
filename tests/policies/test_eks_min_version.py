"""eks-min-version, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "eks-min-version"
CLUSTER = "aws:eks/cluster:Cluster"


def version(analyze_resource, value: object, config=None) -> list[str]:
    return messages(analyze_resource(CLUSTER, {"version": value}, config=config), POLICY)


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


@pytest.mark.parametrize("value", ["1.28", "1.30", "1.33", "2.0"])
def test_supported_versions_pass(analyze_resource, value):
    assert version(analyze_resource, value) == []


def test_older_version_is_a_mandatory_violation(analyze_resource):
    """1.9 is older than 1.28: versions compare by number, not text."""
    [found] = only(analyze_resource(CLUSTER, {"version": "1.9"}), POLICY)
    assert found.detail == "version is 1.9; Kubernetes 1.28 or newer is required."
    assert found.enforcement_level == "mandatory"
    assert len(version(analyze_resource, "1.27")) == 1


def test_minimum_comes_from_config(analyze_resource):
    assert len(version(analyze_resource, "1.29", {POLICY: {"min_kubernetes_version": "1.30"}})) == 1
    assert version(analyze_resource, "1.27", {POLICY: {"min_kubernetes_version": "1.27"}}) == []


def test_unset_or_unknown_version_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(CLUSTER, {}), POLICY) == []
    assert version(analyze_resource, UNKNOWN) == []
