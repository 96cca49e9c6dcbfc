"""EKS add-ons as resources: the cluster's own networking and DNS, and its metrics source, at
pinned versions, so that a cluster is what its code says and an upgrade is a reviewed change.

EKS installs vpc-cni, kube-proxy and CoreDNS itself when it creates a cluster (self-managed:
nothing updates them). Managing them as `aws.eks.Addon` takes them over (`OVERWRITE` on
create: the self-managed objects are replaced by the managed ones) and keeps them at the
version given here; `OVERWRITE` on update puts back a setting someone changed by hand.

- `vpc-cni` runs with network-policy enforcement on: without `enableNetworkPolicy` the VPC CNI
  ignores Kubernetes NetworkPolicies altogether (EKS user guide, "Configure your cluster for
  Kubernetes network policies": configuration values `{"enableNetworkPolicy": "true"}`, VPC
  CNI 1.14+).
- `metrics-server` is an EKS community add-on (EKS user guide, "Community add-ons"): without a
  metrics source, HorizontalPodAutoscalers never scale.
- Node add-ons (vpc-cni, kube-proxy) are in place before the node group, so nodes join with
  them; the others need nodes to run on and come after it.

terraform-provider-aws `internal/service/eks/addon.go`: only `addon_name` and `cluster_name` are
ForceNew; a version or configuration change is an UpdateAddon in place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

# Add-ons the nodes themselves need (DaemonSets on every node).
NODE_ADDONS = ("vpc-cni", "kube-proxy")
# Settings an add-on must run with, by name.
ADDON_CONFIGURATION: dict[str, dict[str, str]] = {
    "vpc-cni": {"enableNetworkPolicy": "true"},
}
_VERSION = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")


def validate_addons(addons: Mapping[str, str]) -> None:
    for name, version in addons.items():
        if not _VERSION.match(version):
            raise ValueError(
                f"add-on {name} version {version!r} is not an EKS add-on version like "
                "'v1.20.1-eksbuild.3' (`aws eks describe-addon-versions --addon-name "
                f"{name} --kubernetes-version <version>`)"
            )


def cluster_addons(
    parent: pulumi.Resource,
    prefix: str,
    *,
    region: str,
    cluster_name: pulumi.Input[str],
    addons: Mapping[str, str],
    names: Sequence[str],
    depends_on: Sequence[pulumi.Resource] = (),
    tags: Mapping[str, str] | None = None,
) -> list[aws.eks.Addon]:
    """The add-ons of `addons` (name -> version) whose name is in `names`."""
    return [
        aws.eks.Addon(
            f"{prefix}-addon-{name}",
            region=region,
            cluster_name=cluster_name,
            addon_name=name,
            addon_version=version,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            **_configuration(name),
            tags=dict(tags or {}),
            opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
        )
        for name, version in sorted(addons.items())
        if name in names
    ]


def _configuration(name: str) -> dict[str, Any]:
    values = ADDON_CONFIGURATION.get(name)
    return {"configuration_values": json.dumps(values, sort_keys=True)} if values else {}
