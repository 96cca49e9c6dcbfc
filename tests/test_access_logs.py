"""S3 server access logs: a private SSE-S3 bucket per region, written only by the S3 logging
service for this account's logged buckets, and one BucketLogging per logged bucket."""

from __future__ import annotations

import json

import pytest

from components.access_logs import AccessLogBucket, AccessLogBucketArgs, LoggedBucket
from tests.conftest import PROTECTED_TYPES, assert_parented_under

ACCOUNT = "123456789012"
SOURCE = LoggedBucket("backups-1a2b", "arn:aws:s3:::backups-1a2b", "backups/")
BUCKET = "aws:s3/bucket:Bucket"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def log_bucket(**overrides):
    values = {
        "region": "eu-west-1",
        "sources": [SOURCE],
        "expire_days": 90,
        "account_id": ACCOUNT,
        "tags": {"service": "erlmcp"},
    }
    return AccessLogBucket("eu-west-1-access-logs", AccessLogBucketArgs(**{**values, **overrides}))


@pytest.fixture
def stack(record):
    return record(log_bucket)


def test_the_bucket_and_its_versioning_are_protected_and_in_region(stack):
    [bucket] = stack.of_type(BUCKET)
    assert bucket.region == "eu-west-1"
    assert bucket.plain_inputs["forceDestroy"] is False
    assert bucket.protect
    assert BUCKET in PROTECTED_TYPES
    assert all(r.region == "eu-west-1" for r in stack.resources if r.custom)
    assert_parented_under(stack, "erlmcp:components:AccessLogBucket", "eu-west-1-access-logs")


def test_logs_are_encrypted_with_sse_s3_the_only_encryption_log_delivery_supports(stack):
    [sse] = stack.of_type(SSE)
    assert sse.plain_inputs["rules"] == [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
    ]


def test_only_the_logging_service_writes_and_only_for_this_account_and_its_buckets(stack):
    [bucket] = stack.of_type(BUCKET)
    [policy] = stack.of_type(POLICY)
    statements = {s["Sid"]: s for s in json.loads(policy.plain_inputs["policy"])["Statement"]}
    assert set(statements) == {"DenyInsecureTransport", "AllowS3ServerAccessLogDelivery"}
    allow = statements["AllowS3ServerAccessLogDelivery"]
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allow["Action"] == "s3:PutObject"
    assert allow["Resource"] == f"{bucket.outputs['arn']}/*"
    assert allow["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": ["arn:aws:s3:::backups-1a2b"]},
    }
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"


def test_each_logged_bucket_logs_into_its_own_prefix_once_delivery_is_allowed(stack):
    [bucket] = stack.of_type(BUCKET)
    [policy] = stack.of_type(POLICY)
    [logging] = stack.of_type(LOGGING)
    inputs = logging.plain_inputs
    assert inputs["bucket"] == "backups-1a2b"
    assert inputs["targetBucket"] == bucket.outputs["bucket"]
    assert inputs["targetPrefix"] == "backups/"
    assert inputs["targetObjectKeyFormat"] == {
        "partitionedPrefix": {"partitionDateSource": "EventTime"}
    }
    assert policy.urn in logging.dependencies


def test_logs_expire_and_the_bucket_is_private(stack):
    [lifecycle] = stack.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    rules = {r["id"]: r for r in lifecycle.plain_inputs["rules"]}
    assert rules["expire-access-logs"]["expiration"] == {"days": 90}
    assert rules["expire-access-logs"]["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    assert "abort-incomplete-uploads" in rules
    [block] = stack.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(block.plain_inputs[k] is True for k in ("blockPublicAcls", "blockPublicPolicy"))
    [owner] = stack.of_type("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert owner.plain_inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"sources": []}, "at least one bucket to log"),
        ({"expire_days": 0}, "expire_days must be >= 1"),
        ({"sources": [LoggedBucket("b", "arn:aws:s3:::b", "backups")]}, "must end with '/'"),
        ({"sources": [SOURCE, SOURCE]}, "its own log_prefix, repeated: ['backups/']"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_created(overrides, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        log_bucket(**overrides)


def test_every_prod_backup_bucket_logs_into_its_regions_log_bucket(prod_stack):
    buckets = {b.name: b for b in prod_stack.of_type(BUCKET)}
    loggings = prod_stack.of_type(LOGGING)
    assert len(loggings) == 6
    for logging in loggings:
        region = logging.region
        assert (
            logging.plain_inputs["bucket"] == buckets[f"{region}-backups-bucket"].outputs["bucket"]
        )
        target = buckets[f"{region}-access-logs-bucket"]
        assert logging.plain_inputs["targetBucket"] == target.outputs["bucket"]
        assert target.region == region
