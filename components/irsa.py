"""An IAM role that one Kubernetes service account assumes through the cluster's OIDC provider."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class ServiceAccountRoleArgs:
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    """Issuer host and path without the scheme (oidc.eks.<region>.amazonaws.com/id/...)."""
    namespace: str
    service_account: str
    policy_document: pulumi.Input[str]
    """JSON of the permissions the workload needs, and nothing more."""
    tags: dict[str, str] = field(default_factory=dict)


class ServiceAccountRole(pulumi.ComponentResource):
    """IRSA: only `system:serviceaccount:<namespace>:<service_account>` can assume this role."""

    role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ServiceAccountRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp:components:ServiceAccountRole", name, None, opts)
        subject = f"system:serviceaccount:{args.namespace}:{args.service_account}"
        trust = pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer).apply(
            lambda values: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Federated": values[0]},
                            "Action": "sts:AssumeRoleWithWebIdentity",
                            "Condition": {
                                "StringEquals": {
                                    f"{values[1]}:sub": subject,
                                    f"{values[1]}:aud": "sts.amazonaws.com",
                                }
                            },
                        }
                    ],
                }
            )
        )
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=trust,
            description=f"IRSA role of {subject}",
            max_session_duration=3600,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=args.policy_document,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})
