"""S3 plumbing shared by the S3 policies (not a policy).

pulumi-aws v7 configures a bucket through separate resources (BucketVersioning,
BucketServerSideEncryptionConfiguration, BucketPublicAccessBlock, BucketPolicy,
BucketLifecycleConfiguration, BucketReplicationConfig) that name their bucket in the `bucket`
input. "This bucket has X" is therefore a stack question: join each companion to its Bucket, by
the property dependency of `bucket` (which the engine records even while the name is unknown) or,
failing that, by the bucket name. The deprecated inline Bucket arguments do not count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from erlmcp_policies.common import is_unknown, prop

BUCKET_TYPES = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
VERSIONING_TYPES = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
SSE_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
PUBLIC_ACCESS_BLOCK_TYPES = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
POLICY_TYPES = ("aws:s3/bucketPolicy:BucketPolicy",)
LIFECYCLE_TYPES = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
REPLICATION_TYPES = ("aws:s3/bucketReplicationConfig:BucketReplicationConfig",)
LOGGING_TYPES = (
    "aws:s3/bucketLogging:BucketLogging",
    "aws:s3/bucketLoggingV2:BucketLoggingV2",
)


def buckets(resources: Iterable[PolicyResource]) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type in BUCKET_TYPES]


def bucket_label(bucket: PolicyResource) -> str:
    name = prop(bucket.props, "bucket")
    return name if isinstance(name, str) else bucket.name


class Unresolved(Exception):
    """A companion whose bucket cannot be told yet (unknown name, no dependency recorded)."""


def bucket_of(
    companion: PolicyResource, candidates: Sequence[PolicyResource], key: str = "bucket"
) -> PolicyResource | None:
    """The bucket `companion` configures through its `key` input; None for a bucket not in the
    stack; raises Unresolved when that cannot be told yet."""
    for dependency in companion.property_dependencies.get(key, []):
        if dependency.resource_type in BUCKET_TYPES:
            return dependency
    wanted = prop(companion.props, key)
    if is_unknown(wanted) or not isinstance(wanted, str):
        raise Unresolved(companion.urn)
    unknown_names = False
    for bucket in candidates:
        for attribute in ("bucket", "arn", "id"):
            value = prop(bucket.props, attribute)
            if is_unknown(value):
                unknown_names = True
            elif value == wanted:
                return bucket
    if unknown_names:
        raise Unresolved(companion.urn)
    return None


def access_log_targets(
    resources: Iterable[PolicyResource], candidates: Sequence[PolicyResource]
) -> set[str]:
    """URNs of the buckets that receive S3 server access logs (a BucketLogging's targetBucket).

    Raises Unresolved while some logging configuration's target cannot be told yet.
    """
    targets: set[str] = set()
    for resource in resources:
        if resource.resource_type in LOGGING_TYPES:
            target = bucket_of(resource, candidates, key="targetBucket")
            if target is not None:
                targets.add(target.urn)
    return targets


def companion_policy(
    *,
    name: str,
    description: str,
    companion_types: Sequence[str],
    companion_name: str,
    exempt_log_targets: bool = False,
) -> StackValidationPolicy:
    """A stack policy: every bucket is configured by at least one resource of `companion_types`
    (with `exempt_log_targets`, except the buckets that receive server access logs)."""
    wanted = frozenset(companion_types)

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        all_buckets = buckets(args.resources)
        exempt: set[str] = set()
        if exempt_log_targets:
            try:
                exempt = access_log_targets(args.resources, all_buckets)
            except Unresolved:
                return
        covered: set[str] = set()
        undecided = False
        for resource in args.resources:
            if resource.resource_type not in wanted:
                continue
            try:
                bucket = bucket_of(resource, all_buckets)
            except Unresolved:
                undecided = True
                continue
            if bucket is not None:
                covered.add(bucket.urn)
        if undecided:
            # Some companion's bucket is unknown until the update: any bucket might be its.
            return
        for bucket in all_buckets:
            if bucket.urn not in covered and bucket.urn not in exempt:
                report_violation(
                    f"S3 bucket '{bucket_label(bucket)}' has no {companion_name} "
                    f"(pulumi-aws v7: a separate aws.s3.{companion_name} whose `bucket` is this "
                    "bucket).",
                    bucket.urn,
                )

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def any_of(values: Any) -> list[Any]:
    """A policy-document field that may be a single value or a list, as a list."""
    if values is None:
        return []
    if isinstance(values, list | tuple):
        return list(values)
    return [values]
