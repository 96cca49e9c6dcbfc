"""The first deployment of a fresh account (README "First deployment"): a zone-only stage
(`dns.delegated: false`) that builds the hosted zone, signed and logged, and nothing that
waits on DNS validation through it; then the full stack, which keeps every resource of the
first stage as it is."""

from __future__ import annotations

import copy

import pytest

from offline.stacks import PROD_STACK_FILE, stack_file_config
from planning.diff import diff_plans
from planning.plan import build_plan, plan_resources, summary
from regions.config import ConfigError, parse_stack_config
from tests.recordings import pack_report, recorded_stack


def zone_only_config() -> dict:
    config = copy.deepcopy(stack_file_config())
    config["erlmcp-infra:dns"]["delegated"] = False
    return config


@pytest.fixture(scope="module")
def zone_only():
    return recorded_stack(zone_only_config())


def test_the_zone_only_stage_builds_the_zone_signed_and_logged_and_nothing_else(zone_only):
    custom = sorted({r.type for r in zone_only.resources if r.custom and not r.is_provider})
    assert custom == [
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
        "aws:kms/key:Key",
        "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec",
        "aws:route53/keySigningKey:KeySigningKey",
        "aws:route53/queryLog:QueryLog",
        "aws:route53/zone:Zone",
    ]
    # No certificate, so nothing waits on a validation the registrar cannot answer yet.
    assert not [r for r in zone_only.resources if r.type.startswith("aws:acm/")]


def test_the_zone_only_stage_hands_the_registrar_what_it_needs(zone_only):
    outputs = zone_only.outputs
    assert outputs["stage"] == "zone-only"
    assert {"zoneId", "nameServers", "dnssecDsRecord"} <= set(outputs)
    assert "regions" not in outputs


def test_the_zone_only_stage_passes_the_pack(zone_only):
    report = pack_report(zone_only, stack_config=zone_only_config())
    assert report.mandatory == [], report.format()


def test_the_full_stage_keeps_the_first_stages_resources_as_they_are(zone_only, prod_stack):
    before = {"resources": plan_resources(zone_only)}
    after = {"resources": plan_resources(prod_stack)}
    diff = diff_plans(before, after)
    assert diff["removed"] == [] and diff["replaced"] == [] and diff["warnings"] == []
    # Only the query-log group changes: it is encrypted with us-east-1's key once that exists.
    changed = {c["urn"].rsplit("::", 1)[-1]: c["inputs"] for c in diff["changed"]}
    assert changed == {"dns-query-log-group": ["kmsKeyId"]}


def test_the_plan_says_loudly_which_stage_the_stack_is_in(zone_only, prod_stack):
    config = zone_only_config()
    plan = build_plan(
        zone_only, config, PROD_STACK_FILE, report=pack_report(zone_only, stack_config=config)
    )
    assert plan["stage"] == "zone-only"
    text = summary(plan, (PROD_STACK_FILE, PROD_STACK_FILE))
    assert "Stage: ZONE ONLY (dns.delegated: false)" in text


def test_an_existing_zone_has_no_zone_only_stage(prod_values):
    prod_values["dns"] = {"zoneId": "Z0123456789ABC", "delegated": False}
    with pytest.raises(ConfigError, match=r"erlmcp-infra:dns.delegated: an existing zone"):
        parse_stack_config(prod_values)
