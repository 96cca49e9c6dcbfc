"""Backup buckets: private, versioned, KMS-encrypted S3 buckets that expire backups by prefix, and
cross-region replication of one such bucket into another.

Names: a bucket is auto-named by Pulumi from its logical name (`<component>-bucket-<7 random>`) or,
when `bucket_prefix` is given, by AWS from that prefix. Bucket names are global across all AWS
accounts, so a fixed name could already be taken, and it would stop a replacement from creating
the new bucket before deleting the old one; neither generated form has those problems.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Protocol

import pulumi
import pulumi_aws as aws

# Glacier storage classes bill every object for at least this many days.
GLACIER_MINIMUM_DAYS = 90
# Uploads a crashed backup script left unfinished cost storage and are never seen in listings.
ABORT_INCOMPLETE_UPLOADS_DAYS = 7
# S3 Replication Time Control's commitment; AWS accepts only 15 minutes for both settings.
RTC_MINUTES = 15

_BUCKET_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]{0,36}$")
_RULE_ID_MAX = 255


@dataclass(frozen=True)
class LifecycleRule:
    """How long the objects under one key prefix are kept."""

    id: str
    prefix: str
    """Key prefix the rule applies to, ending with "/" (e.g. `prod/postgres/`)."""
    expire_days: int
    """Days after creation when the current version becomes noncurrent (a delete marker)."""
    noncurrent_expire_days: int
    """Days a version stays after it became noncurrent; then it is gone for good."""
    glacier_after_days: int | None = None
    """Days after creation when current versions move to S3 Glacier Flexible Retrieval."""

    def __post_init__(self) -> None:
        if not self.id or len(self.id) > _RULE_ID_MAX:
            raise ValueError(f"lifecycle rule id must be 1-{_RULE_ID_MAX} characters: {self.id!r}")
        if not self.prefix.endswith("/") or self.prefix.startswith("/"):
            raise ValueError(
                f"lifecycle rule {self.id!r}: prefix {self.prefix!r} must end with '/' and not "
                "start with '/'"
            )
        for label, days in (
            ("expire_days", self.expire_days),
            ("noncurrent_expire_days", self.noncurrent_expire_days),
            ("glacier_after_days", self.glacier_after_days),
        ):
            if days is not None and days < 1:
                raise ValueError(f"lifecycle rule {self.id!r}: {label} must be >= 1, got {days}")
        if (
            self.glacier_after_days is not None
            and self.expire_days - self.glacier_after_days < GLACIER_MINIMUM_DAYS
        ):
            raise ValueError(
                f"lifecycle rule {self.id!r}: glacier_after_days {self.glacier_after_days} leaves "
                f"{self.expire_days - self.glacier_after_days} days before expire_days "
                f"{self.expire_days}; Glacier bills a {GLACIER_MINIMUM_DAYS}-day minimum, so "
                "objects must stay there at least that long"
            )


@dataclass(frozen=True)
class BackupBucketArgs:
    region: str
    kms_key_arn: pulumi.Input[str]
    """Customer-managed key in `region` that encrypts every object."""
    lifecycle_rules: Sequence[LifecycleRule]
    bucket_prefix: str | None = None
    """Name prefix (lowercase, at most 37 characters) AWS completes to a unique name; leave it
    out to let Pulumi name the bucket after its logical name."""
    tags: dict[str, str] = field(default_factory=dict)
    protect: bool = True


class BackupBucket(pulumi.ComponentResource):
    """A bucket in `args.region` that nobody outside the account can read, reachable only over
    TLS, versioned (replication needs it), encrypted with the given KMS key, and emptied by the
    lifecycle rules. It is never force-destroyed: a bucket holding backups must be emptied on
    purpose before it can go."""

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    versioning: aws.s3.BucketVersioning
    """Replication into or out of this bucket must depend on this resource."""
    region: str
    kms_key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: BackupBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _validate_bucket_args(args)
        super().__init__("erlmcp:components:BackupBucket", name, None, opts)
        region = args.region
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            region=region,
            bucket_prefix=args.bucket_prefix,
            force_destroy=False,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.region = region
        self.kms_key_arn = pulumi.Output.from_input(args.kms_key_arn)

        public_access_block, self.versioning = private_versioned(
            name, region, bucket, protect=args.protect, parent=self
        )
        encrypted_with_kms(name, region, bucket, args.kms_key_arn, parent=self)
        # Noncurrent-version expiry means nothing until versioning is on.
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            region=region,
            bucket=bucket.bucket,
            rules=[
                *(lifecycle_rule_args(rule) for rule in args.lifecycle_rules),
                ABORT_INCOMPLETE_UPLOADS_EVERYWHERE,
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
        )
        tls_and_kms_only(
            name, region, bucket, args.kms_key_arn, after=public_access_block, parent=self
        )
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "region": self.region,
                "kms_key_arn": self.kms_key_arn,
            }
        )


def tls_and_kms_only(
    name: str,
    region: str,
    bucket: aws.s3.Bucket,
    kms_key_arn: pulumi.Input[str],
    *,
    after: pulumi.Resource,
    parent: pulumi.Resource,
) -> aws.s3.BucketPolicy:
    """The bucket policy `bucket_policy` writes (TLS only, uploads with `kms_key_arn` only),
    applied after `after`: S3 answers OperationAborted to concurrent access-setting changes on
    one bucket."""
    return aws.s3.BucketPolicy(
        f"{name}-policy",
        region=region,
        bucket=bucket.bucket,
        policy=pulumi.Output.all(bucket.arn, kms_key_arn).apply(
            lambda arns: json.dumps(bucket_policy(arns[0], arns[1]))
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[after]),
    )


def encrypted_with_kms(
    name: str,
    region: str,
    bucket: aws.s3.Bucket,
    kms_key_arn: pulumi.Input[str],
    *,
    parent: pulumi.Resource,
) -> aws.s3.BucketServerSideEncryptionConfiguration:
    """Default encryption with `kms_key_arn` and an S3 Bucket Key: one data key per bucket
    instead of one KMS call per object."""
    return aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        region=region,
        bucket=bucket.bucket,
        rules=[
            {
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": kms_key_arn,
                },
                "bucket_key_enabled": True,
            }
        ],
        opts=pulumi.ResourceOptions(parent=parent),
    )


def private_versioned(
    name: str,
    region: str,
    bucket: aws.s3.Bucket,
    *,
    protect: bool,
    parent: pulumi.Resource,
    retain_on_delete: bool = False,
) -> tuple[aws.s3.BucketPublicAccessBlock, aws.s3.BucketVersioning]:
    """What every bucket of the stack has: owner-only objects (ACLs off), all public access
    blocked, and versioning. Returns the public access block (a bucket policy must wait for it)
    and the versioning (lifecycle and replication must wait for it)."""
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        region=region,
        bucket=bucket.bucket,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=pulumi.ResourceOptions(parent=parent),
    )
    public_access_block = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access-block",
        region=region,
        bucket=bucket.bucket,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    # Removing a BucketVersioning resource suspends versioning, which silently stops
    # replication and the noncurrent-version safety net: it is as precious as the bucket.
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning",
        region=region,
        bucket=bucket.bucket,
        versioning_configuration={"status": "Enabled"},
        opts=pulumi.ResourceOptions(
            parent=parent, protect=protect, retain_on_delete=retain_on_delete
        ),
    )
    return public_access_block, versioning


# Multipart uploads abandoned anywhere in the bucket (not only under the scheduled prefixes) stop
# costing after a week. The empty prefix is "every object", spelled out: an empty `filter {}`
# object is what the bridge may drop.
ABORT_INCOMPLETE_UPLOADS_EVERYWHERE: dict[str, Any] = {
    "id": "abort-incomplete-uploads",
    "status": "Enabled",
    "filter": {"prefix": ""},
    "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOADS_DAYS},
}


def lifecycle_rule_args(rule: LifecycleRule) -> dict[str, Any]:
    """One S3 lifecycle rule: expiry of current and noncurrent versions under the prefix."""
    args: dict[str, Any] = {
        "id": rule.id,
        "status": "Enabled",
        "filter": {"prefix": rule.prefix},
        "expiration": {"days": rule.expire_days},
        "noncurrent_version_expiration": {"noncurrent_days": rule.noncurrent_expire_days},
        "abort_incomplete_multipart_upload": {
            "days_after_initiation": ABORT_INCOMPLETE_UPLOADS_DAYS
        },
    }
    if rule.glacier_after_days is not None:
        args["transitions"] = [{"days": rule.glacier_after_days, "storage_class": "GLACIER"}]
    return args


def deny_insecure_transport(bucket_arn: str) -> dict[str, Any]:
    """The bucket-policy statement that refuses every request not made over TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def bucket_policy(bucket_arn: str, key_arn: str) -> dict[str, Any]:
    """Deny plain HTTP, and deny uploads that ask for any encryption other than the bucket's key.

    Default encryption already applies the key to uploads that name no encryption, so requiring
    the `aws:kms` header on every upload would only break clients (the runbook's `aws s3 cp`)
    that rely on it. What default encryption cannot stop is a client explicitly asking for
    SSE-S3, another KMS key, or a customer-provided key (whose loss loses the backup): those are
    denied here.
    """
    objects = f"{bucket_arn}/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            deny_insecure_transport(bucket_arn),
            {
                "Sid": "DenyEncryptionOtherThanKms",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {
                    "Null": {"s3:x-amz-server-side-encryption": "false"},
                    "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
                },
            },
            {
                "Sid": "DenyOtherKmsKeys",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {
                    "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
                    "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn},
                },
            },
            {
                "Sid": "DenyCustomerProvidedKeys",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {
                    "Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}
                },
            },
        ],
    }


def _validate_bucket_args(args: BackupBucketArgs) -> None:
    if not args.region:
        raise ValueError("region must be given")
    if not args.lifecycle_rules:
        raise ValueError("at least one lifecycle rule is required: backups must expire")
    if args.bucket_prefix is not None and not _BUCKET_PREFIX.match(args.bucket_prefix):
        raise ValueError(
            f"bucket_prefix {args.bucket_prefix!r} must be 1-37 lowercase letters, digits or "
            "'-', starting with a letter or digit"
        )
    ids = [rule.id for rule in args.lifecycle_rules]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"lifecycle rule ids must be unique, repeated: {duplicates}")
    # Overlapping rules make S3 apply the shortest expiry to the overlap, whatever was meant.
    prefixes = sorted((rule.prefix, rule.id) for rule in args.lifecycle_rules)
    for (outer, outer_id), (inner, inner_id) in pairwise(prefixes):
        if inner.startswith(outer):
            raise ValueError(
                f"lifecycle rules {outer_id!r} and {inner_id!r} overlap: {inner!r} is inside "
                f"{outer!r}"
            )


@dataclass(frozen=True)
class BucketReplicationArgs:
    region: str
    """The source bucket's region, where the replication configuration lives."""
    source: BackupBucket
    destination: BackupBucket
    replication_time_control: bool = True
    """S3 RTC: 99.99 % of objects replicated within 15 minutes, with metrics to prove it."""
    tags: dict[str, str] = field(default_factory=dict)
    global_provider: pulumi.ProviderResource | None = None
    """The AWS provider of the global services, for IAM (None: the one this component inherits)."""


class BucketReplication(pulumi.ComponentResource):
    """Replicates every object (and delete marker) of `source` into `destination`, re-encrypted
    with the destination's KMS key, through an IAM role that can do nothing else."""

    role_arn: pulumi.Output[str]
    rule_id: str
    """The rule's id: with the two bucket names, the dimensions of its replication metrics."""
    source: BackupBucket
    destination: BackupBucket

    def __init__(
        self, name: str, args: BucketReplicationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _validate_replication_args(args)
        super().__init__("erlmcp:components:BucketReplication", name, None, opts)
        source, destination = args.source, args.destination
        self.rule_id = f"all-objects-to-{destination.region}"
        self.source, self.destination = source, destination
        role, role_policy = replication_role(
            name,
            source,
            destination,
            trust_policy=S3_TRUST_POLICY,
            description=f"S3 replication from {source.region} to {destination.region}",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, provider=args.global_provider),
        )
        # S3 refuses a replication configuration unless both buckets are versioned, and the
        # role must be able to act before the first object arrives.
        aws.s3.BucketReplicationConfig(
            f"{name}-config",
            region=args.region,
            bucket=source.bucket_name,
            role=role.arn,
            rules=[
                replication_rule_args(
                    rule_id=self.rule_id,
                    destination_bucket_arn=destination.bucket_arn,
                    destination_key_arn=destination.kms_key_arn,
                    replication_time_control=args.replication_time_control,
                )
            ],
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[source.versioning, destination.versioning, role_policy],
            ),
        )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})


class ReplicatedBucket(Protocol):
    """What a replication role needs of each side: the bucket, its key and its region."""

    region: str
    bucket_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]


def replication_role(
    name: str,
    source: ReplicatedBucket,
    destination: ReplicatedBucket,
    *,
    trust_policy: dict[str, Any],
    description: str,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
    """The role S3 replicates `source` into `destination` with, and its only permissions
    (`replication_role_policy`): `<name>-role` and `<name>-role-policy`."""
    role = aws.iam.Role(
        f"{name}-role",
        description=description,
        assume_role_policy=json.dumps(trust_policy),
        tags=dict(tags),
        opts=opts,
    )
    role_policy = aws.iam.RolePolicy(
        f"{name}-role-policy",
        role=role.id,
        policy=pulumi.Output.all(
            source.bucket_arn,
            source.kms_key_arn,
            destination.bucket_arn,
            destination.kms_key_arn,
        ).apply(
            lambda v: json.dumps(
                replication_role_policy(
                    source_bucket_arn=v[0],
                    source_key_arn=v[1],
                    source_region=source.region,
                    destination_bucket_arn=v[2],
                    destination_key_arn=v[3],
                    destination_region=destination.region,
                )
            )
        ),
        opts=opts,
    )
    return role, role_policy


S3_TRUST_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def replication_rule_args(
    *,
    rule_id: str,
    destination_bucket_arn: pulumi.Input[str],
    destination_key_arn: pulumi.Input[str],
    replication_time_control: bool,
) -> dict[str, Any]:
    destination: dict[str, Any] = {
        "bucket": destination_bucket_arn,
        "encryption_configuration": {"replica_kms_key_id": destination_key_arn},
    }
    # Replication metrics are on whatever RTC says: without them S3 publishes neither
    # ReplicationLatency nor OperationsFailedReplication, and no alarm can see a replication
    # fall behind or fail (S3 user guide, "Using S3 Replication metrics": metrics can be enabled
    # independently of S3 RTC; billed as custom metrics). RTC needs them with its own threshold.
    destination["metrics"] = {"status": "Enabled"}
    if replication_time_control:
        destination["replication_time"] = {"status": "Enabled", "time": {"minutes": RTC_MINUTES}}
        destination["metrics"]["event_threshold"] = {"minutes": RTC_MINUTES}
    return {
        "id": rule_id,
        "status": "Enabled",
        # A filter makes this a V2 rule, the only kind that can replicate delete markers and use
        # RTC; the empty prefix selects the whole bucket. Spelled out: an empty `filter {}`
        # object may be dropped on its way through the bridge, and the rule would go out as V1.
        "filter": {"prefix": ""},
        "delete_marker_replication": {"status": "Enabled"},
        # S3 skips SSE-KMS objects unless told otherwise, and every object here is SSE-KMS.
        "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
        "destination": destination,
    }


def replication_role_policy(
    *,
    source_bucket_arn: str,
    source_key_arn: str,
    source_region: str,
    destination_bucket_arn: str,
    destination_key_arn: str,
    destination_region: str,
) -> dict[str, Any]:
    """Read versions from the source, write replicas to the destination, and use each bucket's
    key only through S3 of that bucket's region, for that bucket's objects."""

    def key_use(bucket_arn: str, region: str) -> dict[str, Any]:
        # With S3 Bucket Keys the encryption context is the bucket ARN, without them the
        # object ARN: allow both, and nothing of other buckets.
        return {
            "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]},
        }

    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadSourceConfiguration",
                "Effect": "Allow",
                "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                "Resource": source_bucket_arn,
            },
            {
                "Sid": "ReadSourceVersions",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionTagging",
                ],
                "Resource": f"{source_bucket_arn}/*",
            },
            {
                "Sid": "WriteReplicas",
                "Effect": "Allow",
                "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                "Resource": f"{destination_bucket_arn}/*",
            },
            {
                "Sid": "DecryptWithSourceKey",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": source_key_arn,
                "Condition": key_use(source_bucket_arn, source_region),
            },
            {
                "Sid": "EncryptWithDestinationKey",
                "Effect": "Allow",
                "Action": "kms:Encrypt",
                "Resource": destination_key_arn,
                "Condition": key_use(destination_bucket_arn, destination_region),
            },
        ],
    }


def _validate_replication_args(args: BucketReplicationArgs) -> None:
    if args.source is args.destination:
        raise ValueError("a bucket cannot replicate into itself")
    if args.region != args.source.region:
        raise ValueError(
            f"region {args.region!r} must be the source bucket's region {args.source.region!r}: "
            "the replication configuration belongs to the source bucket"
        )
