"""HostedZone and LatencyDns: health-checked latency records named by region."""

from __future__ import annotations

import pulumi
import pytest

from components.dns import (
    HealthCheckSettings,
    HostedZone,
    HostedZoneArgs,
    LatencyDns,
    LatencyDnsArgs,
    RegionalEndpoint,
    StandbyTarget,
)
from regions.aws_regions import NLB_HOSTED_ZONE_IDS
from tests.conftest import assert_parented_under, inputs_of

DOMAIN = "erlmcp.io"
ZONE_ID = "ZEXAMPLE123"
HEALTH = "aws:route53/healthCheck:HealthCheck"
RECORD = "aws:route53/record:Record"
ZONE = "aws:route53/zone:Zone"
LATENCY = "erlmcp:components:LatencyDns"


def _endpoint(region: str, serving: bool = True, **extra) -> RegionalEndpoint:
    return RegionalEndpoint(
        region=region,
        hostname=f"erlmcp-{region}.elb.{region}.amazonaws.com",
        load_balancer_zone_id=NLB_HOSTED_ZONE_IDS[region],
        serving=serving,
        **extra,
    )


THREE = [_endpoint("us-east-1"), _endpoint("us-west-2", serving=False), _endpoint("eu-west-1")]


def _dns(endpoints, **overrides) -> LatencyDnsArgs:
    values = {
        "domain": DOMAIN,
        "zone_id": ZONE_ID,
        "endpoints": endpoints,
        "health_check": HealthCheckSettings(),
        "tags": {"project": "erlmcp"},
    }
    values.update(overrides)
    return LatencyDnsArgs(**values)


def _records_by_name(stack, suffix: str) -> dict[str, dict]:
    return {
        r.name.removeprefix("dns-").removesuffix(suffix): inputs_of(r)
        for r in stack.of_type(RECORD)
        if r.name.endswith(suffix)
    }


# --- health checks ------------------------------------------------------------------------------


def test_health_check_per_endpoint_with_the_runbook_settings(record):
    stack = record(lambda: LatencyDns("dns", _dns(THREE)))
    checks = {r.name: inputs_of(r) for r in stack.of_type(HEALTH)}
    assert set(checks) == {"dns-us-east-1-health", "dns-us-west-2-health", "dns-eu-west-1-health"}
    for region in ("us-east-1", "us-west-2", "eu-west-1"):
        check = checks[f"dns-{region}-health"]
        assert check["type"] == "HTTPS"
        assert check["fqdn"] == f"{region}.{DOMAIN}"
        assert check["port"] == 443
        assert check["resourcePath"] == "/health"
        assert check["requestInterval"] == 30
        assert check["failureThreshold"] == 3
        assert check["enableSni"] is True
        assert check["tags"] == {"project": "erlmcp", "Name": f"{region}.{DOMAIN}"}


@pytest.mark.parametrize("interval", [0, 5, 15, 60])
def test_request_interval_must_be_10_or_30(interval):
    with pytest.raises(ValueError, match="request_interval"):
        HealthCheckSettings(request_interval=interval)


def test_fast_interval_is_allowed_and_applied(record):
    settings = HealthCheckSettings(request_interval=10, failure_threshold=2)
    stack = record(lambda: LatencyDns("dns", _dns(THREE, health_check=settings)))
    check = inputs_of(stack.one(HEALTH, "dns-us-east-1-health"))
    assert (check["requestInterval"], check["failureThreshold"]) == (10, 2)


@pytest.mark.parametrize("threshold", [0, 11])
def test_failure_threshold_range(threshold):
    with pytest.raises(ValueError, match="failure_threshold"):
        HealthCheckSettings(failure_threshold=threshold)


def test_health_checker_regions_need_three_known_regions():
    with pytest.raises(ValueError, match="at least 3"):
        HealthCheckSettings(regions=["us-east-1", "eu-west-1"])
    with pytest.raises(ValueError, match="no health checkers"):
        HealthCheckSettings(regions=["us-east-1", "eu-west-1", "eu-central-1"])


# --- records ------------------------------------------------------------------------------------


def test_one_regional_alias_record_per_endpoint(record):
    stack = record(lambda: LatencyDns("dns", _dns(THREE)))
    regional = _records_by_name(stack, "-regional")
    assert set(regional) == {"us-east-1", "us-west-2", "eu-west-1"}
    for region, rec in regional.items():
        assert rec["name"] == f"{region}.{DOMAIN}"
        assert rec["type"] == "A"
        assert rec["zoneId"] == ZONE_ID
        assert rec["aliases"] == [
            {
                "name": f"erlmcp-{region}.elb.{region}.amazonaws.com",
                "zoneId": NLB_HOSTED_ZONE_IDS[region],
                "evaluateTargetHealth": True,
            }
        ]
        assert "setIdentifier" not in rec


def test_apex_latency_records_only_for_serving_endpoints(record):
    stack = record(lambda: LatencyDns("dns", _dns(THREE)))
    checks = {r.name: r for r in stack.of_type(HEALTH)}
    apex = _records_by_name(stack, "-apex")
    assert set(apex) == {"us-east-1", "eu-west-1"}
    for region, rec in apex.items():
        assert rec["name"] == DOMAIN
        assert rec["type"] == "A"
        assert rec["setIdentifier"] == region
        assert rec["latencyRoutingPolicies"] == [{"region": region}]
        assert rec["healthCheckId"] == checks[f"dns-{region}-health"].id
        assert rec["aliases"][0]["evaluateTargetHealth"] is True
        assert rec["aliases"][0]["zoneId"] == NLB_HOSTED_ZONE_IDS[region]


def test_apex_record_depends_on_its_own_regions_health_check(record):
    stack = record(lambda: LatencyDns("dns", _dns(THREE)))
    apex = stack.one(RECORD, "dns-eu-west-1-apex")
    check = stack.one(HEALTH, "dns-eu-west-1-health")
    assert apex.property_dependencies["healthCheckId"] == [check.urn]


def test_route53_resources_have_no_region_and_sit_under_the_component(record):
    stack = record(lambda: LatencyDns("dns", _dns(THREE)))
    route53 = [r for r in stack.resources if r.type.startswith("aws:route53/")]
    assert route53
    assert all("region" not in r.inputs and r.region is None for r in route53)
    assert_parented_under(stack, LATENCY, "dns")


def test_adding_an_endpoint_keeps_every_other_urn(record):
    two = record(lambda: LatencyDns("dns", _dns([THREE[0], THREE[2]])))
    three = record(lambda: LatencyDns("dns", _dns([THREE[2], THREE[1], THREE[0]])))
    assert two.urns() < three.urns()
    added = {r.name for r in three.resources if r.urn not in two.urns()}
    assert added == {"dns-us-west-2-health", "dns-us-west-2-regional"}


def test_outputs_are_keyed_by_region(record):
    seen: dict[str, object] = {}

    def build():
        dns = LatencyDns("dns", _dns(THREE))
        seen["fqdns"] = dns.regional_fqdns
        seen["apex"] = set(dns.apex_record_names)
        pulumi.Output.all(**dns.health_check_ids).apply(lambda ids: seen.setdefault("ids", ids))

    stack = record(build)
    assert seen["fqdns"] == {r: f"{r}.{DOMAIN}" for r in ("us-east-1", "us-west-2", "eu-west-1")}
    assert seen["apex"] == {"us-east-1", "eu-west-1"}
    assert seen["ids"] == {
        r: stack.one(HEALTH, f"dns-{r}-health").id for r in ("us-east-1", "us-west-2", "eu-west-1")
    }


def test_rejects_two_endpoints_in_one_region():
    with pytest.raises(ValueError, match="share regions"):
        _dns([_endpoint("us-east-1"), _endpoint("us-east-1", serving=False)])


def test_rejects_endpoints_of_which_none_serves():
    with pytest.raises(ValueError, match="no endpoint is serving"):
        _dns([_endpoint("us-east-1", serving=False), _endpoint("us-west-2", serving=False)])


# --- failover pairs under latency records --------------------------------------------------------


STANDBY = StandbyTarget(
    hostname="erlmcp-standby.elb.ap-northeast-1.amazonaws.com",
    load_balancer_zone_id=NLB_HOSTED_ZONE_IDS["ap-northeast-1"],
)


def test_failover_pair_under_the_latency_record(record):
    endpoints = [
        _endpoint("ap-southeast-1", standby=STANDBY),
        _endpoint("ap-northeast-1"),
    ]
    stack = record(lambda: LatencyDns("dns", _dns(endpoints)))
    checks = {r.name: r for r in stack.of_type(HEALTH)}
    standby_check = inputs_of(checks["dns-ap-southeast-1-standby-health"])
    assert standby_check["fqdn"] == f"standby-ap-southeast-1.{DOMAIN}"
    assert (standby_check["type"], standby_check["port"]) == ("HTTPS", 443)
    standby_name = inputs_of(stack.one(RECORD, "dns-ap-southeast-1-standby"))
    assert standby_name["name"] == f"standby-ap-southeast-1.{DOMAIN}"
    assert standby_name["aliases"][0]["name"] == STANDBY.hostname
    assert standby_name["aliases"][0]["zoneId"] == NLB_HOSTED_ZONE_IDS["ap-northeast-1"]

    primary = inputs_of(stack.one(RECORD, "dns-ap-southeast-1-failover-primary"))
    secondary = inputs_of(stack.one(RECORD, "dns-ap-southeast-1-failover-secondary"))
    pool = f"failover-ap-southeast-1.{DOMAIN}"
    assert primary["name"] == secondary["name"] == pool
    assert primary["failoverRoutingPolicies"] == [{"type": "PRIMARY"}]
    assert secondary["failoverRoutingPolicies"] == [{"type": "SECONDARY"}]
    assert primary["healthCheckId"] == checks["dns-ap-southeast-1-health"].id
    assert secondary["healthCheckId"] == checks["dns-ap-southeast-1-standby-health"].id
    assert primary["aliases"][0]["name"] == f"ap-southeast-1.{DOMAIN}"
    # The standby is the release holding this region's data, not the standby region's own one.
    assert secondary["aliases"][0]["name"] == f"standby-ap-southeast-1.{DOMAIN}"

    apex = stack.one(RECORD, "dns-ap-southeast-1-apex")
    assert inputs_of(apex)["aliases"] == [
        {"name": pool, "zoneId": ZONE_ID, "evaluateTargetHealth": True}
    ]
    # Its own health check would hide the secondary: the pair's health decides.
    assert "healthCheckId" not in inputs_of(apex)
    # Without a standby the record keeps its own health check.
    assert inputs_of(stack.one(RECORD, "dns-ap-northeast-1-apex"))["healthCheckId"]


def test_an_endpoint_can_use_its_own_health_check_interval(record):
    fast = HealthCheckSettings(request_interval=10)
    endpoints = [_endpoint("us-east-1", standby=STANDBY, health_check=fast), _endpoint("eu-west-1")]
    stack = record(lambda: LatencyDns("dns", _dns(endpoints)))
    intervals = {r.name: inputs_of(r)["requestInterval"] for r in stack.of_type(HEALTH)}
    assert intervals == {
        "dns-us-east-1-health": 10,
        "dns-us-east-1-standby-health": 10,
        "dns-eu-west-1-health": 30,
    }


def test_a_non_serving_endpoint_cannot_fail_over():
    with pytest.raises(ValueError, match="not serving"):
        _dns([_endpoint("us-west-2", serving=False, standby=STANDBY), _endpoint("eu-west-1")])


# --- hosted zone ---------------------------------------------------------------------------------


def test_created_zone_is_protected_and_never_force_destroyed(record):
    stack = record(lambda: HostedZone("zone", HostedZoneArgs(domain=DOMAIN, tags={"a": "b"})))
    zone = stack.one(ZONE, "zone-zone")
    assert zone.protect is True
    assert inputs_of(zone)["name"] == DOMAIN
    assert inputs_of(zone)["forceDestroy"] is False
    assert inputs_of(zone)["tags"] == {"a": "b", "Name": DOMAIN}
    assert "region" not in zone.inputs


def test_existing_zone_creates_no_zone(record):
    seen: dict[str, object] = {}

    def build():
        zone = HostedZone("zone", HostedZoneArgs(domain=DOMAIN, existing_zone_id="ZEXISTING"))
        pulumi.Output.all(zone.zone_id, zone.name_servers).apply(
            lambda values: seen.setdefault("values", values)
        )

    stack = record(build)
    assert stack.of_type(ZONE) == []
    assert seen["values"] == ["ZEXISTING", []]
