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


def alias_evaluated(region: str) -> str:
    return (
        f"Latency record 'dns-{region}-apex' for {region} evaluates no health check: not every "
        f"record behind its alias (failover-{region}.erlmcp.io) names a health check of this stack."
    )


def test_latency_records_evaluate_their_failover_pairs_checks(prod_stack):
    """Each apex record has no check of its own: it evaluates the failover pair it aliases."""
    apex = prod_stack.named("dns-eu-west-1-apex")
    assert "healthCheckId" not in apex.inputs
    assert apex.inputs["aliases"][0]["evaluateTargetHealth"] is True


def test_removed_health_check(analyze_stack, broken_prod):
    drop_resource(broken_prod, "dns-eu-west-1-health")
    assert violations(analyze_stack, broken_prod) == [alias_evaluated("eu-west-1")]


def test_failover_record_without_health_check(analyze_stack, broken_prod):
    drop_property(broken_prod, "dns-ap-northeast-1-failover-secondary", "healthCheckId")
    assert violations(analyze_stack, broken_prod) == [alias_evaluated("ap-northeast-1")]


def test_alias_that_does_not_evaluate_target_health(analyze_stack, broken_prod):
    set_property(broken_prod, "dns-us-east-1-apex", "aliases.0.evaluateTargetHealth", False)
    assert violations(analyze_stack, broken_prod) == [
        "Latency record 'dns-us-east-1-apex' for us-east-1 evaluates no health check: not every "
        "record behind its alias (failover-us-east-1.erlmcp.io) names a health check of this "
        "stack."
    ]


def test_own_health_check_naming_nothing(analyze_stack, broken_prod):
    set_property(broken_prod, "dns-eu-west-1-apex", "healthCheckId", "no-such-check")
    broken_prod.named("dns-eu-west-1-apex").property_dependencies.pop("healthCheckId", None)
    assert violations(analyze_stack, broken_prod) == [
        "Latency record 'dns-eu-west-1-apex' for eu-west-1 names health check 'no-such-check', "
        "which is no Route 53 health check of this stack."
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
    set_property(broken_prod, "dns-us-east-1-failover-primary", "healthCheckId", UNKNOWN)
    assert violations(analyze_stack, broken_prod) == []


def test_unknown_health_check_id_is_not_judged(analyze_stack, broken_prod):
    set_property(broken_prod, "dns-us-east-1-failover-primary", "healthCheckId", UNKNOWN)
    broken_prod.named("dns-us-east-1-failover-primary").property_dependencies.pop("healthCheckId")
    assert violations(analyze_stack, broken_prod) == []


def test_warm_standby_is_routed_through_its_failover_record(analyze_stack, broken_prod):
    """us-west-2 runs 3 warm pods; only the us-east-1 failover pair's SECONDARY reaches them."""
    assert violations(analyze_stack, broken_prod) == []
    drop_resource(broken_prod, "dns-us-east-1-failover-secondary")
    assert violations(analyze_stack, broken_prod) == [
        "Region us-west-2 serves (3 pods behind Service "
        "'us-west-2-standby-of-us-east-1-erlmcp-service') but no Route 53 latency record routes "
        "to it."
    ]
