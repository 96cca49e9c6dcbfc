"""rds-encrypted-with-cmk: database storage is encrypted with a customer managed KMS key.

Primaries and Aurora clusters: storageEncrypted true and kmsKeyId set. Read replicas inherit the
source's encryption, so they must not turn it off, and a cross-region replica (its source named by
ARN) must name a key. Whatever names a key must name one in the database's own region: a KMS key
is regional, RDS rejects a key of another region, and a DR copy encrypted with its primary
region's key could not be used once that region is gone (AWS: "Copying a DB snapshot" and
"Working with DB instance read replicas": a cross-Region replica needs a key of the destination
Region).
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import (
    has_value,
    is_false,
    is_true,
    is_unknown,
    prop,
    region_from_arn,
    region_of,
    resource_policy,
)
from erlmcp_policies.resources._rds import CLUSTER, INSTANCE, is_replica


def _check_key(key: object, report_violation: ReportViolation) -> None:
    if not has_value(key):
        report_violation("kmsKeyId is not set: name a customer managed KMS key.")
    elif isinstance(key, str) and "alias/aws/" in key:
        report_violation(f"kmsKeyId {key!r} is an AWS managed key; use a customer managed key.")


def _check_key_region(
    args: ResourceValidationArgs, key: object, report_violation: ReportViolation
) -> None:
    key_region, region = region_from_arn(key), region_of(args)
    if key_region and region and key_region != region:
        report_violation(
            f"kmsKeyId is a key of {key_region}, but the database is in {region}: "
            f"encrypt it with a key of {region}."
        )


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    encrypted = prop(args.props, "storageEncrypted")
    key = prop(args.props, "kmsKeyId")
    if args.resource_type == INSTANCE and is_replica(args.props):
        if is_false(encrypted):
            report_violation("storageEncrypted is false on a read replica.")
        source = prop(args.props, "replicateSourceDb")
        if isinstance(source, str) and source.startswith("arn:") and not is_unknown(source):
            _check_key(key, report_violation)
        _check_key_region(args, key, report_violation)
        return
    if not is_unknown(encrypted) and not is_true(encrypted):
        report_violation("storageEncrypted must be true.")
        return
    _check_key(key, report_violation)
    _check_key_region(args, key, report_violation)


POLICY = resource_policy(
    name="rds-encrypted-with-cmk",
    description=(
        "Database storage is encrypted at rest with a customer managed KMS key "
        "[AWS FSBP RDS.3; CKV_AWS_16]"
    ),
    types=(INSTANCE, CLUSTER),
    validate=_validate,
)
