"""rds-enhanced-monitoring: database hosts report OS metrics (Enhanced Monitoring).

Every RDS instance and Aurora cluster instance samples its host at least every 60 s
(`monitoringInterval` 1-60; 0 is off) as a monitoring role (`monitoringRoleArn`). Without it a
database that is slow because of its host (CPU steal, memory pressure, I/O waits) shows nothing
that says so, which is exactly what a failover decision needs to know.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import (
    config_value,
    has_value,
    is_unknown,
    prop,
    resource_policy,
    schema,
)
from erlmcp_policies.resources._rds import CLUSTER_INSTANCE, INSTANCE


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    interval = prop(args.props, "monitoringInterval")
    role = prop(args.props, "monitoringRoleArn")
    if is_unknown(interval) or is_unknown(role):
        return
    longest = int(config_value(args, "max_monitoring_interval_seconds"))
    if not isinstance(interval, int | float) or interval <= 0:
        report_violation(
            "Enhanced Monitoring is off (monitoringInterval is not set or 0); "
            f"sample the host every {longest} s or less."
        )
    elif interval > longest:
        report_violation(f"monitoringInterval {interval:g} s is longer than {longest} s.")
    elif not has_value(role):
        report_violation("monitoringRoleArn is not set: RDS needs a role to publish the metrics.")


POLICY = resource_policy(
    name="rds-enhanced-monitoring",
    description=(
        "Database hosts report OS metrics through Enhanced Monitoring [AWS FSBP RDS.6; CKV_AWS_118]"
    ),
    types=(INSTANCE, CLUSTER_INSTANCE),
    validate=_validate,
    config_schema=schema("max_monitoring_interval_seconds"),
)
