"""What the account needs once, before any erlmcp stack: the EC2 Auto Scaling service-linked role.

Each region's EKS nodes boot from volumes encrypted with the region's key, so the main stack
grants that role the use of the key (components/eks.py `_volume_key_grant`; EC2 Auto Scaling
user guide, "Required AWS KMS key policy for use with encrypted volumes", and AWS Knowledge
Center "kms-launch-ec2-instance": the grant, made in the group's account). KMS refuses a grant
to a principal that does not exist, and AWS creates the role only with the account's first Auto
Scaling group, which the node groups make after the grant: in a fresh account the main stack's
first `pulumi up` would stop at the grant. This stack runs once per account before the main
stacks (several of which can share an account), so the role is made here, and only if the
account has none yet: `autoscalingServiceRole: create` or `exists` says which
(`aws iam get-role --role-name AWSServiceRoleForAutoScaling`). AWS refuses a second one
("Service role name AWSServiceRoleForAutoScaling has been taken").

The role is protected and kept when this stack is destroyed: every Auto Scaling group of the
account acts through it (terraform-provider-aws internal/service/iam/service_linked_role.go
deletes it with `DeleteServiceLinkedRole`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components.eks import AUTOSCALING_SERVICE


def autoscaling_service_role(
    mode: str, provider: pulumi.ProviderResource, tags: Mapping[str, str]
) -> aws.iam.ServiceLinkedRole | None:
    """The role when `mode` is `create`; None when the account already has it (`exists`)."""
    if mode != "create":
        return None
    return aws.iam.ServiceLinkedRole(
        "autoscaling-service-role",
        aws_service_name=AUTOSCALING_SERVICE,
        description="EC2 Auto Scaling, for the erlmcp EKS node groups (erlmcp-state)",
        tags=dict(tags),
        opts=pulumi.ResourceOptions(provider=provider, protect=True, retain_on_delete=True),
    )
