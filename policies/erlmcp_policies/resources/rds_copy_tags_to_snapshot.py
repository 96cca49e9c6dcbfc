"""rds-copy-tags-to-snapshot: snapshots carry the database's tags (owner, cost, environment)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_true, is_unknown, prop, resource_policy
from erlmcp_policies.resources._rds import CLUSTER, INSTANCE


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    copy_tags = prop(args.props, "copyTagsToSnapshot")
    if not is_unknown(copy_tags) and not is_true(copy_tags):
        report_violation("copyTagsToSnapshot must be true.")


POLICY = resource_policy(
    name="rds-copy-tags-to-snapshot",
    description=(
        "Database snapshots keep the owner and cost tags: copyTagsToSnapshot is on "
        "[AWS FSBP RDS.17, RDS.16; CKV2_AWS_60, CKV_AWS_313]"
    ),
    types=(INSTANCE, CLUSTER),
    validate=_validate,
)
