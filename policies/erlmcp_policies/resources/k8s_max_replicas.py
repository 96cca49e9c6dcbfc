"""k8s-max-replicas: no workload or autoscaler asks for more than `max_replicas` (100) pods."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import config_value, is_unknown, prop, resource_policy, schema
from erlmcp_policies.resources._k8s import AUTOSCALERS, SCALABLE


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    maximum = int(config_value(args, "max_replicas"))
    field = "maxReplicas" if args.resource_type in AUTOSCALERS else "replicas"
    replicas = prop(args.props, "spec", field)
    if replicas is None or is_unknown(replicas):
        return
    if not isinstance(replicas, int | float) or isinstance(replicas, bool):
        report_violation(f"spec.{field} {replicas!r} is not a number.")
    elif replicas > maximum:
        report_violation(f"spec.{field} is {replicas:g}; at most {maximum} pods per workload.")


POLICY = resource_policy(
    name="k8s-max-replicas",
    description=(
        "No workload or autoscaler asks for more than 100 pods (runbook limit per region, "
        "configurable) [erlmcp]"
    ),
    types=(*SCALABLE, *AUTOSCALERS),
    validate=_validate,
    config_schema=schema("max_replicas"),
)
