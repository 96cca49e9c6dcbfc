"""iam-oidc-trust-pins-audience, through the analyzer's Analyze."""

from __future__ import annotations

import json

import pytest

from tests.policies.conftest import UNKNOWN, only
from tests.policies.iam_oidc_trust_cases import (
    EKS,
    EKS_PROVIDER,
    GITHUB,
    PULL_REQUESTS,
    ROLE,
    pinned,
    trust,
)

POLICY = "iam-oidc-trust-pins-audience"


def test_prod_stack_passes(prod_report):
    """The IRSA roles pin their cluster issuer's audience."""
    assert prod_report.by_policy(POLICY) == []


@pytest.mark.parametrize(
    "inputs",
    [
        trust(pinned()),
        trust(pinned(issuer=EKS, sub="system:serviceaccount:ns:sa"), federated=EKS_PROVIDER),
        trust({"StringLike": {f"{GITHUB}:aud": "sts.amazonaws.com", f"{GITHUB}:sub": "x"}}),
        # Not a web-identity trust: nothing to judge.
        {
            "assumeRolePolicy": json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "sts:AssumeRole",
                            "Principal": {"Service": "ec2.amazonaws.com"},
                        }
                    ]
                }
            )
        },
        trust(None, effect="Deny"),
    ],
)
def test_a_pinned_audience_passes(analyze_resource, inputs):
    assert only(analyze_resource(ROLE, inputs), POLICY) == []


@pytest.mark.parametrize(
    "conditions",
    [
        None,
        {"StringEquals": {f"{GITHUB}:sub": PULL_REQUESTS}},
        pinned(aud="*"),
        pinned(aud=["*", "?"]),
        {"StringEqualsIfExists": {f"{GITHUB}:aud": "sts.amazonaws.com"}},
        {"StringNotEquals": {f"{GITHUB}:aud": "other"}},
        # A condition on another issuer's audience pins nothing here.
        pinned(issuer=EKS),
    ],
)
def test_an_unpinned_audience_is_a_mandatory_violation(analyze_resource, conditions):
    [found] = only(analyze_resource(ROLE, trust(conditions)), POLICY)
    assert found.enforcement_level == "mandatory"
    assert f"lets {GITHUB} tokens assume the role without pinning their audience" in found.detail


def test_any_action_that_includes_web_identity_is_judged(analyze_resource):
    for action in (["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"], "sts:*", "*"):
        assert only(analyze_resource(ROLE, trust(None, action=action)), POLICY)


def test_an_object_form_document_is_read_too(analyze_resource):
    document = json.loads(trust(None)["assumeRolePolicy"])
    assert only(analyze_resource(ROLE, {"assumeRolePolicy": document}), POLICY)


def test_unknown_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(ROLE, {"assumeRolePolicy": UNKNOWN}), POLICY) == []
    assert only(analyze_resource(ROLE, trust(None, federated=UNKNOWN)), POLICY) == []
