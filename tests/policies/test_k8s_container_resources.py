"""k8s-container-resources, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "k8s-container-resources"
RESOURCES = {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
CONTROLLERS = [
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:DaemonSet",
]


def pod_spec(*containers: dict, init: tuple[dict, ...] = ()) -> dict:
    spec: dict = {"containers": list(containers)}
    if init:
        spec["initContainers"] = list(init)
    return spec


def workload(type_: str, spec: dict) -> dict:
    if type_ == "kubernetes:core/v1:Pod":
        return {"metadata": {"name": "erlmcp"}, "spec": spec}
    return {"metadata": {"name": "erlmcp"}, "spec": {"template": {"spec": spec}}}


def container(name: str, resources: object = RESOURCES) -> dict:
    return {"name": name, "image": "ghcr.io/seanchatmangpt/erlmcp:3.0.0", "resources": resources}


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


@pytest.mark.parametrize("type_", [*CONTROLLERS, "kubernetes:core/v1:Pod"])
def test_requests_and_limits_pass(analyze_resource, type_):
    found = analyze_resource(type_, workload(type_, pod_spec(container("erlmcp"))))
    assert messages(found, POLICY) == []


@pytest.mark.parametrize("type_", [*CONTROLLERS, "kubernetes:core/v1:Pod"])
def test_container_without_limits_is_a_mandatory_violation(analyze_resource, type_):
    bare = container("erlmcp", {"requests": {"cpu": "1", "memory": "1Gi"}})
    [found] = only(analyze_resource(type_, workload(type_, pod_spec(bare))), POLICY)
    assert found.detail == "container 'erlmcp' sets no limits.cpu, limits.memory."
    assert found.enforcement_level == "mandatory"


def test_every_container_is_checked_including_init(analyze_resource):
    spec = pod_spec(
        container("app"),
        container("sidecar", {}),
        init=(container("migrate", {"limits": {"cpu": "1", "memory": "1Gi"}}),),
    )
    found = analyze_resource(CONTROLLERS[0], workload(CONTROLLERS[0], spec))
    assert messages(found, POLICY) == [
        "init container 'migrate' sets no requests.cpu, requests.memory.",
        "container 'sidecar' sets no requests.cpu, requests.memory, limits.cpu, limits.memory.",
    ]


def test_unknown_values_are_not_violations(analyze_resource):
    type_ = CONTROLLERS[1]
    partly = container("app", {"requests": UNKNOWN, "limits": {"cpu": UNKNOWN, "memory": "1Gi"}})
    assert only(analyze_resource(type_, workload(type_, pod_spec(partly))), POLICY) == []
    assert only(analyze_resource(type_, {"spec": UNKNOWN}), POLICY) == []
    assert only(analyze_resource(type_, workload(type_, {"containers": UNKNOWN})), POLICY) == []
