"""The Network component: subnet layout, EKS discovery tags, egress paths, lockdown, flow logs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.network import Network, NetworkArgs, plan_subnets
from offline.recorder import RecordedResource, RecordedStack
from tests.conftest import assert_parented_under

REGION = "eu-west-1"
NAME = f"{REGION}-network"
COMPONENT = "erlmcp:components:Network"
GLOBAL_TYPES = {"aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"}
ZONES = [f"{REGION}a", f"{REGION}b", f"{REGION}c"]


def build(record: Callable[..., RecordedStack], **overrides: Any) -> RecordedStack:
    fields: dict[str, Any] = {
        "region": REGION,
        "cidr_block": "10.10.0.0/16",
        "cluster_name": "erlmcp-prod-eu-west-1",
        "availability_zones": ZONES,
    }
    fields.update(overrides)

    def program() -> None:
        network = Network(NAME, NetworkArgs(**fields))
        pulumi.export("vpc_cidr_block", network.vpc_cidr_block)
        pulumi.export("availability_zones", network.availability_zones)
        pulumi.export("private_subnet_ids", network.private_subnet_ids)
        pulumi.export("public_subnet_ids", network.public_subnet_ids)

    return record(program)


@pytest.fixture
def stack(record: Callable[..., RecordedStack]) -> RecordedStack:
    return build(record, flow_logs_kms_key_arn=f"arn:aws:kms:{REGION}:123456789012:key/k-1")


def subnets(stack: RecordedStack, tier: str) -> list[RecordedResource]:
    return [stack.named(f"{NAME}-{tier}-{slot}") for slot in range(3)]


def test_slash16_subnets_are_three_private_quarters_and_public_sixteenths(
    stack: RecordedStack,
) -> None:
    assert [s.plain_inputs["cidrBlock"] for s in subnets(stack, "private")] == [
        "10.10.0.0/18",
        "10.10.64.0/18",
        "10.10.128.0/18",
    ]
    assert [s.plain_inputs["cidrBlock"] for s in subnets(stack, "public")] == [
        "10.10.192.0/20",
        "10.10.208.0/20",
        "10.10.224.0/20",
    ]


def test_slash20_subnets() -> None:
    plan = plan_subnets("172.16.16.0/20", 3)
    assert plan.private == ["172.16.16.0/22", "172.16.20.0/22", "172.16.24.0/22"]
    assert plan.public == ["172.16.28.0/24", "172.16.29.0/24", "172.16.30.0/24"]


def test_fewer_zones_take_the_leading_blocks() -> None:
    plan = plan_subnets("10.20.0.0/16", 2)
    assert plan.private == ["10.20.0.0/18", "10.20.64.0/18"]
    assert plan.public == ["10.20.192.0/20", "10.20.208.0/20"]


@pytest.mark.parametrize("cidr", ["10.0.0.0/25", "10.0.0.0/8", "10.0.0.1/16", "fd00::/56", "x"])
def test_bad_cidr_is_rejected_naming_it(record: Callable[..., RecordedStack], cidr: str) -> None:
    with pytest.raises(ValueError, match=f"cidr_block '{cidr}'"):
        build(record, cidr_block=cidr)


def test_more_zones_than_the_layout_holds_is_rejected() -> None:
    with pytest.raises(ValueError, match="availability_zone_count"):
        plan_subnets("10.10.0.0/16", 4)


def test_subnets_use_the_zones_given_in_their_order(record: Callable[..., RecordedStack]) -> None:
    # Tokyo accounts have no ap-northeast-1b; nothing is looked up, the names are taken as given.
    zones = ["ap-northeast-1a", "ap-northeast-1d", "ap-northeast-1c"]
    stack = build(record, region="ap-northeast-1", availability_zones=zones)
    for tier in ("private", "public"):
        assert [s.plain_inputs["availabilityZone"] for s in subnets(stack, tier)] == zones
    assert stack.outputs["availability_zones"] == zones


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        ([], "must name 1 to 3 zones of eu-west-1"),
        ([*ZONES, "eu-west-1d"], "must name 1 to 3 zones of eu-west-1"),
        (["eu-west-1a", "eu-west-2b"], r"\['eu-west-2b'\] are not zones of eu-west-1"),
        (["eu-west-1a", "eu-west-1"], r"\['eu-west-1'\] are not zones of eu-west-1"),
        (["eu-west-1a", "eu-west-1a"], "names a zone twice"),
    ],
)
def test_bad_zones_are_rejected_before_anything_is_registered(
    record: Callable[..., RecordedStack], zones: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build(record, availability_zones=zones)


def test_iam_goes_through_the_global_provider_the_rest_through_the_inherited_one(
    record: Callable[..., RecordedStack],
) -> None:
    def program() -> None:
        regional = aws.Provider("aws-eu-west-1", region=REGION)
        global_services = aws.Provider("aws-global", region="us-east-1")
        Network(
            NAME,
            NetworkArgs(
                region=REGION,
                cidr_block="10.10.0.0/16",
                cluster_name="c",
                availability_zones=ZONES,
                global_provider=global_services,
            ),
            opts=pulumi.ResourceOptions(providers=[regional]),
        )

    stack = record(program)
    providers = {r.name: r for r in stack.resources if r.is_provider}
    for resource in stack.resources:
        if not resource.custom or resource.is_provider:
            continue
        expected = "aws-global" if resource.type in GLOBAL_TYPES else "aws-eu-west-1"
        assert resource.provider is not None
        assert resource.provider.startswith(providers[expected].urn), resource.name


def test_subnets_spread_over_the_regions_zones(stack: RecordedStack) -> None:
    expected = [f"{REGION}a", f"{REGION}b", f"{REGION}c"]
    for tier in ("private", "public"):
        assert [s.plain_inputs["availabilityZone"] for s in subnets(stack, tier)] == expected
    assert stack.outputs["availability_zones"] == expected


def test_subnets_carry_eks_discovery_tags(stack: RecordedStack) -> None:
    cluster_tag = "kubernetes.io/cluster/erlmcp-prod-eu-west-1"
    for subnet in subnets(stack, "public"):
        tags = subnet.plain_inputs["tags"]
        assert tags["kubernetes.io/role/elb"] == "1"
        assert "kubernetes.io/role/internal-elb" not in tags
        assert tags[cluster_tag] == "shared"
    for subnet in subnets(stack, "private"):
        tags = subnet.plain_inputs["tags"]
        assert tags["kubernetes.io/role/internal-elb"] == "1"
        assert "kubernetes.io/role/elb" not in tags
        assert tags[cluster_tag] == "shared"


def test_no_subnet_hands_out_public_addresses(stack: RecordedStack) -> None:
    for subnet in subnets(stack, "public") + subnets(stack, "private"):
        assert subnet.plain_inputs["mapPublicIpOnLaunch"] is False


def test_vpc_has_dns_and_the_given_cidr(stack: RecordedStack) -> None:
    vpc = stack.one("aws:ec2/vpc:Vpc", f"{NAME}-vpc").plain_inputs
    assert vpc["cidrBlock"] == "10.10.0.0/16"
    assert vpc["enableDnsHostnames"] is True
    assert vpc["enableDnsSupport"] is True
    assert stack.outputs["vpc_cidr_block"] == "10.10.0.0/16"


def test_one_nat_gateway_per_zone_in_its_public_subnet(stack: RecordedStack) -> None:
    nats = stack.of_type("aws:ec2/natGateway:NatGateway")
    assert len(nats) == 3
    assert len(stack.of_type("aws:ec2/eip:Eip")) == 3
    for slot in range(3):
        nat = stack.named(f"{NAME}-nat-{slot}")
        eip = stack.named(f"{NAME}-nat-eip-{slot}")
        assert nat.plain_inputs["subnetId"] == stack.named(f"{NAME}-public-{slot}").id
        assert nat.plain_inputs["allocationId"] == eip.id
        assert eip.plain_inputs["domain"] == "vpc"
        route = stack.named(f"{NAME}-private-default-route-{slot}").plain_inputs
        assert route["destinationCidrBlock"] == "0.0.0.0/0"
        assert route["natGatewayId"] == nat.id
        assert route["routeTableId"] == stack.named(f"{NAME}-private-rt-{slot}").id


def test_single_nat_gateway_serves_every_zone(record: Callable[..., RecordedStack]) -> None:
    stack = build(record, nat_gateway_per_az=False)
    nats = stack.of_type("aws:ec2/natGateway:NatGateway")
    assert [n.name for n in nats] == [f"{NAME}-nat-0"]
    assert len(stack.of_type("aws:ec2/eip:Eip")) == 1
    assert len(stack.of_type("aws:ec2/routeTable:RouteTable")) == 4
    for slot in range(3):
        route = stack.named(f"{NAME}-private-default-route-{slot}").plain_inputs
        assert route["natGatewayId"] == nats[0].id


def test_private_subnets_use_their_own_zones_table(stack: RecordedStack) -> None:
    for slot in range(3):
        assoc = stack.named(f"{NAME}-private-rta-{slot}").plain_inputs
        assert assoc["subnetId"] == stack.named(f"{NAME}-private-{slot}").id
        assert assoc["routeTableId"] == stack.named(f"{NAME}-private-rt-{slot}").id


def test_public_subnets_route_to_the_internet_gateway(stack: RecordedStack) -> None:
    table = stack.named(f"{NAME}-public-rt")
    igw = stack.one("aws:ec2/internetGateway:InternetGateway", f"{NAME}-igw")
    route = stack.named(f"{NAME}-public-default-route").plain_inputs
    assert route == {
        "region": REGION,
        "routeTableId": table.id,
        "destinationCidrBlock": "0.0.0.0/0",
        "gatewayId": igw.id,
    }
    for slot in range(3):
        assoc = stack.named(f"{NAME}-public-rta-{slot}").plain_inputs
        assert assoc["subnetId"] == stack.named(f"{NAME}-public-{slot}").id
        assert assoc["routeTableId"] == table.id
    routes = stack.of_type("aws:ec2/route:Route")
    assert [r for r in routes if "gatewayId" in r.plain_inputs] == [
        stack.named(f"{NAME}-public-default-route")
    ]


def test_nat_gateways_wait_for_the_internet_gateway(stack: RecordedStack) -> None:
    igw = stack.named(f"{NAME}-igw")
    for nat in stack.of_type("aws:ec2/natGateway:NatGateway"):
        assert igw.urn in nat.dependencies


def test_every_regional_resource_is_in_the_region(stack: RecordedStack) -> None:
    for resource in stack.resources:
        if not resource.custom:
            continue
        if resource.type in GLOBAL_TYPES:
            assert "region" not in resource.inputs, resource.name
        else:
            assert resource.region == REGION, resource.name


def test_everything_is_parented_under_the_component(stack: RecordedStack) -> None:
    assert_parented_under(stack, COMPONENT, NAME)
    names = [r.name for r in stack.resources if r.custom]
    assert all(name.startswith(f"{NAME}-") for name in names)
    assert len(names) == len(set(names))


def test_default_security_group_is_stripped_of_rules(stack: RecordedStack) -> None:
    [default_sg] = stack.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    inputs = default_sg.plain_inputs
    assert inputs["vpcId"] == stack.named(f"{NAME}-vpc").id
    assert inputs["ingress"] == []
    assert inputs["egress"] == []


def test_flow_logs_go_to_an_encrypted_log_group(stack: RecordedStack) -> None:
    group = stack.one("aws:cloudwatch/logGroup:LogGroup", f"{NAME}-flow-logs")
    assert group.plain_inputs["kmsKeyId"] == f"arn:aws:kms:{REGION}:123456789012:key/k-1"
    assert group.plain_inputs["retentionInDays"] == 365
    [flow_log] = stack.of_type("aws:ec2/flowLog:FlowLog")
    inputs = flow_log.plain_inputs
    assert inputs["vpcId"] == stack.named(f"{NAME}-vpc").id
    assert inputs["trafficType"] == "ALL"
    assert inputs["logDestinationType"] == "cloud-watch-logs"
    assert inputs["logDestination"] == group.outputs["arn"]
    assert inputs["iamRoleArn"] == stack.named(f"{NAME}-flow-logs-role").outputs["arn"]
    assert stack.named(f"{NAME}-flow-logs-policy").urn in flow_log.dependencies


def test_flow_logs_role_is_scoped_to_its_log_group(stack: RecordedStack) -> None:
    group_arn = stack.named(f"{NAME}-flow-logs").outputs["arn"]
    role = stack.named(f"{NAME}-flow-logs-role").plain_inputs
    [trust] = json.loads(role["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert trust["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:ec2:{REGION}:123456789012:vpc-flow-log/*"
    }
    policy = json.loads(stack.named(f"{NAME}-flow-logs-policy").plain_inputs["policy"])
    write, find = policy["Statement"]
    assert write["Resource"] == [group_arn, f"{group_arn}:*"]
    assert "logs:CreateLogGroup" not in write["Action"]
    assert find["Action"] == "logs:DescribeLogGroups"
    assert find["Resource"] == f"arn:aws:logs:{REGION}:123456789012:log-group:*"


def test_flow_logs_without_a_key_use_cloudwatch_encryption(
    record: Callable[..., RecordedStack],
) -> None:
    group = build(record).named(f"{NAME}-flow-logs")
    assert "kmsKeyId" not in group.inputs


def test_bad_flow_log_retention_is_rejected(record: Callable[..., RecordedStack]) -> None:
    with pytest.raises(ValueError, match="flow_logs_retention_days 100"):
        build(record, flow_logs_retention_days=100)


def test_subnet_ids_are_exported_in_zone_order(stack: RecordedStack) -> None:
    assert stack.outputs["private_subnet_ids"] == [s.id for s in subnets(stack, "private")]
    assert stack.outputs["public_subnet_ids"] == [s.id for s in subnets(stack, "public")]
