"""s3-sse-kms: default encryption is SSE-KMS with a named customer key."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import has_value, is_unknown, items, prop, resource_policy
from erlmcp_policies.resources._s3 import SSE_TYPES

KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    rules = prop(args.props, "rules")
    if is_unknown(rules):
        return
    listed = list(items(rules))
    if not listed:
        report_violation("no encryption rule: set applyServerSideEncryptionByDefault.")
        return
    for index, rule in enumerate(listed):
        default = prop(rule, "applyServerSideEncryptionByDefault")
        if is_unknown(default):
            continue
        if default is None:
            report_violation(f"rules[{index}] has no applyServerSideEncryptionByDefault.")
            continue
        algorithm = prop(default, "sseAlgorithm")
        key = prop(default, "kmsMasterKeyId")
        if not is_unknown(algorithm) and algorithm not in KMS_ALGORITHMS:
            report_violation(
                f"rules[{index}] encrypts with {algorithm!r}; use 'aws:kms' with a customer key.",
            )
        elif not has_value(key):
            report_violation(
                f"rules[{index}] uses SSE-KMS without kmsMasterKeyId (the AWS managed aws/s3 "
                "key); name a customer managed key.",
            )


POLICY = resource_policy(
    name="s3-sse-kms",
    description=(
        "Bucket data is encrypted at rest with a customer managed KMS key (SSE-KMS) "
        "[AWS FSBP S3.17; CKV_AWS_145]"
    ),
    types=SSE_TYPES,
    validate=_validate,
)
