"""The state buckets: one per region, named for the account and region, versioned, encrypted with
that region's key, private, TLS-only, expiring only old versions, and access-logged."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from offline.recorder import RecordedResource, RecordedStack
from tests.bootstrap.conftest import (
    BUCKET,
    BUCKET_POLICY,
    KEY,
    LIFECYCLE,
    LOGGING,
    OWNERSHIP,
    PRIMARY,
    PUBLIC_ACCESS_BLOCK,
    REPLICA,
    REPLICA_KEY,
    SSE,
    VERSIONING,
    record_state_store,
    state_config,
)

Find = Callable[[RecordedStack, str, str], RecordedResource]
REGIONS = pytest.mark.parametrize("region", [PRIMARY, REPLICA])


def key_arn(stack: RecordedStack, region: str) -> str:
    [key] = [k for k in (*stack.of_type(KEY), *stack.of_type(REPLICA_KEY)) if k.region == region]
    return key.outputs["arn"]


@REGIONS
def test_each_region_has_its_named_state_bucket(
    state_stack: RecordedStack, in_region: Find, region
):
    bucket = in_region(state_stack, BUCKET, region)
    name = f"erlmcp-pulumi-state-123456789012-{region}"
    assert bucket.plain_inputs["bucket"] == name
    assert bucket.plain_inputs["forceDestroy"] is False
    assert state_stack.outputs["buckets"][region] == name
    assert state_stack.outputs["backendUrls"][region] == (f"s3://{name}?region={region}&awssdk=v2")


@REGIONS
def test_versioned(state_stack: RecordedStack, in_region: Find, region: str):
    versioning = in_region(state_stack, VERSIONING, region)
    bucket = in_region(state_stack, BUCKET, region)
    assert versioning.plain_inputs["versioningConfiguration"] == {"status": "Enabled"}
    assert versioning.property_dependencies["bucket"] == [bucket.urn]


@REGIONS
def test_encrypted_with_that_regions_key_and_a_bucket_key(
    state_stack: RecordedStack, in_region: Find, region: str
):
    sse = in_region(state_stack, SSE, region)
    assert sse.plain_inputs["rules"] == [
        {
            "applyServerSideEncryptionByDefault": {
                "sseAlgorithm": "aws:kms",
                "kmsMasterKeyId": key_arn(state_stack, region),
            },
            "bucketKeyEnabled": True,
        }
    ]
    assert f":{region}:" in key_arn(state_stack, region)


@REGIONS
def test_private_owner_enforced_and_tls_only(
    state_stack: RecordedStack, in_region: Find, region: str
):
    block = in_region(state_stack, PUBLIC_ACCESS_BLOCK, region).plain_inputs
    assert all(
        block[k] is True
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    ownership = in_region(state_stack, OWNERSHIP, region).plain_inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    bucket = in_region(state_stack, BUCKET, region)
    policy = in_region(state_stack, BUCKET_POLICY, region)
    statements = {s["Sid"]: s for s in json.loads(policy.plain_inputs["policy"])["Statement"]}
    arn = bucket.outputs["arn"]
    assert statements["DenyInsecureTransport"] == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    # An upload that asks for another key is refused (the default encryption names this one).
    other_keys = statements["DenyOtherKmsKeys"]["Condition"]["StringNotEquals"]
    assert other_keys == {
        "s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn(state_stack, region)
    }


@REGIONS
def test_only_old_versions_expire(state_stack: RecordedStack, in_region: Find, region: str):
    lifecycle = in_region(state_stack, LIFECYCLE, region)
    versioning = in_region(state_stack, VERSIONING, region)
    assert lifecycle.plain_inputs["rules"] == [
        {
            "id": "expire-noncurrent-state-versions",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "noncurrentVersionExpiration": {"noncurrentDays": 365},
            "expiration": {"expiredObjectDeleteMarker": True},
        },
        {
            "id": "abort-incomplete-uploads",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
        },
    ]
    assert versioning.urn in lifecycle.dependencies


def test_noncurrent_version_days_come_from_config():
    config = state_config()
    config["erlmcp-state:noncurrentVersionDays"] = 30
    stack = record_state_store(config)
    for lifecycle in stack.of_type(LIFECYCLE):
        if "-access-logs" not in lifecycle.name:
            rule = lifecycle.plain_inputs["rules"][0]
            assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 30}


@REGIONS
def test_access_logged_into_an_sse_s3_bucket_of_the_same_region(
    state_stack: RecordedStack, in_region: Find, region: str
):
    bucket = in_region(state_stack, BUCKET, region)
    [logging] = [r for r in state_stack.of_type(LOGGING) if r.region == region]
    [log_bucket] = [
        b for b in state_stack.of_type(BUCKET) if b.region == region and b.urn != bucket.urn
    ]
    assert logging.plain_inputs["bucket"] == bucket.outputs["bucket"]
    assert logging.plain_inputs["targetBucket"] == log_bucket.outputs["bucket"]
    assert logging.plain_inputs["targetPrefix"] == "pulumi-state/"
    [log_sse] = [
        r for r in state_stack.of_type(SSE) if r.region == region and "-access-logs" in r.name
    ]
    assert log_sse.plain_inputs["rules"] == [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
    ]
    [log_policy] = [
        r
        for r in state_stack.of_type(BUCKET_POLICY)
        if r.region == region and "-access-logs" in r.name
    ]
    statements = json.loads(log_policy.plain_inputs["policy"])["Statement"]
    [delivery] = [s for s in statements if s["Effect"] == "Allow"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": [bucket.outputs["arn"]]},
    }
