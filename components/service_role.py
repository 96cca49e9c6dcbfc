"""An IAM role only one AWS service can assume, with AWS-managed policies attached: what the
EKS control plane and nodes, AWS Backup and RDS Enhanced Monitoring each act as."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws


def service_trust_policy(service: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def service_role(
    name: str,
    *,
    service: str,
    description: str,
    managed_policies: Mapping[str, str],
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
    """The role `name`, trusting only `service`, and one attachment per entry of
    `managed_policies` (its logical name -> the managed policy's ARN)."""
    role = aws.iam.Role(
        name,
        assume_role_policy=json.dumps(service_trust_policy(service)),
        description=description,
        tags=dict(tags),
        opts=opts,
    )
    attachments = [
        aws.iam.RolePolicyAttachment(attachment, role=role.name, policy_arn=arn, opts=opts)
        for attachment, arn in managed_policies.items()
    ]
    return role, attachments
