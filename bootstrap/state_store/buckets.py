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
# S3 keeps at most 100 newer noncurrent versions (S3 API reference, NoncurrentVersionExpiration,
# `NewerNoncurrentVersions`: "You can specify up to 100 noncurrent versions to retain").
MAX_NONCURRENT_VERSIONS_KEPT = 100
# A version beyond the newest `noncurrent_versions_kept` goes this long after it was overwritten
# (S3's smallest `NoncurrentDays`).
EXTRA_NONCURRENT_VERSION_DAYS = 1
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
    noncurrent_versions_kept: int = MAX_NONCURRENT_VERSIONS_KEPT
    """Per state file, the newest overwritten versions kept `noncurrent_version_days`."""
    tags: Mapping[str, str] = field(default_factory=dict)


class StateBucket(pulumi.ComponentResource):
    """A private, versioned, SSE-KMS bucket reachable only over TLS, whose newest
    `noncurrent_versions_kept` overwritten versions of each state file stay restorable for
    `noncurrent_version_days` (older ones for a day), logged into the region's access-log
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
        if not 1 <= args.noncurrent_versions_kept <= MAX_NONCURRENT_VERSIONS_KEPT:
            raise ValueError(
                f"noncurrent_versions_kept must be 1-{MAX_NONCURRENT_VERSIONS_KEPT}, "
                f"got {args.noncurrent_versions_kept}"
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
                noncurrent_versions_cap(args.noncurrent_versions_kept),
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
    """Every `pulumi up` overwrites the stack's state file: an earlier version stays restorable
    this many days, unless `noncurrent_versions_cap` lets it go sooner. Current versions never
    expire. A delete marker left without
    versions (a removed lock file, once its version expired) is cleaned up."""
    return {
        "id": "expire-noncurrent-state-versions",
        "status": "Enabled",
        # The empty prefix is "every object", spelled out (the bridge may drop an empty filter).
        "filter": {"prefix": ""},
        "noncurrent_version_expiration": {"noncurrent_days": noncurrent_version_days},
        "expiration": {"expired_object_delete_marker": True},
    }


def noncurrent_versions_cap(versions_kept: int) -> dict[str, Any]:
    """Only the newest `versions_kept` overwritten versions of each file wait out the days of
    `noncurrent_versions_rule`; any older one expires a day after it was overwritten.

    Why: pulumi's DIY backend saves the whole checkpoint at every resource step (the engine's
    SnapshotManager, pkg/backend/snapshot.go:175-200 `BeginMutation` and each mutation's `End`,
    persists through pkg/backend/diy/snapshot.go:34-36 `Save` -> `saveStack`), and each save
    copies the state file to `<stack>.json.bak` and then overwrites the state file
    (pkg/backend/diy/state.go:294-319 `saveCheckpoint`, 465-486 `backupTarget`; pulumi/pulumi
    at 1b5949891b3c). So one full `pulumi up` of the prod stack (hundreds of steps, a multi-MB
    file) leaves thousands of noncurrent versions, each replicated under RTC. The end state of
    every update stays anyway, as current objects that never expire: `addToHistory` copies the
    checkpoint to `.pulumi/history/` and `backupStack` to `.pulumi/backups/` after each update
    (state.go:690-715 and 490-520; backend.go:1455-1458).

    How: S3 expires a noncurrent version under `NoncurrentVersionExpiration` once it has been
    noncurrent `NoncurrentDays` and, with `NewerNoncurrentVersions`, only if at least that many
    newer noncurrent versions exist (S3 API reference, NoncurrentVersionExpiration). The cap
    therefore cannot go into the long rule (it would still keep every version 365 days); it is
    a second rule over the same objects, and where two expirations overlap S3 honours the
    shorter (S3 User Guide, "How Amazon S3 handles conflicts in lifecycle configurations")."""
    return {
        "id": "cap-noncurrent-state-versions",
        "status": "Enabled",
        "filter": {"prefix": ""},
        "noncurrent_version_expiration": {
            "noncurrent_days": EXTRA_NONCURRENT_VERSION_DAYS,
            "newer_noncurrent_versions": versions_kept,
        },
    }
