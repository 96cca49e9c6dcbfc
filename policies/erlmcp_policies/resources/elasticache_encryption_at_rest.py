"""elasticache-encryption-at-rest: cache data and snapshots are encrypted on disk."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_true, is_unknown, prop, resource_policy
from erlmcp_policies.resources._elasticache import REPLICATION_GROUP, is_global_secondary


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if is_global_secondary(args.props):
        return
    enabled = prop(args.props, "atRestEncryptionEnabled")
    if not is_unknown(enabled) and not is_true(enabled):
        report_violation("atRestEncryptionEnabled must be true.")


POLICY = resource_policy(
    name="elasticache-encryption-at-rest",
    description=(
        "Cache data is encrypted at rest; a Global Datastore secondary inherits it from its "
        "primary, which is judged instead [AWS FSBP ElastiCache.4; CKV_AWS_29]"
    ),
    types=(REPLICATION_GROUP,),
    validate=_validate,
)
