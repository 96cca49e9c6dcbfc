"""elasticache-auth-token: clients must authenticate (AUTH token, or RBAC user groups).

The analyzer sees the token's plain value (secrets are unwrapped for policies); during preview a
generated token is unknown, which counts as set.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import has_value, prop, resource_policy
from erlmcp_policies.resources._elasticache import REPLICATION_GROUP


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if has_value(prop(args.props, "authToken")) or has_value(prop(args.props, "userGroupIds")):
        return
    report_violation(
        "neither authToken nor userGroupIds is set: any client in the network could connect."
    )


POLICY = resource_policy(
    name="elasticache-auth-token",
    description=(
        "Cache clients authenticate with an AUTH token (or RBAC user groups) "
        "[AWS FSBP ElastiCache.6; CKV_AWS_31]"
    ),
    types=(REPLICATION_GROUP,),
    validate=_validate,
)
