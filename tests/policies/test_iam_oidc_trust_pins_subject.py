"""iam-oidc-trust-pins-subject, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from tests.policies.conftest import only
from tests.policies.iam_oidc_trust_cases import EKS, EKS_PROVIDER, GITHUB, ROLE, pinned, trust

POLICY = "iam-oidc-trust-pins-subject"


def test_prod_stack_passes(prod_report):
    """Each IRSA role pins its one service account."""
    assert prod_report.by_policy(POLICY) == []


@pytest.mark.parametrize(
    ("inputs"),
    [
        trust(pinned()),
        trust(pinned(sub=["repo:acme/infra:pull_request", "repo:acme/infra:ref:refs/heads/main"])),
        trust(
            {"StringLike": {f"{GITHUB}:aud": "sts.amazonaws.com", f"{GITHUB}:sub": "repo:a/b:*"}}
        ),
        trust(pinned(issuer=EKS, sub="system:serviceaccount:ns:sa"), federated=EKS_PROVIDER),
    ],
)
def test_a_pinned_subject_passes(analyze_resource, inputs):
    assert only(analyze_resource(ROLE, inputs), POLICY) == []


@pytest.mark.parametrize(
    "conditions",
    [
        None,
        {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}},
        pinned(sub="*"),
        {"StringLike": {f"{GITHUB}:aud": "sts.amazonaws.com", f"{GITHUB}:sub": "*"}},
        {"StringLikeIfExists": {f"{GITHUB}:sub": "repo:acme/infra:pull_request"}},
        pinned(sub=[]),
    ],
)
def test_an_unpinned_subject_is_a_mandatory_violation(analyze_resource, conditions):
    [found] = only(analyze_resource(ROLE, trust(conditions)), POLICY)
    assert found.enforcement_level == "mandatory"
    assert "without pinning their subject" in found.detail


def test_every_trusted_issuer_is_judged_on_its_own(analyze_resource):
    """Two providers in one statement: the condition pins one issuer's claims only."""
    inputs = trust(pinned(), federated=["arn:aws:iam::1:oidc-provider/" + GITHUB, EKS_PROVIDER])
    [found] = only(analyze_resource(ROLE, inputs), POLICY)
    assert f"lets {EKS} tokens" in found.detail
