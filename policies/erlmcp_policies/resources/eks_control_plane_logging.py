"""eks-control-plane-logging: all five control-plane log types go to CloudWatch."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_unknown, items, prop, resource_policy
from erlmcp_policies.resources._eks import CLUSTER

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    enabled = prop(args.props, "enabledClusterLogTypes")
    if is_unknown(enabled):
        return
    listed = list(items(enabled))
    if any(is_unknown(t) for t in listed):
        return
    missing = [t for t in LOG_TYPES if t not in listed]
    if missing:
        report_violation(f"enabledClusterLogTypes lacks {', '.join(missing)}.")


POLICY = resource_policy(
    name="eks-control-plane-logging",
    description=(
        "Every control-plane action is logged: api, audit, authenticator, controllerManager and "
        "scheduler logs are on [AWS FSBP EKS.8; CKV_AWS_37]"
    ),
    types=(CLUSTER,),
    validate=_validate,
)
