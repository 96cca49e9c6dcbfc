"""Whether a pulumi-kubernetes provider configuration change replaces what the provider manages:
its `DiffConfig`, read offline.

The engine asks it in two places, and both end in replacing every Kubernetes object concerned:
- a resource that moves to another provider (pulumi/pulumi pkg/resource/deploy/step_generator.go,
  `providerChanged`, lines 2798-2880 as of 1b594989): unless the new provider is an alias of the
  old one, the *new* provider's DiffConfig compares the old provider's state (its inputs:
  registry.go `Create`, ~line 975, stores them as its outputs) with the new one's inputs,
  and a reported replacement replaces the resource (`diff`, lines 2919-2926: ReplaceKeys
  "provider");
- a provider whose own inputs change (pkg/resource/deploy/providers/registry.go `Diff`, line
  732, calls DiffConfig): replaced, it gets a new id, so every resource on it sees a changed
  provider reference and goes through `providerChanged` as above.

pulumi-kubernetes v4.32.0-27-g94977969d provider/pkg/provider/provider.go `DiffConfig` (lines
453-569) replaces when:
- `clusterIdentifier` changes between two set values; set and unchanged, it replaces nothing
  whatever else changed (this is how a program says "same cluster");
- `kubeconfig`, `context` or `cluster` is unknown (computed) in the new inputs;
- the active cluster (provider/pkg/provider/util.go `getActiveClusterFromConfig`, lines 201-226:
  the current context, or the `context` override; its cluster, or the `cluster` override)
  differs, counting only the keys among `kubeconfig`, `context` and `cluster` that changed;
- `renderYamlToDirectory` changes.
Identical inputs are no change at all. A secret the plan redacts, or a kubeconfig that does not
parse, cannot be compared offline: counted as a replacement (the safe side).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

CLUSTER_KEYS = ("kubeconfig", "context", "cluster")
CLUSTER_IDENTIFIER = "clusterIdentifier"
RENDER_DIRECTORY = "renderYamlToDirectory"
# What the offline plan holds where the real value is not known: the SDK's unknown sentinel
# (pulumi/runtime/rpc.py UNKNOWN) and the plan's redaction of a secret (planning/plan.py).
NOT_KNOWN = frozenset({"04da6b54-80e4-46f7-96ec-b56ff0331ba9", "[secret]"})


class _CannotTell(Exception):
    """A kubeconfig the plan cannot read."""


def config_replaces(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """The provider inputs whose change replaces everything the provider manages ([] when
    nothing is replaced), as DiffConfig(olds, news) reports them."""
    if dict(olds) == dict(news):
        return []
    old_id, new_id = olds.get(CLUSTER_IDENTIFIER), news.get(CLUSTER_IDENTIFIER)
    if new_id is not None and old_id == new_id:
        return []
    replaces = [CLUSTER_IDENTIFIER] if None not in (old_id, new_id) else []
    unknown = [key for key in CLUSTER_KEYS if _not_known(news.get(key))]
    if unknown:
        return [*replaces, unknown[0]]
    changed = {key for key in olds.keys() | news.keys() if olds.get(key) != news.get(key)}
    if RENDER_DIRECTORY in changed:
        replaces.append(RENDER_DIRECTORY)
    try:
        old_cluster, new_cluster = _active_cluster(olds), _active_cluster(news)
    except _CannotTell:
        return sorted({*replaces, "kubeconfig"})
    if old_cluster is not None and new_cluster is not None and old_cluster != new_cluster:
        replaces += [key for key in CLUSTER_KEYS if key in changed]
    return sorted(set(replaces))


def _not_known(value: Any) -> bool:
    return isinstance(value, str) and value in NOT_KNOWN


def _active_cluster(inputs: Mapping[str, Any]) -> dict[str, Any] | None:
    """The cluster entry the provider talks to; None when the kubeconfig names none."""
    kubeconfig = inputs.get("kubeconfig")
    if kubeconfig is None:
        return None
    if _not_known(kubeconfig):
        raise _CannotTell
    try:
        config = yaml.safe_load(kubeconfig) if isinstance(kubeconfig, str) else kubeconfig
        clusters = {c["name"]: c.get("cluster") or {} for c in config.get("clusters") or []}
        contexts = {c["name"]: c.get("context") or {} for c in config.get("contexts") or []}
    except (yaml.YAMLError, AttributeError, KeyError, TypeError) as error:
        raise _CannotTell from error
    context = contexts.get(inputs.get("context") or config.get("current-context"))
    if context is None:
        return None
    return clusters.get(inputs.get("cluster") or context.get("cluster"))
