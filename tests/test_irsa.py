"""ServiceAccountRole: only one service account, through one OIDC provider, may assume it."""

from __future__ import annotations

import json

from components.irsa import ServiceAccountRole, ServiceAccountRoleArgs
from tests.conftest import assert_parented_under

ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/ABC123"
PROVIDER_ARN = f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/x/*"}],
}


def build():
    return ServiceAccountRole(
        "eu-west-1-erlmcp-irsa",
        ServiceAccountRoleArgs(
            oidc_provider_arn=PROVIDER_ARN,
            oidc_issuer=ISSUER,
            namespace="erlmcp-prod",
            service_account="erlmcp",
            policy_document=json.dumps(POLICY),
            tags={"service": "erlmcp"},
        ),
    )


def test_trust_is_limited_to_one_service_account(record):
    stack = record(build)
    [role] = stack.of_type("aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    [statement] = trust["Statement"]
    assert statement["Principal"] == {"Federated": PROVIDER_ARN}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"]["StringEquals"] == {
        f"{ISSUER}:sub": "system:serviceaccount:erlmcp-prod:erlmcp",
        f"{ISSUER}:aud": "sts.amazonaws.com",
    }
    assert role.inputs["tags"] == {"service": "erlmcp"}


def test_permissions_are_exactly_the_given_policy(record):
    stack = record(build)
    [policy] = stack.of_type("aws:iam/rolePolicy:RolePolicy")
    assert json.loads(policy.inputs["policy"]) == POLICY
    [role] = stack.of_type("aws:iam/role:Role")
    assert role.urn in policy.dependencies


def test_iam_is_global_and_parented(record):
    stack = record(build)
    assert_parented_under(stack, "erlmcp:components:ServiceAccountRole", "eu-west-1-erlmcp-irsa")
    assert all("region" not in r.inputs for r in stack.resources)
