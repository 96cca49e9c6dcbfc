"""rds-backup-retention: automated backups are kept long enough to restore from.

Primaries and Aurora clusters keep at least `min_backup_retention_days` (default 7, the runbook's
incremental window); read replicas at least `min_replica_backup_retention_days` (default 1), so a
promoted standby starts with backups running.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import config_value, is_unknown, prop, resource_policy, schema
from erlmcp_policies.resources._rds import CLUSTER, INSTANCE, is_replica


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    replica = args.resource_type == INSTANCE and is_replica(args.props)
    key = "min_replica_backup_retention_days" if replica else "min_backup_retention_days"
    minimum = int(config_value(args, key))
    days = prop(args.props, "backupRetentionPeriod")
    if is_unknown(days):
        return
    what = "read replica" if replica else "database"
    if days is None:
        if minimum > 0:
            report_violation(
                f"backupRetentionPeriod is not set; this {what} must keep at least {minimum} "
                "day(s) of automated backups."
            )
        return
    if not isinstance(days, int | float) or days < minimum:
        report_violation(
            f"backupRetentionPeriod is {days:g} day(s); this {what} must keep at least {minimum}."
            if isinstance(days, int | float)
            else f"backupRetentionPeriod {days!r} is not a number of days."
        )


POLICY = resource_policy(
    name="rds-backup-retention",
    description=(
        "Automated database backups are kept long enough to restore from "
        "[AWS FSBP RDS.11; CKV_AWS_133]"
    ),
    types=(INSTANCE, CLUSTER),
    validate=_validate,
    config_schema=schema("min_backup_retention_days", "min_replica_backup_retention_days"),
)
