"""EKS add-ons (components/eks_addons.py, through EksCluster): pinned versions, network-policy
enforcement in the VPC CNI, node add-ons before the nodes, the rest after them, and every
Kubernetes object after all of them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.test_eks import NAME, REGION, build

ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
VERSIONS = {
    "vpc-cni": "v1.20.1-eksbuild.3",
    "kube-proxy": "v1.30.14-eksbuild.2",
    "coredns": "v1.11.4-eksbuild.2",
    "metrics-server": "v0.8.0-eksbuild.2",
}


@pytest.fixture
def stack(record):
    return build(record, addons=VERSIONS)


def addons(stack) -> dict[str, Any]:
    return {a.plain_inputs["addonName"]: a for a in stack.of_type(ADDON)}


def test_each_add_on_at_its_pinned_version_taking_over_what_eks_installed(stack):
    found = addons(stack)
    assert {n: a.plain_inputs["addonVersion"] for n, a in found.items()} == VERSIONS
    for addon in found.values():
        inputs = addon.plain_inputs
        assert inputs["region"] == REGION
        assert (inputs["resolveConflictsOnCreate"], inputs["resolveConflictsOnUpdate"]) == (
            "OVERWRITE",
            "OVERWRITE",
        )


def test_the_cni_enforces_network_policies(stack):
    cni = addons(stack)["vpc-cni"].plain_inputs
    assert json.loads(cni["configurationValues"]) == {"enableNetworkPolicy": "true"}
    assert not any(
        "configurationValues" in a.plain_inputs for n, a in addons(stack).items() if n != "vpc-cni"
    )


def test_node_add_ons_come_before_the_nodes_and_the_others_after(stack):
    nodes = stack.one(NODE_GROUP, f"{NAME}-nodes")
    found = addons(stack)
    for name in ("vpc-cni", "kube-proxy"):
        assert found[name].urn in nodes.dependencies
    for name in ("coredns", "metrics-server"):
        assert nodes.urn in found[name].dependencies


def test_kubernetes_objects_wait_for_every_add_on(stack):
    provider = stack.one("pulumi:providers:kubernetes", f"{NAME}-k8s")
    assert {a.urn for a in stack.of_type(ADDON)} <= set(provider.dependencies)


def test_a_bad_version_is_refused_before_anything_registers(record):
    with pytest.raises(ValueError, match=r"add-on coredns version 'latest' is not an EKS add-on"):
        build(record, addons={**VERSIONS, "coredns": "latest"})
