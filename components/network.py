"""A VPC for one EKS cluster: private and public subnets per availability zone, NAT egress,
a locked default security group and VPC flow logs to CloudWatch Logs."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

# AWS accepts VPCs from /16 to /28 and subnets down to /28; public subnets are prefix+4.
_MIN_VPC_PREFIX = 16
_MAX_VPC_PREFIX = 24
# Three quarters of the VPC hold one private subnet each; the last quarter holds the public ones.
_MAX_AZS = 3
# The values CloudWatch Logs accepts for retention_in_days.
# fmt: off
_RETENTION_DAYS = frozenset({
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
})
# fmt: on
_ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class SubnetPlan:
    private: list[str]
    public: list[str]


@dataclass(frozen=True)
class NetworkArgs:
    region: str
    cidr_block: str
    cluster_name: str
    """The EKS cluster that shares these subnets (its `kubernetes.io/cluster/<name>` tag)."""
    availability_zones: Sequence[str]
    """The zones' names (`us-east-1a`), one private and one public subnet in each. Given, not
    looked up: a lookup would call the region at every run of the program."""
    nat_gateway_per_az: bool = True
    """One NAT gateway per zone keeps egress up when a zone fails; False saves cost."""
    flow_logs_kms_key_arn: pulumi.Input[str] | None = None
    """Key for the flow-log group, in the same region; without it, CloudWatch's own encryption."""
    flow_logs_retention_days: int = 365
    flow_logs_traffic_type: str = "ALL"
    tags: dict[str, str] = field(default_factory=dict)
    global_provider: pulumi.ProviderResource | None = None
    """The AWS provider of the global services, for IAM (None: the one this component inherits)."""


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    vpc_cidr_block: str
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    private_subnet_cidrs: list[str]
    """The private subnets' CIDR blocks (planned here, so known before anything exists)."""
    availability_zones: list[str]
    nat_public_ips: list[pulumi.Output[str]]
    flow_log_group_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _validate_zones(args)
        plan = plan_subnets(args.cidr_block, len(args.availability_zones))
        _validate_flow_logs(args)
        super().__init__("erlmcp:components:Network", name, None, opts)
        self._prefix = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)

        self.vpc_cidr_block = str(ipaddress.ip_network(args.cidr_block))
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            region=args.region,
            cidr_block=self.vpc_cidr_block,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=self._tags(f"{name}-vpc"),
            opts=self._child,
        )
        self._lock_default_security_group(vpc)
        igw = aws.ec2.InternetGateway(
            f"{name}-igw",
            region=args.region,
            vpc_id=vpc.id,
            tags=self._tags(f"{name}-igw"),
            opts=self._child,
        )
        zone_names = list(args.availability_zones)
        public = [
            self._subnet(vpc, "public", slot, cidr, zone_names[slot])
            for slot, cidr in enumerate(plan.public)
        ]
        private = [
            self._subnet(vpc, "private", slot, cidr, zone_names[slot])
            for slot, cidr in enumerate(plan.private)
        ]
        self._public_routes(vpc, igw, public)
        nats = self._nat_gateways(igw, public)
        self._private_routes(vpc, private, nats)
        log_group = self._flow_logs(vpc)

        self.vpc_id = vpc.id
        self.public_subnet_ids = [subnet.id for subnet in public]
        self.private_subnet_ids = [subnet.id for subnet in private]
        self.private_subnet_cidrs = list(plan.private)
        self.availability_zones = zone_names
        self.nat_public_ips = [eip.public_ip for eip, _ in nats]
        self.flow_log_group_name = log_group.name
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr_block": self.vpc_cidr_block,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "private_subnet_cidrs": self.private_subnet_cidrs,
                "availability_zones": self.availability_zones,
                "nat_public_ips": self.nat_public_ips,
                "flow_log_group_name": self.flow_log_group_name,
            }
        )

    def _tags(self, name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {**self._args.tags, **(extra or {}), "Name": name}

    def _lock_default_security_group(self, vpc: aws.ec2.Vpc) -> None:
        # Adopting the default group with no rules strips AWS's allow-all rules (FSBP EC2.2), so
        # anything launched without an explicit group gets no network access at all.
        aws.ec2.DefaultSecurityGroup(
            f"{self._prefix}-default-sg",
            region=self._args.region,
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags=self._tags(f"{self._prefix}-default-do-not-use"),
            opts=self._child,
        )

    def _subnet(
        self, vpc: aws.ec2.Vpc, tier: str, slot: int, cidr: str, zone: pulumi.Output[str]
    ) -> aws.ec2.Subnet:
        role = "kubernetes.io/role/elb" if tier == "public" else "kubernetes.io/role/internal-elb"
        return aws.ec2.Subnet(
            f"{self._prefix}-{tier}-{slot}",
            region=self._args.region,
            vpc_id=vpc.id,
            cidr_block=cidr,
            availability_zone=zone,
            # Only load balancers live in public subnets, and they get addresses explicitly.
            map_public_ip_on_launch=False,
            tags=self._tags(
                f"{self._prefix}-{tier}-{slot}",
                {role: "1", f"kubernetes.io/cluster/{self._args.cluster_name}": "shared"},
            ),
            opts=self._child,
        )

    def _public_routes(
        self, vpc: aws.ec2.Vpc, igw: aws.ec2.InternetGateway, public: list[aws.ec2.Subnet]
    ) -> None:
        table = aws.ec2.RouteTable(
            f"{self._prefix}-public-rt",
            region=self._args.region,
            vpc_id=vpc.id,
            tags=self._tags(f"{self._prefix}-public-rt"),
            opts=self._child,
        )
        aws.ec2.Route(
            f"{self._prefix}-public-default-route",
            region=self._args.region,
            route_table_id=table.id,
            destination_cidr_block=_ANYWHERE,
            gateway_id=igw.id,
            opts=self._child,
        )
        for slot, subnet in enumerate(public):
            aws.ec2.RouteTableAssociation(
                f"{self._prefix}-public-rta-{slot}",
                region=self._args.region,
                route_table_id=table.id,
                subnet_id=subnet.id,
                opts=self._child,
            )

    def _nat_gateways(
        self, igw: aws.ec2.InternetGateway, public: list[aws.ec2.Subnet]
    ) -> list[tuple[aws.ec2.Eip, aws.ec2.NatGateway]]:
        count = len(public) if self._args.nat_gateway_per_az else 1
        nats = []
        for slot in range(count):
            # A NAT gateway only reaches the internet once the VPC has its gateway attached.
            after_igw = pulumi.ResourceOptions(parent=self, depends_on=[igw])
            eip = aws.ec2.Eip(
                f"{self._prefix}-nat-eip-{slot}",
                region=self._args.region,
                domain="vpc",
                tags=self._tags(f"{self._prefix}-nat-eip-{slot}"),
                opts=after_igw,
            )
            nat = aws.ec2.NatGateway(
                f"{self._prefix}-nat-{slot}",
                region=self._args.region,
                allocation_id=eip.id,
                subnet_id=public[slot].id,
                connectivity_type="public",
                tags=self._tags(f"{self._prefix}-nat-{slot}"),
                opts=after_igw,
            )
            nats.append((eip, nat))
        return nats

    def _private_routes(
        self,
        vpc: aws.ec2.Vpc,
        private: list[aws.ec2.Subnet],
        nats: list[tuple[aws.ec2.Eip, aws.ec2.NatGateway]],
    ) -> None:
        # One table per zone, so each zone egresses through its own NAT when there is one per zone.
        for slot, subnet in enumerate(private):
            _, nat = nats[slot] if len(nats) > slot else nats[0]
            table = aws.ec2.RouteTable(
                f"{self._prefix}-private-rt-{slot}",
                region=self._args.region,
                vpc_id=vpc.id,
                tags=self._tags(f"{self._prefix}-private-rt-{slot}"),
                opts=self._child,
            )
            aws.ec2.Route(
                f"{self._prefix}-private-default-route-{slot}",
                region=self._args.region,
                route_table_id=table.id,
                destination_cidr_block=_ANYWHERE,
                nat_gateway_id=nat.id,
                opts=self._child,
            )
            aws.ec2.RouteTableAssociation(
                f"{self._prefix}-private-rta-{slot}",
                region=self._args.region,
                route_table_id=table.id,
                subnet_id=subnet.id,
                opts=self._child,
            )

    def _flow_logs(self, vpc: aws.ec2.Vpc) -> aws.cloudwatch.LogGroup:
        """VPC flow logs to CloudWatch Logs (FSBP EC2.6) through a role that can write only to
        this log group and that only this account's flow logs in this region can assume."""
        args = self._args
        log_group = aws.cloudwatch.LogGroup(
            f"{self._prefix}-flow-logs",
            region=args.region,
            retention_in_days=args.flow_logs_retention_days,
            kms_key_id=args.flow_logs_kms_key_arn,
            tags=self._tags(f"{self._prefix}-flow-logs"),
            opts=self._child,
        )
        role = aws.iam.Role(
            f"{self._prefix}-flow-logs-role",
            description=f"Delivers VPC flow logs of {self._prefix} to CloudWatch Logs",
            assume_role_policy=log_group.arn.apply(
                lambda arn: json.dumps(flow_logs_trust_policy(arn))
            ),
            tags=self._tags(f"{self._prefix}-flow-logs-role"),
            opts=pulumi.ResourceOptions(parent=self, provider=args.global_provider),
        )
        policy = aws.iam.RolePolicy(
            f"{self._prefix}-flow-logs-policy",
            role=role.id,
            policy=log_group.arn.apply(lambda arn: json.dumps(flow_logs_write_policy(arn))),
            opts=pulumi.ResourceOptions(parent=self, provider=args.global_provider),
        )
        aws.ec2.FlowLog(
            f"{self._prefix}-flow-log",
            region=args.region,
            vpc_id=vpc.id,
            traffic_type=args.flow_logs_traffic_type,
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            tags=self._tags(f"{self._prefix}-flow-log"),
            # Without its permissions in place the first deliveries fail.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        return log_group


def plan_subnets(cidr_block: str, zone_count: int) -> SubnetPlan:
    """Private subnets: the first `zone_count` quarters of the VPC. Public subnets: sixteenths
    taken from the start of the last quarter (load balancers need few addresses)."""
    try:
        network = ipaddress.ip_network(cidr_block, strict=True)
    except ValueError as error:
        raise ValueError(f"cidr_block {cidr_block!r} is not a valid network: {error}") from None
    if network.version != 4:
        raise ValueError(f"cidr_block {cidr_block!r} is not an IPv4 network")
    if not _MIN_VPC_PREFIX <= network.prefixlen <= _MAX_VPC_PREFIX:
        raise ValueError(
            f"cidr_block {cidr_block!r} cannot hold the subnets: its prefix must be between "
            f"/{_MIN_VPC_PREFIX} and /{_MAX_VPC_PREFIX} (public subnets are 4 bits longer, and "
            "AWS subnets are /28 at the smallest)"
        )
    if not 1 <= zone_count <= _MAX_AZS:
        raise ValueError(
            f"availability_zone_count must be between 1 and {_MAX_AZS}, got {zone_count}"
        )
    quarters = list(network.subnets(prefixlen_diff=2))
    public = list(quarters[-1].subnets(prefixlen_diff=2))
    return SubnetPlan(
        private=[str(subnet) for subnet in quarters[:zone_count]],
        public=[str(subnet) for subnet in public[:zone_count]],
    )


def flow_logs_trust_policy(log_group_arn: str) -> dict[str, Any]:
    region, account = _region_and_account(log_group_arn)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                "Action": "sts:AssumeRole",
                # Guards against the confused deputy: only our own flow logs may assume it.
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:{region}:{account}:vpc-flow-log/*"},
                },
            }
        ],
    }


def flow_logs_write_policy(log_group_arn: str) -> dict[str, Any]:
    group = log_group_arn.removesuffix(":*")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteThisLogGroup",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [group, f"{group}:*"],
            },
            {
                # A list call: it cannot be narrowed to one group, only to this region's groups.
                "Sid": "FindTheLogGroup",
                "Effect": "Allow",
                "Action": "logs:DescribeLogGroups",
                "Resource": f"{group.split(':log-group:')[0]}:log-group:*",
            },
        ],
    }


def _region_and_account(arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    return parts[3], parts[4]


def _validate_zones(args: NetworkArgs) -> None:
    zones = list(args.availability_zones)
    if not 1 <= len(zones) <= _MAX_AZS:
        raise ValueError(
            f"availability_zones must name 1 to {_MAX_AZS} zones of {args.region}, got {zones}"
        )
    strangers = [
        zone for zone in zones if not re.fullmatch(rf"{re.escape(args.region)}[a-z]", zone)
    ]
    if strangers:
        raise ValueError(f"availability_zones {strangers} are not zones of {args.region}")
    if len(set(zones)) != len(zones):
        raise ValueError(f"availability_zones names a zone twice: {zones}")


def _validate_flow_logs(args: NetworkArgs) -> None:
    if args.flow_logs_retention_days not in _RETENTION_DAYS:
        raise ValueError(
            f"flow_logs_retention_days {args.flow_logs_retention_days} is not one CloudWatch Logs "
            f"accepts: {sorted(_RETENTION_DAYS)}"
        )
    if args.flow_logs_traffic_type not in {"ACCEPT", "REJECT", "ALL"}:
        raise ValueError(
            "flow_logs_traffic_type must be ACCEPT, REJECT or ALL, "
            f"got {args.flow_logs_traffic_type!r}"
        )
