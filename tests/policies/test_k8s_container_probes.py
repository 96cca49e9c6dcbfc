"""k8s-container-probes, through the analyzer's Analyze."""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "k8s-container-probes"
TYPE = "kubernetes:apps/v1:Deployment"
PROBE = {"httpGet": {"path": "/health", "port": "http"}}


def deployment(*containers: dict, init: tuple[dict, ...] = ()) -> dict:
    spec = {"containers": list(containers), "initContainers": list(init)}
    return {"spec": {"replicas": 2, "template": {"spec": spec}}}


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_both_probes_pass_and_init_containers_need_none(analyze_resource):
    app = {"name": "app", "livenessProbe": PROBE, "readinessProbe": PROBE}
    found = analyze_resource(TYPE, deployment(app, init=({"name": "migrate"},)))
    assert messages(found, POLICY) == []


def test_missing_probes_are_a_mandatory_violation(analyze_resource):
    containers = ({"name": "app", "livenessProbe": PROBE}, {"name": "sidecar"})
    found = only(analyze_resource(TYPE, deployment(*containers)), POLICY)
    assert [d.detail for d in found] == [
        "container 'app' has no readinessProbe.",
        "container 'sidecar' has no livenessProbe and no readinessProbe.",
    ]
    assert {d.enforcement_level for d in found} == {"mandatory"}


def test_pods_are_checked(analyze_resource):
    pod = {"spec": {"containers": [{"name": "debug", "readinessProbe": PROBE}]}}
    assert messages(analyze_resource("kubernetes:core/v1:Pod", pod), POLICY) == [
        "container 'debug' has no livenessProbe."
    ]


def test_unknown_probe_counts_as_set(analyze_resource):
    app = {"name": "app", "livenessProbe": UNKNOWN, "readinessProbe": PROBE}
    assert only(analyze_resource(TYPE, deployment(app)), POLICY) == []
