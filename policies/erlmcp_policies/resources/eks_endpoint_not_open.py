"""eks-endpoint-not-open: the API endpoint is private, or public only to listed CIDRs.

AWS makes the endpoint public when endpointPublicAccess is omitted, and opens it to 0.0.0.0/0
when publicAccessCidrs is omitted; both defaults fail here.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_false, is_unknown, items, prop, resource_policy
from erlmcp_policies.resources._eks import CLUSTER

OPEN = frozenset({"0.0.0.0/0", "::/0"})


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    vpc = prop(args.props, "vpcConfig")
    if is_unknown(vpc):
        return
    public = prop(vpc, "endpointPublicAccess")
    if is_unknown(public) or is_false(public):
        return
    cidrs = prop(vpc, "publicAccessCidrs")
    if is_unknown(cidrs):
        return
    listed = [c for c in items(cidrs) if not is_unknown(c)]
    if not listed:
        report_violation(
            "the public endpoint has no publicAccessCidrs, so AWS opens it to 0.0.0.0/0: set "
            "endpointPublicAccess false or list the allowed CIDRs."
        )
        return
    opened = sorted(OPEN.intersection(listed))
    if opened:
        report_violation(f"publicAccessCidrs opens the API endpoint to {', '.join(opened)}.")


POLICY = resource_policy(
    name="eks-endpoint-not-open",
    description=(
        "The Kubernetes API is not open to the internet: the public endpoint is off or limited "
        "to listed CIDRs [AWS FSBP EKS.1 (relaxed to allow listed CIDRs); CKV_AWS_38]"
    ),
    types=(CLUSTER,),
    validate=_validate,
)
