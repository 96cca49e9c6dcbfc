"""elasticache-automatic-failover: a replica takes over when the primary node fails."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_true, is_unknown, prop, resource_policy
from erlmcp_policies.resources._elasticache import REPLICATION_GROUP


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    enabled = prop(args.props, "automaticFailoverEnabled")
    if not is_unknown(enabled) and not is_true(enabled):
        report_violation("automaticFailoverEnabled must be true (with at least two nodes).")


POLICY = resource_policy(
    name="elasticache-automatic-failover",
    description=(
        "A cache survives the loss of its primary node: automatic failover is on "
        "[AWS FSBP ElastiCache.3]"
    ),
    types=(REPLICATION_GROUP,),
    validate=_validate,
)
