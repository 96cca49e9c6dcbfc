"""elasticache-encryption-in-transit: clients reach the cache only over TLS."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_true, is_unknown, prop, resource_policy
from erlmcp_policies.resources._elasticache import REPLICATION_GROUP, is_global_secondary


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if is_global_secondary(args.props):
        return
    enabled = prop(args.props, "transitEncryptionEnabled")
    if not is_unknown(enabled) and not is_true(enabled):
        report_violation("transitEncryptionEnabled must be true.")
        return
    mode = prop(args.props, "transitEncryptionMode")
    if mode not in (None, "required") and not is_unknown(mode):
        report_violation(
            f"transitEncryptionMode is {mode!r}; 'required' refuses clients without TLS."
        )


POLICY = resource_policy(
    name="elasticache-encryption-in-transit",
    description=(
        "Cache traffic is encrypted in transit (TLS required); a Global Datastore secondary "
        "inherits it from its primary, which is judged instead [AWS FSBP ElastiCache.5; CKV_AWS_30]"
    ),
    types=(REPLICATION_GROUP,),
    validate=_validate,
)
