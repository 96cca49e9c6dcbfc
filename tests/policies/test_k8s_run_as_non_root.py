"""k8s-run-as-non-root, through the analyzer's Analyze."""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "k8s-run-as-non-root"
TYPE = "kubernetes:apps/v1:StatefulSet"


def statefulset(*containers: dict, pod_context: dict | None = None) -> dict:
    spec: dict = {"containers": list(containers)}
    if pod_context is not None:
        spec["securityContext"] = pod_context
    return {"spec": {"template": {"spec": spec}}}


def check(analyze_resource, *containers: dict, pod_context: dict | None = None) -> list[str]:
    found = analyze_resource(TYPE, statefulset(*containers, pod_context=pod_context))
    return messages(found, POLICY)


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_container_or_pod_level_non_root_passes(analyze_resource):
    own = {"name": "app", "securityContext": {"runAsNonRoot": True, "runAsUser": 1000}}
    assert check(analyze_resource, own) == []
    assert check(analyze_resource, {"name": "app"}, pod_context={"runAsNonRoot": True}) == []


def test_no_security_context_is_a_mandatory_violation(analyze_resource):
    [found] = only(analyze_resource(TYPE, statefulset({"name": "app"})), POLICY)
    assert found.detail == "container 'app': runAsNonRoot is not true."
    assert found.enforcement_level == "mandatory"


def test_root_user_is_a_violation(analyze_resource):
    root = {"name": "app", "securityContext": {"runAsUser": 0}}
    assert check(analyze_resource, root, pod_context={"runAsNonRoot": True}) == [
        "container 'app': runAsUser is 0 (root)."
    ]


def test_container_overrides_the_pod(analyze_resource):
    opted_out = {"name": "app", "securityContext": {"runAsNonRoot": False}}
    pod = {"runAsNonRoot": True, "runAsUser": 0}
    assert check(analyze_resource, opted_out, pod_context=pod) == [
        "container 'app': runAsNonRoot is not true; runAsUser is 0 (root)."
    ]
    fixed = {"name": "app", "securityContext": {"runAsUser": 1000}}
    assert check(analyze_resource, fixed, pod_context=pod) == []


def test_init_containers_are_checked(analyze_resource):
    spec = {"containers": [], "initContainers": [{"name": "chown"}]}
    found = analyze_resource(TYPE, {"spec": {"template": {"spec": spec}}})
    assert messages(found, POLICY) == ["init container 'chown': runAsNonRoot is not true."]


def test_unknown_values_are_not_violations(analyze_resource):
    unknown = {"name": "app", "securityContext": {"runAsNonRoot": UNKNOWN, "runAsUser": UNKNOWN}}
    assert only(analyze_resource(TYPE, statefulset(unknown)), POLICY) == []
    assert (
        only(analyze_resource(TYPE, statefulset({"name": "a"}, pod_context=UNKNOWN)), POLICY) == []
    )
