"""The state buckets: one per region, named for the account and region, versioned, encrypted with
that region's key, private, TLS-only, expiring only old versions, and access-logged."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from offline.recorder import RecordedResource, RecordedStack
from state_store.buckets import StateBucket, StateBucketArgs
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
            "id": "cap-noncurrent-state-versions",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "noncurrentVersionExpiration": {"noncurrentDays": 1, "newerNoncurrentVersions": 100},
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


def test_noncurrent_versions_kept_come_from_config():
    config = state_config()
    config["erlmcp-state:noncurrentVersionsKept"] = 20
    stack = record_state_store(config)
    for lifecycle in stack.of_type(LIFECYCLE):
        if "-access-logs" not in lifecycle.name:
            cap = lifecycle.plain_inputs["rules"][1]["noncurrentVersionExpiration"]
            assert cap == {"noncurrentDays": 1, "newerNoncurrentVersions": 20}


@pytest.mark.parametrize(
    ("days", "kept", "message"),
    [
        (0, 100, "noncurrent_version_days must be >= 1"),
        (365, 0, "noncurrent_versions_kept must be 1-100, got 0"),
        (365, 101, "noncurrent_versions_kept must be 1-100, got 101"),
    ],
)
def test_the_component_refuses_what_s3_would(days: int, kept: int, message: str):
    args = StateBucketArgs(
        region=PRIMARY,
        account_id="123456789012",
        kms_key_arn="arn:aws:kms:us-east-2:123456789012:key/mrk-1",
        noncurrent_version_days=days,
        noncurrent_versions_kept=kept,
    )
    with pytest.raises(ValueError, match=message):
        StateBucket("state", args)


# -- what the rules keep, by S3's documented semantics ---------------------------------------
# A noncurrent version expires under a rule once it has been noncurrent `noncurrentDays` and, if
# the rule sets `newerNoncurrentVersions`, at least that many newer noncurrent versions exist
# (S3 API reference, NoncurrentVersionExpiration); overlapping expirations: the shorter wins.

SAVES_PER_UP = 1400
"""About two checkpoint saves per changed resource of a full `up` of the prod stack."""


def noncurrent_versions_left(
    rules: list[dict], overwritten_at_days: list[float], now: float
) -> int:
    """How many noncurrent versions of one object are left `now` (days), given when each was
    overwritten (oldest first)."""
    left = 0
    for index, became_noncurrent in enumerate(overwritten_at_days):
        newer = len(overwritten_at_days) - index - 1
        if not any(expires(rule, now - became_noncurrent, newer) for rule in rules):
            left += 1
    return left


def expires(rule: dict, noncurrent_for: float, newer: int) -> bool:
    expiration = rule.get("noncurrentVersionExpiration")
    if rule["status"] != "Enabled" or expiration is None:
        return False
    return noncurrent_for >= expiration["noncurrentDays"] and newer >= expiration.get(
        "newerNoncurrentVersions", 0
    )


@REGIONS
def test_one_full_up_leaves_at_most_the_kept_versions_after_a_day(
    state_stack: RecordedStack, in_region: Find, region: str
):
    rules = in_region(state_stack, LIFECYCLE, region).plain_inputs["rules"]
    # One `up` in its first two hours: each save overwrites the state file (and its .bak).
    saves = [i / SAVES_PER_UP / 12 for i in range(SAVES_PER_UP)]
    assert noncurrent_versions_left(rules, saves, now=0.5) == SAVES_PER_UP  # all, for a day
    assert noncurrent_versions_left(rules, saves, now=2) == 100
    assert noncurrent_versions_left(rules, saves, now=364) == 100  # the newest, for a year
    assert noncurrent_versions_left(rules, saves, now=366) == 0
