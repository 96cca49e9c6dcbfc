"""k8s-run-as-non-root: no container runs as root.

Effective settings: a container's securityContext overrides the pod's. runAsNonRoot must be true
and runAsUser, when set, must not be 0.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_true, is_unknown, prop, resource_policy
from erlmcp_policies.resources._k8s import WORKLOADS, containers, pod_spec


def _effective(container: Any, pod: Any, key: str) -> Any:
    own = prop(container, "securityContext", key)
    return prop(pod, "securityContext", key) if own is None else own


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    pod = pod_spec(args.resource_type, args.props)
    for container in containers(pod):
        non_root = _effective(container.spec, pod, "runAsNonRoot")
        user = _effective(container.spec, pod, "runAsUser")
        problems = []
        if not is_unknown(non_root) and not is_true(non_root):
            problems.append("runAsNonRoot is not true")
        if not is_unknown(user) and user is not None and user == 0:
            problems.append("runAsUser is 0 (root)")
        if problems:
            report_violation(f"{container.label}: {'; '.join(problems)}.")


POLICY = resource_policy(
    name="k8s-run-as-non-root",
    description=(
        "Containers never run as root: runAsNonRoot is true and runAsUser is not 0 [CKV_K8S_23]"
    ),
    types=WORKLOADS,
    validate=_validate,
)
