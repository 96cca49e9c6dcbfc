"""Explicit providers (regions/providers.py): every resource of the prod stack goes through the
provider of the region it lives in, global services through their own, no resource reaches a
default provider, and moving onto these providers replaces nothing (planning/diff.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from offline.mocks import ACCOUNT_ID
from operations.outage import configure_calls_aws
from planning.diff import diff_plans, provider_move
from planning.plan import plan_resources
from regions.providers import (
    GLOBAL_PROVIDER,
    GLOBAL_SERVICES_REGION,
    AwsProviderSettings,
    default_provider_name,
)

GLOBAL_SERVICES = ("aws:iam/", "aws:route53/")


def providers_by_urn(stack) -> dict[str, Any]:
    return {r.urn: r for r in stack.resources if r.is_provider}


def test_every_custom_resource_names_an_explicit_provider(prod_stack):
    # With `pulumi:disable-default-providers: ["*"]`, one without would stop the update.
    missing = [
        r.urn for r in prod_stack.resources if r.custom and not r.is_provider and not r.provider
    ]
    assert missing == []


def test_every_aws_resource_goes_through_its_own_regions_provider(prod_stack):
    providers = providers_by_urn(prod_stack)
    for resource in prod_stack.resources:
        if not resource.type.startswith("aws:"):
            continue
        provider = providers[resource.provider.rsplit("::", 1)[0]]
        if resource.type.startswith(GLOBAL_SERVICES):
            assert provider.name == GLOBAL_PROVIDER, resource.urn
        else:
            # Regional resources; the DNSSEC key and query-log group must be in us-east-1 and
            # belong to the global services' provider.
            assert provider.plain_inputs["region"] == resource.region, resource.urn


def test_one_provider_per_region_one_for_global_services_and_one_for_random(prod_stack):
    names = sorted(r.name for r in prod_stack.resources if r.is_provider and "aws" in r.type)
    regions = sorted({r.region for r in prod_stack.resources if r.type.startswith("aws:ec2/vpc:")})
    assert names == sorted([GLOBAL_PROVIDER, *(f"aws-{region}" for region in regions)])
    assert len(prod_stack.of_type("pulumi:providers:random")) == 1


def test_normally_every_provider_checks_the_account_and_calls_only_its_region(prod_stack):
    for provider in prod_stack.of_type("pulumi:providers:aws"):
        inputs = provider.plain_inputs
        assert inputs["allowedAccountIds"] == f'["{ACCOUNT_ID}"]', provider.name
        assert "stsRegion" not in inputs  # STS of the provider's own region
        assert configure_calls_aws(inputs)


def test_a_failed_over_primarys_provider_calls_nothing():
    settings = AwsProviderSettings(
        "us-east-1", ACCOUNT_ID, unreachable=True, sts_region="us-west-2"
    ).arguments()
    assert settings == {
        "region": "us-east-1",
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "sts_region": "us-west-2",
    }
    # allowed_account_ids needs the account id the skipped lookup would return.
    assert "allowed_account_ids" not in settings


# The providers that serve a failed primary's region: its own, and for us-east-1 the global one.
def failed_regions_providers(primary: str) -> list[str]:
    return [f"aws-{primary}"] + ([GLOBAL_PROVIDER] if primary == GLOBAL_SERVICES_REGION else [])


@pytest.mark.parametrize(
    ("primary", "standby"), [("us-east-1", "us-west-2"), ("ap-southeast-1", "ap-northeast-1")]
)
def test_while_the_primary_is_down_its_providers_skip_every_call_and_use_the_standbys_sts(
    dr_stage_stack, primary, standby
):
    failed_over = dr_stage_stack(primary, "failover")
    for name in failed_regions_providers(primary):
        inputs = failed_over.one("pulumi:providers:aws", name).plain_inputs
        assert not configure_calls_aws(inputs), name
        assert "allowedAccountIds" not in inputs, name
        assert inputs["stsRegion"] == standby, name


@pytest.mark.parametrize("stage", ["resync", "drain", "cutover"])
@pytest.mark.parametrize("primary", ["us-east-1", "ap-southeast-1"])
def test_once_failback_begins_the_old_primarys_providers_check_the_account_again(
    dr_stage_stack, primary, stage
):
    # Failback creates the new generation's databases there: they must land in `accountId`.
    failing_back = dr_stage_stack(primary, stage)
    for name in failed_regions_providers(primary):
        inputs = failing_back.one("pulumi:providers:aws", name).plain_inputs
        assert inputs["allowedAccountIds"] == f'["{ACCOUNT_ID}"]', (stage, name)
        assert configure_calls_aws(inputs), (stage, name)
        assert "stsRegion" not in inputs, (stage, name)


def test_the_global_provider_takes_over_the_old_default_provider(prod_stack):
    global_services = prod_stack.one("pulumi:providers:aws", GLOBAL_PROVIDER)
    assert global_services.plain_inputs["region"] == GLOBAL_SERVICES_REGION
    assert [a["spec"]["name"] for a in global_services.aliases] == [default_provider_name("aws")]
    random_provider = prod_stack.of_type("pulumi:providers:random")[0]
    assert [a["spec"]["name"] for a in random_provider.aliases] == [default_provider_name("random")]


def test_default_provider_names_follow_the_engine():
    assert default_provider_name("aws").startswith("default_7_")
    assert "." not in default_provider_name("aws")


# --- moving resources between providers -------------------------------------------------------


@pytest.fixture(scope="module")
def on_default_providers(prod_stack) -> dict[str, Any]:
    """The prod plan as it was before explicit providers: every resource on a default one."""
    resources = copy.deepcopy(plan_resources(prod_stack))
    for resource in resources:
        if not resource["type"].startswith("kubernetes:"):
            resource["provider"] = None
    return {"resources": [r for r in resources if not r["type"].startswith("pulumi:providers:")]}


def test_moving_onto_the_explicit_providers_replaces_nothing(prod_stack, on_default_providers):
    after = {"resources": plan_resources(prod_stack)}
    diff = diff_plans(on_default_providers, after)
    assert diff["replaced"] == [] and diff["warnings"] == []
    moves = [c for c in diff["changed"] if "provider" in c]
    assert moves and all(c["inputs"] == [] for c in moves)
    aliased = {c["provider"]["to"].rsplit("::", 1)[-1] for c in moves if c["provider"]["aliased"]}
    assert aliased == {GLOBAL_PROVIDER, "random"}


def _resource(provider: str | None, type_: str = "aws:s3/bucket:Bucket") -> dict[str, Any]:
    return {"urn": "u", "type": type_, "provider": provider, "inputs": {}}


def test_a_move_is_a_replacement_when_the_package_may_replace_on_config():
    after = {"pulumi:providers:foo::p2": {"aliases": []}}
    move = provider_move(
        _resource("pulumi:providers:foo::p1::id1", "foo:x:Y"),
        _resource("pulumi:providers:foo::p2::id2", "foo:x:Y"),
        after,
    )
    assert move is not None and move["replaces"]


def test_a_move_to_an_alias_of_the_old_provider_is_no_change():
    after = {"pulumi:providers:foo::p2": {"aliases": [{"spec": {"name": "p1"}}]}}
    move = provider_move(
        _resource("pulumi:providers:foo::p1::id1", "foo:x:Y"),
        _resource("pulumi:providers:foo::p2::id2", "foo:x:Y"),
        after,
    )
    assert move is not None and move["aliased"] and not move["replaces"]


def test_a_move_shows_as_a_replacement_only_for_a_package_that_may_replace():
    before = {"resources": [{**_resource("pulumi:providers:foo::p1::id1"), "region": "r"}]}
    after = {
        "resources": [
            {**_resource("pulumi:providers:foo::p2::id2"), "region": "r"},
        ]
    }
    diff = diff_plans(before, after)
    assert diff["replaced"] == []  # aws never replaces on provider config

    before["resources"][0]["type"] = after["resources"][0]["type"] = "foo:s3/bucket:Bucket"
    diff = diff_plans(before, after)
    assert [r["because"] for r in diff["replaced"]] == [["provider"]]
