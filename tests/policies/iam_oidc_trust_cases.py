"""Trust policies for the iam-oidc-trust-* policy tests: GitHub's and an EKS cluster's issuer."""

from __future__ import annotations

import json
from typing import Any

ROLE = "aws:iam/role:Role"
GITHUB = "token.actions.githubusercontent.com"
GITHUB_PROVIDER = f"arn:aws:iam::123456789012:oidc-provider/{GITHUB}"
EKS = "oidc.eks.us-east-1.amazonaws.com/id/ABCDEF"
EKS_PROVIDER = f"arn:aws:iam::123456789012:oidc-provider/{EKS}"
PULL_REQUESTS = "repo:acme/erlmcp-infra:pull_request"


def trust(
    conditions: dict[str, Any] | None,
    *,
    federated: Any = GITHUB_PROVIDER,
    action: Any = "sts:AssumeRoleWithWebIdentity",
    effect: str = "Allow",
) -> dict[str, Any]:
    """A role's inputs whose trust policy has one statement."""
    statement: dict[str, Any] = {
        "Effect": effect,
        "Principal": {"Federated": federated},
        "Action": action,
    }
    if conditions is not None:
        statement["Condition"] = conditions
    return {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})}


def pinned(sub: Any = PULL_REQUESTS, aud: Any = "sts.amazonaws.com", issuer: str = GITHUB):
    return {"StringEquals": {f"{issuer}:aud": aud, f"{issuer}:sub": sub}}
