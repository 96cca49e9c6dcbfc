"""One region's state bucket: where Pulumi's DIY backend keeps the erlmcp stacks' state.

The bucket has a fixed name, `erlmcp-pulumi-state-<account>-<region>`, unlike the main stack's
auto-named buckets: operators type it into `pulumi login s3://...` (also during an outage, from
the README), so it must be predictable. The account id in it makes it unique across AWS accounts.

What it shares with every bucket of the main stack comes from the main stack's helpers
(components/backups.py: owner-only objects, public access blocked, versioning, the TLS-only and
KMS-only bucket policy; components/access_logs.py: the region's SSE-S3 access-log bucket), so the
same policy pack judges both projects alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.access_logs import AccessLogBucket, AccessLogBucketArgs, LoggedBucket
from components.backups import (
    ABORT_INCOMPLETE_UPLOADS_EVERYWHERE,
    encrypted_with_kms,
    private_versioned,
    tls_and_kms_only,
)

BUCKET_NAME_PREFIX = "erlmcp-pulumi-state"
# Server access logs of a state bucket are its audit trail (who read or wrote which stack when).
ACCESS_LOG_DAYS = 365
ACCESS_LOG_PREFIX = "pulumi-state/"


def state_bucket_name(account_id: str, region: str) -> str:
    return f"{BUCKET_NAME_PREFIX}-{account_id}-{region}"


def backend_url(bucket_name: str, region: str) -> str:
    """What `pulumi login` takes: the bucket, its region (no lookup through another region),
    and the AWS SDK v2 code path of gocloud's s3blob."""
    return f"s3://{bucket_name}?region={region}&awssdk=v2"


@dataclass(frozen=True)
class StateBucketArgs:
    region: str
    account_id: str
    kms_key_arn: pulumi.Input[str]
    """The state key's ARN in `region`: default encryption of every object."""
    noncurrent_version_days: int
    tags: Mapping[str, str] = field(default_factory=dict)


class StateBucket(pulumi.ComponentResource):
    """A private, versioned, SSE-KMS bucket reachable only over TLS, whose overwritten state
    files stay restorable for `noncurrent_version_days`, logged into the region's access-log
    bucket. The bucket and its versioning are protected and retained."""

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    versioning: aws.s3.BucketVersioning
    """Replication into or out of this bucket must depend on it."""
    region: str
    kms_key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: StateBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if args.noncurrent_version_days < 1:
            raise ValueError(
                f"noncurrent_version_days must be >= 1, got {args.noncurrent_version_days}"
            )
        super().__init__("erlmcp-state:bootstrap:StateBucket", name, None, opts)
        region = args.region
        tags = dict(args.tags)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            region=region,
            bucket=state_bucket_name(args.account_id, region),
            force_destroy=False,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
        )
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.region = region
        self.kms_key_arn = pulumi.Output.from_input(args.kms_key_arn)

        public_access_block, self.versioning = private_versioned(
            name, region, bucket, protect=True, parent=self, retain_on_delete=True
        )
        encrypted_with_kms(name, region, bucket, args.kms_key_arn, parent=self)
        # Noncurrent-version expiry means nothing until versioning is on.
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            region=region,
            bucket=bucket.bucket,
            rules=[
                noncurrent_versions_rule(args.noncurrent_version_days),
                ABORT_INCOMPLETE_UPLOADS_EVERYWHERE,
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
        )
        tls_and_kms_only(
            name, region, bucket, args.kms_key_arn, after=public_access_block, parent=self
        )
        AccessLogBucket(
            f"{name}-access-logs",
            AccessLogBucketArgs(
                region=region,
                sources=[LoggedBucket(bucket.bucket, bucket.arn, ACCESS_LOG_PREFIX)],
                expire_days=ACCESS_LOG_DAYS,
                account_id=args.account_id,
                tags=tags,
                retain_on_delete=True,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "region": self.region,
                "kms_key_arn": self.kms_key_arn,
            }
        )


def noncurrent_versions_rule(noncurrent_version_days: int) -> dict[str, Any]:
    """Every `pulumi up` overwrites the stack's state file: each earlier version stays
    restorable this many days. Current versions never expire. A delete marker left without
    versions (a removed lock file, once its version expired) is cleaned up."""
    return {
        "id": "expire-noncurrent-state-versions",
        "status": "Enabled",
        # The empty prefix is "every object", spelled out (the bridge may drop an empty filter).
        "filter": {"prefix": ""},
        "noncurrent_version_expiration": {"noncurrent_days": noncurrent_version_days},
        "expiration": {"expired_object_delete_marker": True},
    }
