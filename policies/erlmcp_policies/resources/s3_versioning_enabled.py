"""s3-versioning-enabled: a BucketVersioning turns versioning on (not Suspended/Disabled)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_unknown, prop, resource_policy
from erlmcp_policies.resources._s3 import VERSIONING_TYPES


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    status = prop(args.props, "versioningConfiguration", "status")
    if is_unknown(status) or status == "Enabled":
        return
    report_violation(f"versioningConfiguration.status is {status!r}; it must be 'Enabled'.")


POLICY = resource_policy(
    name="s3-versioning-enabled",
    description=(
        "Backups must survive overwrites and deletes: bucket versioning is Enabled "
        "[AWS FSBP S3.14; CKV_AWS_21]"
    ),
    types=VERSIONING_TYPES,
    validate=_validate,
)
