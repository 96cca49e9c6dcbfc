"""network-unique-vpc-cidrs: no two regions' VPCs overlap.

Cross-region peering or a transit gateway can only route between VPCs whose address ranges do not
overlap; a region added with a copied CIDR would be cut off from the others. Checks every VPC's
primary `cidrBlock` and every secondary IPv4 block associated with it.
"""

from __future__ import annotations

import ipaddress
from itertools import combinations
from typing import Any

from pulumi_policy import ReportViolation, StackValidationArgs, StackValidationPolicy

from erlmcp_policies.stack.graph import StackIndex, prop

NAME = "network-unique-vpc-cidrs"

VPC = "aws:ec2/vpc:Vpc"
SECONDARY_BLOCK = "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation"


def _network(cidr: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if not isinstance(cidr, str):
        return None
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    index = StackIndex(args.resources)
    blocks = []
    for type_ in (VPC, SECONDARY_BLOCK):
        for resource in index.of_type(type_):
            region, network = (
                index.region_of(resource),
                _network(prop(resource.props, "cidrBlock")),
            )
            if isinstance(region, str) and network is not None:
                blocks.append((region, network, resource))
    for (region_a, net_a, res_a), (region_b, net_b, res_b) in combinations(blocks, 2):
        if region_a != region_b and net_a.version == net_b.version and net_a.overlaps(net_b):
            report_violation(
                f"{region_a} ({res_a.name}, {net_a}) and {region_b} ({res_b.name}, {net_b}) use "
                f"overlapping VPC address ranges.",
                res_b.urn,
            )


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "No two regions share VPC address space, so regions can be peered and routed to each "
        "other [erlmcp]"
    ),
    validate=validate,
)
