"""s3-sse-kms through AnalyzeStack: SSE-KMS with a customer key everywhere, SSE-S3 exactly on the
buckets that receive server access logs."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, drop_resource, fake_resource, messages, only
from tests.policies.s3_companion_cases import bucket
from tests.policies.test_s3_bucket_has_access_logging import logging_into

POLICY = "s3-sse-kms"
TYPE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
KEY = "arn:aws:kms:us-east-1:123456789012:key/cbf97e6f-6d57-42cc-8cbf-cbf97e6f6d57"


def sse(of, *, by_dependency: bool = True, rules: object = None, **default: object):
    props = {
        "region": "us-east-1",
        "bucket": of.outputs["bucket"],
        "rules": [{"applyServerSideEncryptionByDefault": default}] if rules is None else rules,
    }
    resource = fake_resource(TYPE, props, name=f"{of.name}-encryption")
    if by_dependency:
        resource.property_dependencies = {"bucket": [of.urn]}
    return resource


def found(analyze_stack, *resources, preview: bool = False) -> list[str]:
    return messages(analyze_stack(list(resources), preview=preview), POLICY)


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


@pytest.mark.parametrize("algorithm", ["aws:kms", "aws:kms:dsse"])
def test_sse_kms_with_customer_key_passes(analyze_stack, algorithm):
    b = bucket("backups")
    assert found(analyze_stack, b, sse(b, sseAlgorithm=algorithm, kmsMasterKeyId=KEY)) == []


def test_sse_s3_is_a_mandatory_violation(analyze_stack):
    b = bucket("backups")
    [diagnostic] = only(analyze_stack([b, sse(b, sseAlgorithm="AES256")]), POLICY)
    assert (
        diagnostic.detail == "rules[0] encrypts with 'AES256'; use 'aws:kms' with a customer key."
    )
    assert diagnostic.enforcement_level == "mandatory"


def test_kms_without_a_key_is_a_violation(analyze_stack):
    b = bucket("backups")
    assert found(analyze_stack, b, sse(b, sseAlgorithm="aws:kms")) == [
        "rules[0] uses SSE-KMS without kmsMasterKeyId (the AWS managed aws/s3 key); name a "
        "customer managed key."
    ]


def test_no_rules_is_a_violation(analyze_stack):
    b = bucket("backups")
    assert found(analyze_stack, b, sse(b, rules=[])) == [
        "no encryption rule: set applyServerSideEncryptionByDefault."
    ]


def test_the_access_log_bucket_uses_sse_s3(analyze_stack):
    source, logs = bucket("backups"), bucket("logs")
    wiring = [source, logs, logging_into(source, logs)]
    source_sse = sse(source, sseAlgorithm="aws:kms", kmsMasterKeyId=KEY)
    assert found(analyze_stack, *wiring, source_sse, sse(logs, sseAlgorithm="AES256")) == []
    kms_logs = sse(logs, sseAlgorithm="aws:kms", kmsMasterKeyId=KEY)
    assert found(analyze_stack, *wiring, source_sse, kms_logs) == [
        "rules[0] encrypts an access-log bucket with 'aws:kms'; S3 delivers server access logs "
        "only into SSE-S3 (AES256) buckets."
    ]


def test_sse_s3_is_allowed_only_while_the_bucket_receives_logs(analyze_stack, broken_prod):
    drop_resource(broken_prod, "eu-west-1-access-logs-from-backups")
    [diagnostic] = only(analyze_stack(broken_prod, policies=[POLICY]), POLICY)
    assert diagnostic.urn.endswith("::eu-west-1-access-logs-encryption")
    assert diagnostic.detail.startswith("rules[0] encrypts with 'AES256'")


def test_undecided_log_targets_still_catch_what_is_wrong_either_way(analyze_stack):
    source, logs = bucket("backups"), bucket("logs")
    undecided = logging_into(source, logs, by_dependency=False, target_input=UNKNOWN)
    aes = sse(logs, sseAlgorithm="AES256")
    kms_no_key = sse(source, sseAlgorithm="aws:kms")
    assert found(analyze_stack, source, logs, undecided, aes, kms_no_key, preview=True) == [
        "rules[0] uses SSE-KMS without kmsMasterKeyId (the AWS managed aws/s3 key); name a "
        "customer managed key."
    ]


def test_unknown_rules_are_not_violations(analyze_stack):
    b = bucket("backups")
    assert only(analyze_stack([b, sse(b, rules=UNKNOWN)], preview=True), POLICY) == []
