"""rds-not-public: no database instance gets a public address."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_true, prop, resource_policy
from erlmcp_policies.resources._rds import CLUSTER_INSTANCE, INSTANCE


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if is_true(prop(args.props, "publiclyAccessible")):
        report_violation("publiclyAccessible is true; databases are reachable only from the VPC.")


POLICY = resource_policy(
    name="rds-not-public",
    description=(
        "Databases are never reachable from the internet: publiclyAccessible is false "
        "[AWS FSBP RDS.2; CKV_AWS_17]"
    ),
    types=(INSTANCE, CLUSTER_INSTANCE),
    validate=_validate,
)
