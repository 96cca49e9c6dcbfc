"""Kubernetes objects moved to another cluster are replaced (planning/kubernetes_config.py, the
provider's DiffConfig read offline; planning/diff.py, where the engine asks it): a move to
another cluster's provider, or a provider pointed at another cluster, replaces every object
concerned; a move that keeps the cluster replaces nothing."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from planning.diff import diff_plans
from planning.kubernetes_config import config_replaces
from planning.plan import plan_resources

PROVIDER = "pulumi:providers:kubernetes"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the SDK's unknown value, as a plan holds it


@pytest.fixture(scope="module")
def prod_resources(prod_stack) -> dict[str, Any]:
    return {"resources": plan_resources(prod_stack)}


def provider_of(plan: dict[str, Any], region: str) -> dict[str, Any]:
    return next(
        r for r in plan["resources"] if r["type"] == PROVIDER and r["name"] == f"{region}-eks-k8s"
    )


def kubeconfig(plan: dict[str, Any], region: str) -> dict[str, Any]:
    return json.loads(provider_of(plan, region)["inputs"]["kubeconfig"])


def inputs(config: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"kubeconfig": json.dumps(config), **more}


# --- DiffConfig --------------------------------------------------------------------------------


def test_another_cluster_replaces_and_the_same_cluster_does_not(prod_resources):
    east, west = kubeconfig(prod_resources, "us-east-1"), kubeconfig(prod_resources, "us-west-2")
    assert config_replaces(inputs(east), inputs(east)) == []
    assert config_replaces(inputs(east), inputs(west)) == ["kubeconfig"]
    # Other credentials for the same cluster: no replacement.
    relogged = copy.deepcopy(east)
    relogged["users"][0]["user"] = {"token": "another"}
    assert config_replaces(inputs(east), inputs(relogged)) == []
    # Another provider setting changes nothing either.
    assert config_replaces(inputs(east), inputs(east, enableServerSideApply="true")) == []


def test_the_context_and_cluster_overrides_pick_the_active_cluster(prod_resources):
    east, west = kubeconfig(prod_resources, "us-east-1"), kubeconfig(prod_resources, "us-west-2")
    both = copy.deepcopy(east)
    both["clusters"] += west["clusters"]
    both["contexts"] += west["contexts"]
    west_context = west["contexts"][0]["name"]
    assert config_replaces(inputs(both), inputs(both, context=west_context)) == ["context"]
    west_cluster = west["clusters"][0]["name"]
    assert config_replaces(inputs(both), inputs(both, cluster=west_cluster)) == ["cluster"]


def test_a_cluster_identifier_decides_when_it_is_set(prod_resources):
    east, west = kubeconfig(prod_resources, "us-east-1"), kubeconfig(prod_resources, "us-west-2")
    same_id = config_replaces(
        inputs(east, clusterIdentifier="a"), inputs(west, clusterIdentifier="a")
    )
    assert same_id == []  # the program says: the same cluster, whatever the kubeconfig
    assert config_replaces(
        inputs(east, clusterIdentifier="a"), inputs(east, clusterIdentifier="b")
    ) == ["clusterIdentifier"]
    # Set for the first time: the kubeconfig decides.
    assert config_replaces(inputs(east), inputs(west, clusterIdentifier="a")) == ["kubeconfig"]


@pytest.mark.parametrize(
    "unreadable",
    [UNKNOWN, "[secret]", "clusters: [oops"],
    ids=["unknown", "redacted", "not-yaml"],
)
def test_a_kubeconfig_the_plan_cannot_read_counts_as_another_cluster(prod_resources, unreadable):
    east = inputs(kubeconfig(prod_resources, "us-east-1"))
    assert config_replaces(east, {"kubeconfig": unreadable}) == ["kubeconfig"]


def test_an_unknown_context_or_cluster_override_counts_as_another_cluster(prod_resources):
    east = inputs(kubeconfig(prod_resources, "us-east-1"))
    for key in ("context", "cluster"):
        assert config_replaces(east, {**east, key: UNKNOWN}) == [key]


def test_rendering_to_another_directory_replaces():
    assert config_replaces({"renderYamlToDirectory": "a"}, {"renderYamlToDirectory": "b"}) == [
        "renderYamlToDirectory"
    ]


# --- whole plans ---------------------------------------------------------------------------------


def _statefulset(plan: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in plan["resources"] if r["type"] == STATEFULSET and r["name"] == name)


def _reference(provider: dict[str, Any]) -> str:
    return f"{provider['urn']}::{provider['name']}-id"


def test_moving_a_release_to_another_clusters_provider_replaces_it(prod_resources):
    moved = copy.deepcopy(prod_resources)
    statefulset = _statefulset(moved, "us-east-1-erlmcp-statefulset")
    statefulset["provider"] = _reference(provider_of(moved, "us-west-2"))

    diff = diff_plans(prod_resources, moved)

    [replaced] = diff["replaced"]
    assert (replaced["urn"], replaced["because"]) == (statefulset["urn"], ["provider"])
    [entry] = diff["changed"]
    assert entry["provider"]["replaces"] and not entry["provider"]["aliased"]


def test_moving_to_another_provider_of_the_same_cluster_replaces_nothing(prod_resources):
    moved = copy.deepcopy(prod_resources)
    twin = {**copy.deepcopy(provider_of(moved, "us-east-1")), "aliases": []}
    twin["urn"], twin["name"] = twin["urn"] + "-twin", twin["name"] + "-twin"
    moved["resources"].append(twin)
    statefulset = _statefulset(moved, "us-east-1-erlmcp-statefulset")
    statefulset["provider"] = _reference(twin)

    diff = diff_plans(prod_resources, moved)

    assert diff["replaced"] == []
    [entry] = diff["changed"]
    assert entry["provider"]["to"] == twin["urn"] and not entry["provider"]["replaces"]


def test_a_provider_pointed_at_another_cluster_replaces_everything_on_it(prod_resources):
    moved = copy.deepcopy(prod_resources)
    east = provider_of(moved, "us-east-1")
    east["inputs"]["kubeconfig"] = provider_of(moved, "us-west-2")["inputs"]["kubeconfig"]
    on_east = {
        r["urn"] for r in moved["resources"] if (r["provider"] or "").startswith(east["urn"] + "::")
    }

    diff = diff_plans(prod_resources, moved)

    replaced = {r["urn"]: r["because"] for r in diff["replaced"]}
    assert replaced.pop(east["urn"]) == ["kubeconfig"]
    assert STATEFULSET in {r["type"] for r in moved["resources"] if r["urn"] in on_east}
    assert replaced == {urn: ["provider"] for urn in on_east}
