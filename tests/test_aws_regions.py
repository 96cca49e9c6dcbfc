"""Every region the config model accepts works offline, with the provider's own NLB zone ids."""

from __future__ import annotations

import pytest

from offline.generated_stacks import grown_stack_config
from regions.aws_regions import DEPLOYABLE_REGIONS, NLB_HOSTED_ZONE_IDS, PULUMI_AWS_REGIONS
from regions.config import ConfigError, parse_stack_config
from tests.recordings import recorded_stack

RECORD = "aws:route53/record:Record"
ELB_HOST = ".elb."


def test_the_zone_table_names_only_regions_pulumi_aws_knows():
    assert set(NLB_HOSTED_ZONE_IDS) <= PULUMI_AWS_REGIONS


def test_deployable_regions_are_commercial_and_have_a_zone_id():
    assert set(NLB_HOSTED_ZONE_IDS) >= DEPLOYABLE_REGIONS
    assert not {r for r in DEPLOYABLE_REGIONS if r.startswith(("cn-", "us-gov-", "us-iso"))}
    # More than the thirteen the mocks used to know, and more than a 24-region stack needs.
    assert len(DEPLOYABLE_REGIONS) >= 24


@pytest.mark.parametrize(
    ("region", "reason"),
    [
        ("us-east-9", "not an AWS region code"),
        ("cn-north-1", "outside the commercial 'aws' partition"),
        ("us-gov-west-1", "outside the commercial 'aws' partition"),
        ("mx-central-1", "no Network Load Balancer hosted-zone id"),
    ],
)
def test_the_model_names_why_a_region_cannot_be_used(prod_values, region, reason):
    assert region in PULUMI_AWS_REGIONS or region == "us-east-9"
    prod_values["regions"][region] = prod_values["regions"].pop("us-west-2")
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(prod_values)
    assert f"erlmcp-infra:regions.{region}" in str(caught.value)
    assert reason in str(caught.value)


@pytest.fixture(scope="module")
def every_region():
    config = grown_stack_config(len(DEPLOYABLE_REGIONS))
    return config, recorded_stack(config)


def test_a_stack_over_every_deployable_region_renders_in_each(every_region):
    config, stack = every_region
    assert set(config["erlmcp-infra:regions"]) == DEPLOYABLE_REGIONS
    placed = {r.region for r in stack.resources if r.region}
    assert placed == DEPLOYABLE_REGIONS


def test_every_alias_uses_its_load_balancers_regions_zone_id(every_region):
    _, stack = every_region
    seen = set()
    for record in stack.of_type(RECORD):
        for alias in record.plain_inputs.get("aliases", []):
            if ELB_HOST not in alias["name"]:
                continue  # an alias of a failover name, inside the zone itself
            region = alias["name"].split(ELB_HOST)[1].split(".")[0]
            assert alias["zoneId"] == NLB_HOSTED_ZONE_IDS[region], record.name
            seen.add(region)
    assert seen == DEPLOYABLE_REGIONS
