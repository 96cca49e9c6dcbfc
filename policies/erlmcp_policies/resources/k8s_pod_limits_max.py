"""k8s-pod-limits-max: a pod's limits stay within `max_pod_cpu` (4) and `max_pod_memory` (8Gi).

The pod's effective limit is what the scheduler uses: the larger of the sum over its containers
and the largest init container. Containers without a limit are k8s-container-resources' concern.
"""

from __future__ import annotations

from decimal import Decimal

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import (
    config_value,
    format_quantity,
    is_unknown,
    parse_quantity,
    prop,
    resource_policy,
    schema,
)
from erlmcp_policies.resources._k8s import WORKLOADS, Container, containers, pod_spec


def _effective_limit(
    found: list[Container], what: str, report_violation: ReportViolation
) -> Decimal | None:
    """The pod's effective limit of `what`; None when some limit is unknown or malformed."""
    total, largest_init = Decimal(0), Decimal(0)
    for container in found:
        raw = prop(container.spec, "resources", "limits", what)
        if raw is None:
            continue
        if is_unknown(raw):
            return None
        value = parse_quantity(raw)
        if value is None:
            report_violation(f"{container.label} limits.{what} {raw!r} is not a quantity.")
            return None
        if container.init:
            largest_init = max(largest_init, value)
        else:
            total += value
    return max(total, largest_init)


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    found = list(containers(pod_spec(args.resource_type, args.props)))
    if not found:
        return
    for what, key, memory in (("cpu", "max_pod_cpu", False), ("memory", "max_pod_memory", True)):
        maximum_text = str(config_value(args, key))
        maximum = parse_quantity(maximum_text)
        if maximum is None:
            report_violation(f"{key} {maximum_text!r} is not a Kubernetes quantity.")
            continue
        limit = _effective_limit(found, what, report_violation)
        if limit is not None and limit > maximum:
            report_violation(
                f"the pod's {what} limit is {format_quantity(limit, memory)}; at most "
                f"{maximum_text} per pod."
            )


POLICY = resource_policy(
    name="k8s-pod-limits-max",
    description=(
        "No pod may claim more than 4 CPU and 8 GiB (runbook limits, configurable) [erlmcp]"
    ),
    types=WORKLOADS,
    validate=_validate,
    config_schema=schema("max_pod_cpu", "max_pod_memory"),
)
