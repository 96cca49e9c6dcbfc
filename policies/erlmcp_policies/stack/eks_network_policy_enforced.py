"""eks-network-policy-enforced: a cluster whose workloads carry NetworkPolicies enforces them.

EKS's VPC CNI ignores Kubernetes NetworkPolicies unless its add-on runs with
`enableNetworkPolicy: "true"` (EKS user guide, "Configure your cluster for Kubernetes network
policies"). Without it every default-deny policy the stack declares is decoration: pods reach
each other, the metadata service and the internet as if none existed.
"""

from __future__ import annotations

import json

from pulumi_policy import ReportViolation, StackValidationArgs, StackValidationPolicy

from erlmcp_policies.stack.graph import UNKNOWN, StackIndex, prop

NAME = "eks-network-policy-enforced"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def _enforces(addon) -> bool | None:
    """Whether a vpc-cni add-on turns enforcement on; None when not known yet."""
    values = prop(addon.props, "configurationValues")
    if values is UNKNOWN:
        return None
    try:
        return json.loads(values or "{}").get("enableNetworkPolicy") == "true"
    except (TypeError, ValueError):
        return False


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    index = StackIndex(args.resources)
    reported: set[str] = set()
    for policy in index.of_type(NETWORK_POLICY):
        cluster = index.cluster_of(policy)
        if cluster is None or cluster.urn in reported:
            continue
        cni = index.addons_of(cluster).get("vpc-cni")
        if cni is not None and _enforces(cni) is not False:
            continue
        reported.add(cluster.urn)
        why = (
            "has no vpc-cni add-on (aws.eks.Addon)"
            if cni is None
            else 'runs vpc-cni without configuration {"enableNetworkPolicy": "true"}'
        )
        report_violation(
            f"EKS cluster {prop(cluster.props, 'name')!r} {why}, so the NetworkPolicies of its "
            f"workloads (such as {prop(policy.props, 'metadata', 'name')!r}) are not enforced.",
            cluster.urn,
        )


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "A cluster whose workloads carry NetworkPolicies enforces them (VPC CNI network policy "
        "on) [NIST SC-7]"
    ),
    validate=validate,
)
