"""network-unique-vpc-cidrs on the prod stack and on broken copies of it."""

from __future__ import annotations

from tests.policies.conftest import fake_resource, messages, set_property

POLICY = "network-unique-vpc-cidrs"


def violations(analyze_stack, stack) -> list[str]:
    return messages(analyze_stack(stack, policies=[POLICY]), POLICY)


def test_prod_stack_passes(analyze_stack, prod_stack):
    assert violations(analyze_stack, prod_stack) == []


def test_two_regions_with_the_same_cidr(analyze_stack, broken_prod):
    set_property(broken_prod, "eu-central-1-network-vpc", "cidrBlock", "10.30.0.0/16")
    [diagnostic] = analyze_stack(broken_prod, policies=[POLICY])
    assert diagnostic.detail == (
        "eu-central-1 (eu-central-1-network-vpc, 10.30.0.0/16) and eu-west-1 "
        "(eu-west-1-network-vpc, 10.30.0.0/16) use overlapping VPC address ranges."
    ) or diagnostic.detail == (
        "eu-west-1 (eu-west-1-network-vpc, 10.30.0.0/16) and eu-central-1 "
        "(eu-central-1-network-vpc, 10.30.0.0/16) use overlapping VPC address ranges."
    )
    assert diagnostic.enforcement_level == "mandatory"


def test_partly_overlapping_cidrs(analyze_stack, broken_prod):
    set_property(broken_prod, "us-west-2-network-vpc", "cidrBlock", "10.10.128.0/17")
    [message] = violations(analyze_stack, broken_prod)
    assert "us-east-1 (us-east-1-network-vpc, 10.10.0.0/16)" in message
    assert "us-west-2 (us-west-2-network-vpc, 10.10.128.0/17)" in message


def test_adjacent_cidrs_pass(analyze_stack, broken_prod):
    set_property(broken_prod, "us-west-2-network-vpc", "cidrBlock", "10.11.0.0/16")
    assert violations(analyze_stack, broken_prod) == []


def test_secondary_cidr_block_is_checked(analyze_stack, broken_prod):
    broken_prod.resources.append(
        fake_resource(
            "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation",
            {"cidrBlock": "10.50.64.0/18", "vpcId": "vpc-1", "region": "us-east-1"},
            name="us-east-1-extra-cidr",
            stack="prod",
        )
    )
    [message] = violations(analyze_stack, broken_prod)
    assert "ap-southeast-1 (ap-southeast-1-network-vpc, 10.50.0.0/16)" in message
    assert "us-east-1 (us-east-1-extra-cidr, 10.50.64.0/18)" in message
