"""s3-replication-metrics-on: every enabled replication rule publishes its replication metrics.

S3 publishes `ReplicationLatency`, `OperationsFailedReplication` and the pending counts only for
rules whose destination has `metrics { status = "Enabled" }` (S3 user guide, "Monitoring progress
with replication metrics"); without them the alarms on a failing or slow replication read
nothing and never fire. Rules that are themselves disabled are not judged.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_unknown, items, prop, resource_policy
from erlmcp_policies.resources._s3 import REPLICATION_TYPES


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for index, rule in enumerate(items(prop(args.props, "rules"))):
        status = prop(rule, "status")
        if is_unknown(status) or status != "Enabled":
            continue
        metrics = prop(rule, "destination", "metrics", "status")
        if is_unknown(metrics) or metrics == "Enabled":
            continue
        label = prop(rule, "id")
        report_violation(
            f"rules[{index}] ({label if isinstance(label, str) else 'no id'}) replicates without "
            f"metrics (destination.metrics.status is {metrics!r}): its replication latency and "
            "failures reach no alarm; set it to 'Enabled'."
        )


POLICY = resource_policy(
    name="s3-replication-metrics-on",
    description=(
        "A replication that fails or falls behind must be seen: every enabled replication rule "
        "publishes replication metrics (destination.metrics Enabled) [erlmcp]"
    ),
    types=REPLICATION_TYPES,
    validate=_validate,
)
