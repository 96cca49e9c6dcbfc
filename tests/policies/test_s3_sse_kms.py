"""s3-sse-kms, through the analyzer's Analyze."""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "s3-sse-kms"
TYPE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
KEY = "arn:aws:kms:us-east-1:123456789012:key/cbf97e6f-6d57-42cc-8cbf-cbf97e6f6d57"


def sse(**default: object) -> dict:
    return {"bucket": "backups", "rules": [{"applyServerSideEncryptionByDefault": default}]}


def test_sse_kms_with_customer_key_passes(analyze_resource):
    found = analyze_resource(TYPE, sse(sseAlgorithm="aws:kms", kmsMasterKeyId=KEY))
    assert messages(found, POLICY) == []


def test_dsse_kms_passes(analyze_resource):
    found = analyze_resource(TYPE, sse(sseAlgorithm="aws:kms:dsse", kmsMasterKeyId=KEY))
    assert messages(found, POLICY) == []


def test_sse_s3_is_a_violation(analyze_resource):
    found = analyze_resource(TYPE, sse(sseAlgorithm="AES256"))
    assert messages(found, POLICY) == [
        "rules[0] encrypts with 'AES256'; use 'aws:kms' with a customer key."
    ]


def test_kms_without_a_key_is_a_violation(analyze_resource):
    found = analyze_resource(TYPE, sse(sseAlgorithm="aws:kms"))
    assert messages(found, POLICY) == [
        "rules[0] uses SSE-KMS without kmsMasterKeyId (the AWS managed aws/s3 key); name a "
        "customer managed key."
    ]


def test_no_rules_is_a_violation(analyze_resource):
    found = analyze_resource(TYPE, {"bucket": "backups", "rules": []})
    assert messages(found, POLICY) == [
        "no encryption rule: set applyServerSideEncryptionByDefault."
    ]


def test_unknown_key_and_rules_are_not_violations(analyze_resource):
    assert (
        only(analyze_resource(TYPE, sse(sseAlgorithm="aws:kms", kmsMasterKeyId=UNKNOWN)), POLICY)
        == []
    )
    assert only(analyze_resource(TYPE, {"bucket": "b", "rules": UNKNOWN}), POLICY) == []
