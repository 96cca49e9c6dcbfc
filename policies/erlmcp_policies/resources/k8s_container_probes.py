"""k8s-container-probes: every (non-init) container has liveness and readiness probes."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import has_value, prop, resource_policy
from erlmcp_policies.resources._k8s import WORKLOADS, containers, pod_spec


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    pod = pod_spec(args.resource_type, args.props)
    for container in containers(pod, include_init=False):
        missing = [
            probe
            for probe in ("livenessProbe", "readinessProbe")
            if not has_value(prop(container.spec, probe))
        ]
        if missing:
            report_violation(f"{container.label} has no {' and no '.join(missing)}.")


POLICY = resource_policy(
    name="k8s-container-probes",
    description=(
        "Kubernetes restarts hung containers and routes only to ready ones: every container has "
        "liveness and readiness probes [CKV_K8S_8, CKV_K8S_9]"
    ),
    types=WORKLOADS,
    validate=_validate,
)
