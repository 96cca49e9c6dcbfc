"""iam-oidc-trust-no-wildcard-repository, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from erlmcp_policies.resources.iam_oidc_trust_no_wildcard_repository import repository_of
from tests.policies.conftest import only
from tests.policies.iam_oidc_trust_cases import EKS, EKS_PROVIDER, GITHUB, ROLE, pinned, trust

POLICY = "iam-oidc-trust-no-wildcard-repository"


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


@pytest.mark.parametrize(
    ("subject", "repository"),
    [
        ("repo:acme/infra:pull_request", "acme/infra"),
        ("repo:acme/infra:environment:production", "acme/infra"),
        ("repo:acme/infra:ref:refs/heads/*", "acme/infra"),
        ("repo:acme/infra", "acme/infra"),
        ("repo:acme/*:pull_request", None),
        ("repo:acme/infra*:pull_request", None),
        ("repo:ac?me/infra:pull_request", None),
        ("repo:*", None),
        ("repo:acme:pull_request", None),
        ("*", None),
        ("repository_owner:acme", None),
        (None, None),
    ],
)
def test_the_repository_of_a_subject(subject, repository):
    assert repository_of(subject) == repository


def test_one_repository_passes(analyze_resource):
    subjects = ["repo:acme/infra:pull_request", "repo:acme/infra:ref:refs/heads/*"]
    assert only(analyze_resource(ROLE, trust(pinned(sub=subjects))), POLICY) == []


@pytest.mark.parametrize("operator", ["StringLike", "StringEquals"])
def test_a_wildcard_repository_is_a_mandatory_violation(analyze_resource, operator):
    conditions = {operator: {f"{GITHUB}:sub": ["repo:acme/infra:pull_request", "repo:acme/*"]}}
    [found] = only(analyze_resource(ROLE, trust(conditions)), POLICY)
    assert found.enforcement_level == "mandatory"
    assert "'repo:acme/*' does not name exactly one repository" in found.detail


def test_other_issuers_are_not_judged(analyze_resource):
    inputs = trust(pinned(issuer=EKS, sub="system:serviceaccount:*"), federated=EKS_PROVIDER)
    assert only(analyze_resource(ROLE, inputs), POLICY) == []
