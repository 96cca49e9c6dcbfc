"""k8s-max-replicas, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "k8s-max-replicas"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


@pytest.mark.parametrize("type_", [STATEFULSET, "kubernetes:apps/v1:Deployment"])
def test_up_to_a_hundred_replicas_pass(analyze_resource, type_):
    assert messages(analyze_resource(type_, {"spec": {"replicas": 100}}), POLICY) == []
    assert messages(analyze_resource(type_, {"spec": {}}), POLICY) == []


def test_too_many_replicas_is_a_mandatory_violation(analyze_resource):
    [found] = only(analyze_resource(STATEFULSET, {"spec": {"replicas": 101}}), POLICY)
    assert found.detail == "spec.replicas is 101; at most 100 pods per workload."
    assert found.enforcement_level == "mandatory"


def test_autoscaler_maximum_is_checked(analyze_resource):
    found = analyze_resource(HPA, {"spec": {"minReplicas": 5, "maxReplicas": 150}})
    assert messages(found, POLICY) == ["spec.maxReplicas is 150; at most 100 pods per workload."]
    assert messages(analyze_resource(HPA, {"spec": {"maxReplicas": 20}}), POLICY) == []


def test_maximum_comes_from_config(analyze_resource):
    config = {POLICY: {"max_replicas": 10}}
    found = analyze_resource(STATEFULSET, {"spec": {"replicas": 11}}, config=config)
    assert messages(found, POLICY) == ["spec.replicas is 11; at most 10 pods per workload."]


def test_unknown_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(STATEFULSET, {"spec": {"replicas": UNKNOWN}}), POLICY) == []
