"""dns-serving-regions-health-checked on the prod stack and on broken copies of it."""

from __future__ import annotations

from offline.recorder import UNKNOWN
from tests.policies.conftest import drop_property, drop_resource, messages, set_property

POLICY = "dns-serving-regions-health-checked"


def violations(analyze_stack, stack) -> list[str]:
    return messages(analyze_stack(stack, policies=[POLICY]), POLICY)


def test_prod_stack_passes(analyze_stack, prod_stack):
    assert violations(analyze_stack, prod_stack) == []


def test_standby_regions_need_no_latency_record(prod_stack):
    """us-west-2 and eu-central-1 run no pods: they are in DNS only by their regional names."""
    apex_regions = {
        r.inputs["setIdentifier"]
        for r in prod_stack.of_type("aws:route53/record:Record")
        if r.inputs.get("latencyRoutingPolicies")
    }
    assert apex_regions == {"us-east-1", "eu-west-1", "ap-southeast-1", "ap-northeast-1"}


def test_removed_health_check(analyze_stack, broken_prod):
    check = drop_resource(broken_prod, "dns-eu-west-1-health")
    check_id = check.outputs["arn"].rsplit("/", 1)[-1]
    assert violations(analyze_stack, broken_prod) == [
        f"Latency record 'dns-eu-west-1-apex' for eu-west-1 names health check {check_id!r}, "
        "which is no Route 53 health check of this stack."
    ]


def test_latency_record_without_health_check(analyze_stack, broken_prod):
    drop_property(broken_prod, "dns-ap-northeast-1-apex", "healthCheckId")
    assert violations(analyze_stack, broken_prod) == [
        "Latency record 'dns-ap-northeast-1-apex' for ap-northeast-1 evaluates no health check."
    ]


def test_serving_region_without_latency_record(analyze_stack, broken_prod):
    drop_resource(broken_prod, "dns-eu-west-1-apex")
    [diagnostic] = analyze_stack(broken_prod, policies=[POLICY])
    assert diagnostic.detail == (
        "Region eu-west-1 serves (2 pods behind Service 'eu-west-1-erlmcp-service') but no "
        "Route 53 latency record routes to it."
    )
    assert diagnostic.urn.endswith("kubernetes:core/v1:Service::eu-west-1-erlmcp-service")


def test_unknown_health_check_id_with_its_dependency_passes(analyze_stack, broken_prod):
    """In a preview the id is unknown, but the engine still knows which resource it comes from."""
    set_property(broken_prod, "dns-us-east-1-apex", "healthCheckId", UNKNOWN)
    assert violations(analyze_stack, broken_prod) == []


def test_unknown_health_check_id_is_not_judged(analyze_stack, broken_prod):
    set_property(broken_prod, "dns-us-east-1-apex", "healthCheckId", UNKNOWN)
    broken_prod.named("dns-us-east-1-apex").property_dependencies.pop("healthCheckId")
    assert violations(analyze_stack, broken_prod) == []
