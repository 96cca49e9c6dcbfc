"""rds-iam-authentication (advisory): databases accept IAM authentication tokens."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_true, is_unknown, prop, resource_policy
from erlmcp_policies.resources._rds import CLUSTER, INSTANCE


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    enabled = prop(args.props, "iamDatabaseAuthenticationEnabled")
    if not is_unknown(enabled) and not is_true(enabled):
        report_violation("iamDatabaseAuthenticationEnabled is off; prefer short-lived IAM tokens.")


POLICY = resource_policy(
    name="rds-iam-authentication",
    description=(
        "Database logins can use short-lived IAM tokens instead of static passwords "
        "[AWS FSBP RDS.10, RDS.12; CKV_AWS_161, CKV_AWS_162]"
    ),
    types=(INSTANCE, CLUSTER),
    validate=_validate,
    enforcement_level=EnforcementLevel.ADVISORY,
)
