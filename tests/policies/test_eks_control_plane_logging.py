"""eks-control-plane-logging, through the analyzer's Analyze."""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "eks-control-plane-logging"
CLUSTER = "aws:eks/cluster:Cluster"
ALL = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def logging(types: object) -> dict:
    return {"version": "1.33", "enabledClusterLogTypes": types}


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_all_five_log_types_pass(analyze_resource):
    assert messages(analyze_resource(CLUSTER, logging(list(reversed(ALL)))), POLICY) == []


def test_missing_log_types_are_a_mandatory_violation(analyze_resource):
    [found] = only(analyze_resource(CLUSTER, logging(["api", "audit"])), POLICY)
    assert (
        found.detail == "enabledClusterLogTypes lacks authenticator, controllerManager, scheduler."
    )
    assert found.enforcement_level == "mandatory"
    assert messages(analyze_resource(CLUSTER, {"version": "1.33"}), POLICY) == [
        "enabledClusterLogTypes lacks api, audit, authenticator, controllerManager, scheduler."
    ]


def test_unknown_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(CLUSTER, logging(UNKNOWN)), POLICY) == []
    assert only(analyze_resource(CLUSTER, logging(["api", UNKNOWN])), POLICY) == []
