"""k8s-container-resources: every container requests and limits CPU and memory."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import has_value, prop, resource_policy
from erlmcp_policies.resources._k8s import WORKLOADS, containers, pod_spec

FIELDS = (("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory"))


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for container in containers(pod_spec(args.resource_type, args.props)):
        missing = [
            f"{kind}.{what}"
            for kind, what in FIELDS
            if not has_value(prop(container.spec, "resources", kind, what))
        ]
        if missing:
            report_violation(f"{container.label} sets no {', '.join(missing)}.")


POLICY = resource_policy(
    name="k8s-container-resources",
    description=(
        "Every container requests and limits CPU and memory, so the scheduler and the limits "
        "below hold [CKV_K8S_10, CKV_K8S_11, CKV_K8S_12, CKV_K8S_13]"
    ),
    types=WORKLOADS,
    validate=_validate,
)
