"""k8s-pod-limits-max, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "k8s-pod-limits-max"
TYPE = "kubernetes:apps/v1:StatefulSet"


def container(name: str, cpu: object, memory: object) -> dict:
    limits = {"cpu": cpu, "memory": memory}
    return {"name": name, "resources": {"requests": limits, "limits": limits}}


def statefulset(*containers: dict, init: tuple[dict, ...] = ()) -> dict:
    spec: dict = {"containers": list(containers), "initContainers": list(init)}
    return {"spec": {"replicas": 3, "template": {"spec": spec}}}


def check(analyze_resource, *containers: dict, config=None, **kwargs) -> list[str]:
    return messages(
        analyze_resource(TYPE, statefulset(*containers, **kwargs), config=config), POLICY
    )


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


@pytest.mark.parametrize(
    ("cpu", "memory"), [("4", "8Gi"), ("4000m", "8192Mi"), (4, "8589934592"), ("3.5", "7.5Gi")]
)
def test_within_four_cpu_and_eight_gib_passes(analyze_resource, cpu, memory):
    assert check(analyze_resource, container("erlmcp", cpu, memory)) == []


def test_sum_over_containers_is_a_mandatory_violation(analyze_resource):
    found = only(
        analyze_resource(
            TYPE, statefulset(container("a", "3", "6Gi"), container("b", "1500m", "3Gi"))
        ),
        POLICY,
    )
    assert [d.detail for d in found] == [
        "the pod's cpu limit is 4.5; at most 4 per pod.",
        "the pod's memory limit is 9Gi; at most 8Gi per pod.",
    ]
    assert {d.enforcement_level for d in found} == {"mandatory"}


def test_init_containers_count_by_their_largest(analyze_resource):
    init = (container("migrate", "4", "10Gi"),)
    assert check(analyze_resource, container("a", "1", "1Gi"), init=init) == [
        "the pod's memory limit is 10Gi; at most 8Gi per pod."
    ]


def test_maximum_comes_from_config(analyze_resource):
    config = {POLICY: {"max_pod_cpu": "2", "max_pod_memory": "16Gi"}}
    assert check(analyze_resource, container("a", "3", "12Gi"), config=config) == [
        "the pod's cpu limit is 3; at most 2 per pod."
    ]


def test_malformed_quantity_is_a_violation(analyze_resource):
    assert check(analyze_resource, container("a", "two", "1Gi")) == [
        "container 'a' limits.cpu 'two' is not a quantity."
    ]


def test_unknown_limit_is_not_a_violation(analyze_resource):
    found = analyze_resource(
        TYPE, statefulset(container("a", UNKNOWN, UNKNOWN), container("b", "8", "64Gi"))
    )
    assert only(found, POLICY) == []
