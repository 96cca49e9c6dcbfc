"""rds-encrypted-with-cmk: database storage is encrypted with a customer managed KMS key.

Primaries and Aurora clusters: storageEncrypted true and kmsKeyId set. Read replicas inherit the
source's encryption, so they must not turn it off, and a cross-region replica (its source named by
ARN) must name a key of its own region.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import has_value, is_false, is_true, is_unknown, prop, resource_policy
from erlmcp_policies.resources._rds import CLUSTER, INSTANCE, is_replica


def _check_key(key: object, report_violation: ReportViolation) -> None:
    if not has_value(key):
        report_violation("kmsKeyId is not set: name a customer managed KMS key.")
    elif isinstance(key, str) and "alias/aws/" in key:
        report_violation(f"kmsKeyId {key!r} is an AWS managed key; use a customer managed key.")


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    encrypted = prop(args.props, "storageEncrypted")
    key = prop(args.props, "kmsKeyId")
    if args.resource_type == INSTANCE and is_replica(args.props):
        if is_false(encrypted):
            report_violation("storageEncrypted is false on a read replica.")
        source = prop(args.props, "replicateSourceDb")
        if isinstance(source, str) and source.startswith("arn:") and not is_unknown(source):
            _check_key(key, report_violation)
        return
    if not is_unknown(encrypted) and not is_true(encrypted):
        report_violation("storageEncrypted must be true.")
        return
    _check_key(key, report_violation)


POLICY = resource_policy(
    name="rds-encrypted-with-cmk",
    description=(
        "Database storage is encrypted at rest with a customer managed KMS key "
        "[AWS FSBP RDS.3; CKV_AWS_16]"
    ),
    types=(INSTANCE, CLUSTER),
    validate=_validate,
)
