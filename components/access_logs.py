"""S3 server access logs: one private bucket per region that receives the access logs of the
region's other buckets, and the logging configuration of each of those buckets.

Why a bucket of its own, encrypted with SSE-S3 and not the region's KMS key: S3 delivers server
access logs only into a bucket in the source bucket's region and account, and supports default
encryption of that target bucket with SSE-S3 (AES-256) only, not SSE-KMS (Amazon S3 User Guide,
"Enabling Amazon S3 server access logging", docs.aws.amazon.com/AmazonS3/latest/userguide/
enable-server-access-logging.html, "Permissions for log delivery"). The target must not log
into itself either (same page: "Your target bucket should not have server access logging
enabled"), so this bucket is the one bucket of a region without access logs. The pack's
`s3-sse-kms` and `s3-bucket-has-access-logging` policies know both exceptions and grant them to a
bucket only while it is the target of a `BucketLogging` and nothing else.

Delivery is granted the recommended way, by a bucket policy for the `logging.s3.amazonaws.com`
service principal limited to this account and the logged buckets (not the legacy log-delivery
ACL: the bucket enforces owner-only object ownership, which disables ACLs).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.backups import (
    ABORT_INCOMPLETE_UPLOADS_EVERYWHERE,
    deny_insecure_transport,
    private_versioned,
)

LOG_DELIVERY_SERVICE = "logging.s3.amazonaws.com"
# A noncurrent version (a log overwritten or deleted by hand) is kept this long for an inquiry.
NONCURRENT_LOG_DAYS = 30


@dataclass(frozen=True)
class LoggedBucket:
    """A bucket whose requests are logged: its name and ARN, and the key prefix of its logs."""

    name: pulumi.Input[str]
    arn: pulumi.Input[str]
    log_prefix: str
    """Where its logs go in the log bucket, ending with "/" (e.g. `backups/`)."""


@dataclass(frozen=True)
class AccessLogBucketArgs:
    region: str
    sources: Sequence[LoggedBucket]
    expire_days: int
    """Days a log object is kept (then it becomes noncurrent, and goes for good 30 days later)."""
    account_id: str
    """The owning account (from config: reading it through STS would be a call at every run)."""
    tags: dict[str, str] = field(default_factory=dict)
    protect: bool = True
    retain_on_delete: bool = False
    """Keep the bucket and its versioning in AWS even when the program drops them."""


class AccessLogBucket(pulumi.ComponentResource):
    """The region's access-log bucket, and one `BucketLogging` per source bucket into it."""

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: AccessLogBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _validate(args)
        super().__init__("erlmcp:components:AccessLogBucket", name, None, opts)
        region = args.region
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            region=region,
            force_destroy=False,
            tags=args.tags,
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, retain_on_delete=args.retain_on_delete
            ),
        )
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn

        public_access_block, versioning = private_versioned(
            name,
            region,
            bucket,
            protect=args.protect,
            parent=self,
            retain_on_delete=args.retain_on_delete,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            region=region,
            bucket=bucket.bucket,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            region=region,
            bucket=bucket.bucket,
            rules=[expire_logs_rule(args.expire_days), ABORT_INCOMPLETE_UPLOADS_EVERYWHERE],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            region=region,
            bucket=bucket.bucket,
            policy=pulumi.Output.all(bucket.arn, *(source.arn for source in args.sources)).apply(
                lambda arns: json.dumps(log_bucket_policy(arns[0], args.account_id, arns[1:]))
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access_block]),
        )
        for source in args.sources:
            aws.s3.BucketLogging(
                f"{name}-from-{source.log_prefix.rstrip('/')}",
                region=region,
                bucket=source.name,
                target_bucket=bucket.bucket,
                target_prefix=source.log_prefix,
                # Date-partitioned keys (<prefix><account>/<region>/<bucket>/yyyy/mm/dd/...) keep
                # Athena queries of one day cheap.
                target_object_key_format={
                    "partitioned_prefix": {"partition_date_source": "EventTime"}
                },
                # Delivery starts once the policy lets the logging service write.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
            )
        self.register_outputs({"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn})


def expire_logs_rule(expire_days: int) -> dict[str, Any]:
    return {
        "id": "expire-access-logs",
        "status": "Enabled",
        "filter": {"prefix": ""},
        "expiration": {"days": expire_days},
        "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_LOG_DAYS},
    }


def log_bucket_policy(
    bucket_arn: str, account_id: str, source_arns: Sequence[str]
) -> dict[str, Any]:
    """TLS only; the S3 logging service may write logs of the listed buckets of this account."""
    objects = f"{bucket_arn}/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            deny_insecure_transport(bucket_arn),
            {
                "Sid": "AllowS3ServerAccessLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": LOG_DELIVERY_SERVICE},
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": sorted(source_arns)},
                },
            },
        ],
    }


def _validate(args: AccessLogBucketArgs) -> None:
    if not args.region:
        raise ValueError("region must be given")
    if not args.sources:
        raise ValueError("an access-log bucket needs at least one bucket to log")
    if args.expire_days < 1:
        raise ValueError(f"expire_days must be >= 1, got {args.expire_days}")
    prefixes = [source.log_prefix for source in args.sources]
    for prefix in prefixes:
        if not prefix.endswith("/") or prefix.startswith("/") or prefix == "/":
            raise ValueError(f"log_prefix {prefix!r} must end with '/' and not start with '/'")
    repeated = sorted({p for p in prefixes if prefixes.count(p) > 1})
    if repeated:
        raise ValueError(f"each logged bucket needs its own log_prefix, repeated: {repeated}")
