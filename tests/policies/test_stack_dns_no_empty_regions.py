"""dns-no-traffic-to-empty-regions on the prod stack and on broken copies of it."""

from __future__ import annotations

from offline.recorder import UNKNOWN
from tests.policies.conftest import drop_property, drop_resource, messages, set_property

POLICY = "dns-no-traffic-to-empty-regions"


def violations(analyze_stack, stack, config=None) -> list[str]:
    return messages(analyze_stack(stack, config, policies=[POLICY]), POLICY)


def test_prod_stack_passes(analyze_stack, prod_stack):
    assert violations(analyze_stack, prod_stack) == []


def test_serving_region_scaled_to_zero(analyze_stack, broken_prod):
    set_property(broken_prod, "eu-west-1-erlmcp-statefulset", "spec.replicas", 0)
    [diagnostic] = analyze_stack(broken_prod, policies=[POLICY])
    assert diagnostic.detail == (
        "Latency record 'dns-eu-west-1-apex' sends traffic to eu-west-1, but its alias is the "
        "load balancer of Service 'eu-west-1-erlmcp-service' (eu-west-1), whose selector "
        "matches 0 running pods (at least 1 required)."
    )
    assert diagnostic.urn.endswith("aws:route53/record:Record::dns-eu-west-1-apex")


def test_record_aliasing_a_standby_load_balancer(analyze_stack, broken_prod):
    """ap-northeast-1 runs two releases; pointing DNS at the empty standby one is caught."""
    standby = broken_prod.named("ap-northeast-1-standby-of-ap-southeast-1-erlmcp-service")
    hostname = standby.outputs["status"]["loadBalancer"]["ingress"][0]["hostname"]
    record = broken_prod.named("dns-ap-northeast-1-apex")
    for props in (record.inputs, record.outputs):
        props["aliases"][0]["name"] = hostname
    [message] = violations(analyze_stack, broken_prod)
    assert "ap-northeast-1-standby-of-ap-southeast-1-erlmcp-service" in message
    assert "matches 0 running pods" in message


def test_selector_that_matches_no_pods(analyze_stack, broken_prod):
    set_property(
        broken_prod,
        "us-east-1-erlmcp-service",
        "spec.selector",
        {"app.kubernetes.io/name": "something-else"},
    )
    [message] = violations(analyze_stack, broken_prod)
    assert message.startswith("Latency record 'dns-us-east-1-apex' sends traffic to us-east-1")


def test_hpa_minimum_counts_when_replicas_are_left_to_it(analyze_stack, broken_prod):
    def about_us_east_1() -> list[str]:
        found = violations(analyze_stack, broken_prod, {POLICY: {"min_pods": 3}})
        return [m for m in found if "'dns-us-east-1-apex'" in m]

    statefulset = broken_prod.named("us-east-1-erlmcp-statefulset")
    for props in (statefulset.inputs, statefulset.outputs):
        del props["spec"]["replicas"]
    assert about_us_east_1() == []  # its HPA keeps minReplicas 3
    drop_resource(broken_prod, "us-east-1-erlmcp-hpa")
    [message] = about_us_east_1()  # Kubernetes' default: 1 replica
    assert "matches 1 running pods (at least 3 required)" in message


def test_min_pods_threshold(analyze_stack, prod_stack):
    found = violations(analyze_stack, prod_stack, {POLICY: {"min_pods": 3}})
    assert sorted(m.split("'")[1] for m in found) == [
        "dns-ap-northeast-1-apex",
        "dns-ap-southeast-1-apex",
        "dns-eu-west-1-apex",
    ]


def test_region_fallback_when_the_load_balancer_is_not_known_yet(analyze_stack, broken_prod):
    """In a first preview the Service's hostname is unknown: the record's region stands in."""
    for name in ("eu-west-1-erlmcp-service",):
        set_property(broken_prod, name, "status", UNKNOWN)
    assert violations(analyze_stack, broken_prod) == []
    set_property(broken_prod, "eu-west-1-erlmcp-statefulset", "spec.replicas", 0)
    assert violations(analyze_stack, broken_prod) == [
        "Latency record 'dns-eu-west-1-apex' sends traffic to eu-west-1, but its latency region "
        "eu-west-1 runs 0 pods (at least 1 required)."
    ]


def test_unknown_replicas_are_not_judged(analyze_stack, broken_prod):
    set_property(broken_prod, "eu-west-1-erlmcp-statefulset", "spec.replicas", UNKNOWN)
    assert violations(analyze_stack, broken_prod) == []


def test_record_without_alias_uses_its_region(analyze_stack, broken_prod):
    drop_property(broken_prod, "dns-us-east-1-apex", "aliases")
    assert violations(analyze_stack, broken_prod) == []
    set_property(broken_prod, "us-east-1-erlmcp-statefulset", "spec.replicas", 0)
    [message] = violations(analyze_stack, broken_prod)
    assert "its latency region us-east-1 runs 0 pods" in message


def test_advisory_level(analyze_stack, broken_prod):
    set_property(broken_prod, "eu-west-1-erlmcp-statefulset", "spec.replicas", 0)
    config = {POLICY: "advisory"}
    [diagnostic] = analyze_stack(broken_prod, config, policies=[POLICY])
    assert diagnostic.enforcement_level == "advisory"
