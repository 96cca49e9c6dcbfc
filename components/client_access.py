"""A data store's security group: one port, open only to named client security groups."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

ClientSecurityGroups = Mapping[str, pulumi.Input[str]]
"""Stable label -> security group id. The label names the ingress rule, so adding or removing a
client never touches another client's rule (a list would name rules by position)."""

_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def check_client_groups(clients: object) -> None:
    """Raise ValueError unless `clients` maps valid labels to security group ids."""
    if not isinstance(clients, Mapping):
        raise ValueError(
            "client_security_group_ids must map a stable label to a security group id "
            f"(for example {{'eks-cluster': sg_id}}), not {type(clients).__name__}"
        )
    for label in clients:
        if not isinstance(label, str) or not _LABEL.match(label):
            raise ValueError(
                f"client_security_group_ids label {label!r} must be lowercase letters, digits "
                "and inner hyphens"
            )


def client_security_group(
    owner: pulumi.Resource,
    name: str,
    *,
    region: str,
    vpc_id: pulumi.Input[str],
    port: int,
    service: str,
    clients: ClientSecurityGroups,
    tags: Mapping[str, str],
) -> aws.ec2.SecurityGroup:
    """`{name}-sg` with ingress on `port` from each client group and no egress rule.

    No inline rules, so the provider removes AWS's default allow-all egress: a database or cache
    never opens connections, and security groups are stateful, so replies still flow.
    """
    check_client_groups(clients)
    child = pulumi.ResourceOptions(parent=owner)
    group = aws.ec2.SecurityGroup(
        f"{name}-sg",
        region=region,
        vpc_id=vpc_id,
        description=f"{service} {name}: port {port} from client security groups only",
        tags={**tags, "Name": f"{name}-sg"},
        opts=child,
    )
    for label, client_group_id in clients.items():
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-{label}",
            region=region,
            security_group_id=group.id,
            referenced_security_group_id=client_group_id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"{service} from {label}",
            tags={**tags, "Name": f"{name}-from-{label}"},
            opts=child,
        )
    return group
