"""eks-endpoint-not-open: the API endpoint is private, or public only to listed CIDRs.

AWS makes the endpoint public when endpointPublicAccess is omitted, and opens it to 0.0.0.0/0
when publicAccessCidrs is omitted; both defaults fail here. So does a list whose ranges together
open more than one /8 (`0.0.0.0/1` plus `128.0.0.0/1` is the internet in two lines), the bound
the config model puts on `apiAccessCidrs` (regions/config/values.py, `_api_access_bounded`):
the pack also judges clusters that code, not the stack file, gives an allowlist. The ranges are
merged first (`ipaddress.collapse_addresses`), so overlaps count once; each address family is
counted on its own.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_false, is_unknown, items, prop, resource_policy
from erlmcp_policies.resources._eks import CLUSTER

OPEN = frozenset({"0.0.0.0/0", "::/0"})
# The most addresses an allowlist may open, per address family: one IPv4 /8. VPN and CI egress
# ranges are /32 to /24; anything near this is the internet with extra steps.
MAX_OPEN_ADDRESSES = 2**24

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(cidrs: Iterable[object]) -> list[Network]:
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(str(cidr)))
        except ValueError:
            # Not a network address: the provider refuses it in `Check` (terraform-provider-aws
            # internal/service/eks/cluster.go:286-293, `verify.ValidCIDRNetworkAddress`).
            continue
    return networks


def _too_wide(cidrs: Iterable[object]) -> tuple[int, list[Network]] | None:
    """The addresses opened and the merged ranges, for the first family over the bound."""
    networks = _networks(cidrs)
    for version in (4, 6):
        merged = list(ipaddress.collapse_addresses(n for n in networks if n.version == version))
        opened = sum(n.num_addresses for n in merged)
        if opened > MAX_OPEN_ADDRESSES:
            return opened, merged
    return None


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
        return
    too_wide = _too_wide(listed)
    if too_wide is not None:
        count, merged = too_wide
        report_violation(
            f"publicAccessCidrs together open the API endpoint to {count:,} addresses "
            f"({', '.join(map(str, merged))}); at most {MAX_OPEN_ADDRESSES:,} (one /8) may be "
            "listed: list the VPN and CI egress ranges."
        )


POLICY = resource_policy(
    name="eks-endpoint-not-open",
    description=(
        "The Kubernetes API is not open to the internet: the public endpoint is off or limited "
        "to listed CIDRs [AWS FSBP EKS.1 (relaxed to allow listed CIDRs); CKV_AWS_38]"
    ),
    types=(CLUSTER,),
    validate=_validate,
)
