"""s3-sse-kms: default encryption is SSE-KMS with a named customer key.

One exception, and only one: a bucket that receives S3 server access logs must use SSE-S3
(AES256), because log delivery does not support SSE-KMS on the target bucket (Amazon S3 User
Guide, enable-server-access-logging.html, "Permissions for log delivery"). The exception is
granted by the stack's own wiring, a BucketLogging whose targetBucket is that bucket, so it is a
stack policy: an encryption configuration alone cannot tell what its bucket receives.
"""

from __future__ import annotations

from collections.abc import Callable

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from erlmcp_policies.common import has_value, is_unknown, items, prop
from erlmcp_policies.resources._s3 import (
    SSE_TYPES,
    Unresolved,
    access_log_targets,
    bucket_of,
    buckets,
)

KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})
SSE_S3 = "AES256"


def _check_kms(index: int, algorithm: object, key: object, report: Callable[[str], None]) -> None:
    if not is_unknown(algorithm) and algorithm not in KMS_ALGORITHMS:
        report(f"rules[{index}] encrypts with {algorithm!r}; use 'aws:kms' with a customer key.")
    elif not has_value(key):
        report(
            f"rules[{index}] uses SSE-KMS without kmsMasterKeyId (the AWS managed aws/s3 key); "
            "name a customer managed key."
        )


def _check_log_target(index: int, algorithm: object, report: Callable[[str], None]) -> None:
    if not is_unknown(algorithm) and algorithm != SSE_S3:
        report(
            f"rules[{index}] encrypts an access-log bucket with {algorithm!r}; S3 delivers server "
            "access logs only into SSE-S3 (AES256) buckets."
        )


def _check(config: PolicyResource, log_target: bool | None, report: Callable[[str], None]) -> None:
    """`log_target` None: not known yet whether the bucket receives access logs, so only what is
    wrong either way is reported."""
    rules = prop(config.props, "rules")
    if is_unknown(rules):
        return
    listed = list(items(rules))
    if not listed:
        report("no encryption rule: set applyServerSideEncryptionByDefault.")
        return
    for index, rule in enumerate(listed):
        default = prop(rule, "applyServerSideEncryptionByDefault")
        if is_unknown(default):
            continue
        if default is None:
            report(f"rules[{index}] has no applyServerSideEncryptionByDefault.")
            continue
        algorithm = prop(default, "sseAlgorithm")
        if log_target is None and algorithm == SSE_S3:
            continue
        if log_target:
            _check_log_target(index, algorithm, report)
        else:
            _check_kms(index, algorithm, prop(default, "kmsMasterKeyId"), report)


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    all_buckets = buckets(args.resources)
    try:
        targets: set[str] | None = access_log_targets(args.resources, all_buckets)
    except Unresolved:
        targets = None  # which bucket receives logs is unknown until the update
    for config in args.resources:
        if config.resource_type not in SSE_TYPES:
            continue
        log_target: bool | None
        try:
            bucket = bucket_of(config, all_buckets)
            log_target = None if targets is None else (bucket is not None and bucket.urn in targets)
        except Unresolved:
            log_target = None
        _check(config, log_target, lambda message, urn=config.urn: report_violation(message, urn))


POLICY = StackValidationPolicy(
    name="s3-sse-kms",
    description=(
        "Bucket data is encrypted at rest with a customer managed KMS key (SSE-KMS); an "
        "access-log bucket with SSE-S3, the only encryption log delivery supports "
        "[AWS FSBP S3.17; CKV_AWS_145]"
    ),
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)
