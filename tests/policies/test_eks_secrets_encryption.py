"""eks-secrets-encryption, through the analyzer's Analyze."""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "eks-secrets-encryption"
CLUSTER = "aws:eks/cluster:Cluster"
KEY = "arn:aws:kms:us-east-1:123456789012:key/cbf97e6f-6d57-42cc-8cbf-cbf97e6f6d57"
NOT_SECRETS = (
    "encryptionConfig does not encrypt 'secrets': set resources ['secrets'] and a KMS key."
)


def encryption(config: object) -> dict:
    return {"version": "1.33", "encryptionConfig": config}


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_secrets_with_a_key_pass(analyze_resource):
    config = {"resources": ["secrets"], "provider": {"keyArn": KEY}}
    assert messages(analyze_resource(CLUSTER, encryption(config)), POLICY) == []
    assert messages(analyze_resource(CLUSTER, encryption([config])), POLICY) == []


def test_no_encryption_is_a_mandatory_violation(analyze_resource):
    [found] = only(analyze_resource(CLUSTER, {"version": "1.33"}), POLICY)
    assert found.detail == NOT_SECRETS
    assert found.enforcement_level == "mandatory"


def test_other_resources_only_is_a_violation(analyze_resource):
    config = {"resources": ["configmaps"], "provider": {"keyArn": KEY}}
    assert messages(analyze_resource(CLUSTER, encryption(config)), POLICY) == [NOT_SECRETS]


def test_secrets_without_a_key_is_a_violation(analyze_resource):
    found = analyze_resource(CLUSTER, encryption({"resources": ["secrets"], "provider": {}}))
    assert messages(found, POLICY) == [
        "encryptionConfig covers secrets but names no provider.keyArn."
    ]


def test_unknown_values_are_not_violations(analyze_resource):
    assert only(analyze_resource(CLUSTER, encryption(UNKNOWN)), POLICY) == []
    config = {"resources": ["secrets"], "provider": {"keyArn": UNKNOWN}}
    assert only(analyze_resource(CLUSTER, encryption(config)), POLICY) == []
    assert only(analyze_resource(CLUSTER, encryption({"resources": UNKNOWN})), POLICY) == []
