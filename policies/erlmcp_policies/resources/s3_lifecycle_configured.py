"""s3-lifecycle-configured: a lifecycle configuration has at least one enabled rule."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_unknown, items, prop, resource_policy
from erlmcp_policies.resources._s3 import LIFECYCLE_TYPES


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    rules = prop(args.props, "rules")
    if is_unknown(rules):
        return
    statuses = [prop(rule, "status") for rule in items(rules)]
    if any(is_unknown(s) or s == "Enabled" for s in statuses):
        return
    if not statuses:
        report_violation("the lifecycle configuration has no rules.")
    else:
        report_violation("no lifecycle rule is 'Enabled'; objects would never expire.")


POLICY = resource_policy(
    name="s3-lifecycle-configured",
    description=(
        "Backups expire on schedule: a bucket lifecycle configuration has an enabled rule "
        "[AWS FSBP S3.13; CKV2_AWS_61]"
    ),
    types=LIFECYCLE_TYPES,
    validate=_validate,
)
