"""dns-no-traffic-to-empty-regions: no latency record routes users to a region with no pods.

Follows each latency record to the pods that would answer it (workloads.py: alias -> load
balancer Service -> selected StatefulSets/Deployments; else the record's region). A count that
depends on a value not known yet is not judged, nor is the record of a failed-over primary
(`failed_over`): its release is stopped on purpose and its failover record serves its users from
the standby; nor that of a primary whose data is being restored to a point in time
(`restoring`, docs/restore.md): its writes are stopped on purpose, and Route 53 answers its users
from the next-nearest healthy region until the restored database serves.
"""

from __future__ import annotations

from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from erlmcp_policies.stack.dr_standby import configured_pairs, pair_list
from erlmcp_policies.stack.graph import StackIndex
from erlmcp_policies.stack.workloads import latency_records, target_of

NAME = "dns-no-traffic-to-empty-regions"


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    minimum = int(config.get("min_pods", 1))
    stopped = {
        p.primary for key in ("failed_over", "restoring") for p in configured_pairs(config, key)
    }
    index = StackIndex(args.resources)
    for record in latency_records(index):
        if record.region in stopped:
            continue
        target = target_of(index, record)
        if isinstance(target.pods, int) and target.pods < minimum:
            report_violation(
                f"Latency record {record.resource.name!r} sends traffic to {record.region}, but "
                f"{target.describe()} (at least {minimum} required).",
                record.resource.urn,
            )


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "No latency record sends users to a region running no erlmcp pods: Route 53 would "
        "answer with a load balancer that has nothing behind it [erlmcp]"
    ),
    validate=validate,
    config_schema=PolicyConfigSchema(
        properties={
            "min_pods": {
                "type": "integer",
                "minimum": 1,
                "description": "Fewest pods a latency record's target must run",
                "default": 1,
            },
            "failed_over": pair_list(
                "DR pairs in failover: the primary's release is stopped on purpose (its database "
                "is stale) and its failover record sends its users to the standby"
            ),
            "restoring": pair_list(
                "DR pairs whose primary's data is being restored to a point in time: its writes "
                "are stopped on purpose until the restored database serves"
            ),
        }
    ),
)
