"""elasticache-snapshot-retention: caches keep automatic snapshots for at least N days (1)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import config_value, is_unknown, prop, resource_policy, schema
from erlmcp_policies.resources._elasticache import REPLICATION_GROUP


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    minimum = int(config_value(args, "min_snapshot_retention_days"))
    days = prop(args.props, "snapshotRetentionLimit")
    if is_unknown(days):
        return
    if not isinstance(days, int | float):
        report_violation(
            f"snapshotRetentionLimit is not set (no automatic snapshots); keep at least {minimum} "
            "day(s)."
        )
    elif days < minimum:
        report_violation(f"snapshotRetentionLimit is {days:g} day(s); keep at least {minimum}.")


POLICY = resource_policy(
    name="elasticache-snapshot-retention",
    description=(
        "Caches take automatic snapshots and keep them long enough to restore from "
        "[AWS FSBP ElastiCache.1; CKV_AWS_134]"
    ),
    types=(REPLICATION_GROUP,),
    validate=_validate,
    config_schema=schema("min_snapshot_retention_days"),
)
