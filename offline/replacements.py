"""Which input changes the engine carries out as a replacement (delete and create), per type.

- AWS: the attributes terraform-provider-aws marks ForceNew / RequiresReplace, read from its
  source by tools/force_new.py into offline/force_new.json (pulumi-aws is bridged from it), plus
  pulumi-aws v7's per-resource `region`.
- Kubernetes: pulumi-kubernetes' own table, `forceNew` in provider/pkg/provider/diff.go
  (pulumi/pulumi-kubernetes v4.32, lines 45-205): every object's `metadata.name` and
  `metadata.namespace`; a StatefulSet's `spec.podManagementPolicy`, `spec.revisionHistoryLimit`,
  `spec.selector`, `spec.serviceName` and `spec.volumeClaimTemplates`; a Service's
  `spec.clusterIP`. And (diff.go lines 23-35, provider.go lines 696-730) a Secret's `type`,
  `stringData` and `data`, and a ConfigMap's `data` and `binaryData`, because the provider
  treats both as immutable unless `enableSecretMutable` / `enableConfigMapMutable` is set, which
  this program does not do.
- pulumi-random: every argument of a RandomPassword (terraform-provider-random marks them all
  RequiresReplace): a new length is a new password.

A replacement of a stateful resource loses its data; offline/plan_diff.py makes that loud.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

FORCE_NEW_TABLE = Path(__file__).with_name("force_new.json")

_METADATA = ("metadata.name", "metadata.namespace")
KUBERNETES_FORCE_NEW: dict[str, tuple[str, ...]] = {
    "kubernetes:apps/v1:StatefulSet": (
        *_METADATA,
        "spec.podManagementPolicy",
        "spec.revisionHistoryLimit",
        "spec.selector",
        "spec.serviceName",
        "spec.volumeClaimTemplates",
    ),
    "kubernetes:core/v1:Service": (*_METADATA, "spec.clusterIP"),
    "kubernetes:core/v1:Secret": (*_METADATA, "type", "stringData", "data"),
    "kubernetes:core/v1:ConfigMap": (*_METADATA, "data", "binaryData"),
    # A Helm release is replaced when its name or namespace changes (pulumi-kubernetes
    # provider/pkg/provider/helm_release.go:907, Diff: `forceNewFields` ".name", ".namespace").
    "kubernetes:helm.sh/v3:Release": ("name", "namespace"),
}
EVERY_INPUT = "*"
RANDOM_FORCE_NEW = {
    "random:index/randomPassword:RandomPassword": (EVERY_INPUT,),
    "random:index/randomString:RandomString": (EVERY_INPUT,),
}


@functools.cache
def _table() -> dict[str, Any]:
    return json.loads(FORCE_NEW_TABLE.read_text())


@functools.cache
def aws_force_new() -> dict[str, tuple[str, ...]]:
    return {type_: tuple(paths) for type_, paths in _table()["resources"].items()}


@functools.cache
def computed_force_new(type_: str) -> frozenset[str]:
    """ForceNew inputs that AWS fills in when they are not set (Terraform `Computed`)."""
    return frozenset(_table().get("computed", {}).get(type_, ()))


def force_new_paths(type_: str) -> tuple[str, ...] | None:
    """The input paths whose change replaces a resource of `type_`; None if the type is not
    known (a plan then says so rather than guess)."""
    if type_.startswith("kubernetes:"):
        return KUBERNETES_FORCE_NEW.get(type_, _METADATA)
    if type_ in RANDOM_FORCE_NEW:
        return RANDOM_FORCE_NEW[type_]
    return aws_force_new().get(type_)


def changed_paths(before: Any, after: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Dotted paths (list positions left out) where `after` differs from `before`; a value
    present on one side only counts as a change of its own path and of every path below it."""
    if before == after:
        return
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after)):
            yield from changed_paths(before.get(key), after.get(key), (*path, str(key)))
        return
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for old, new in zip(before, after, strict=True):
            yield from changed_paths(old, new, path)
        return
    yield path
    for side in (before, after):
        yield from _every_path(side, path)


def _every_path(value: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield (*path, str(key))
            yield from _every_path(item, (*path, str(key)))
    elif isinstance(value, list):
        for item in value:
            yield from _every_path(item, path)


def replacing_changes(
    type_: str, before: Mapping[str, Any], after: Mapping[str, Any], also: Iterable[str] = ()
) -> list[str] | None:
    """The changed inputs that make this update a replacement ([] for an in-place update);
    None when the type's rules are unknown. `also`: the resource's own `replaceOnChanges`
    paths, which the engine treats like the provider's (a change there is a replacement)."""
    rules = force_new_paths(type_)
    if rules is None and not also:
        return None
    rules = (*(rules or ()), *also)
    computed = computed_force_new(type_)
    forcing = [tuple(rule.split(".")) for rule in rules]
    found = set()
    for changed in changed_paths(dict(before), dict(after)):
        if not changed:
            continue
        for rule in forcing:
            if rule == (EVERY_INPUT,):
                found.add(changed[0])
            elif changed[: len(rule)] == rule and not _fills_in_what_aws_computed(
                ".".join(rule) in computed, before, after, rule
            ):
                found.add(".".join(rule))
    return sorted(found)


_ABSENT = object()


def _value_at(inputs: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = inputs
    for key in path:
        if isinstance(value, list):
            value = value[0] if value else _ABSENT
        if not isinstance(value, Mapping) or key not in value:
            return _ABSENT
        value = value[key]
    return value


def _fills_in_what_aws_computed(
    computed: bool, before: Mapping[str, Any], after: Mapping[str, Any], rule: tuple[str, ...]
) -> bool:
    """A Computed ForceNew input that one side leaves unset: the state holds the value AWS filled
    in, which the offline plan cannot see, and Terraform diffs against the state. Setting it to
    that value (a promoted replica stating `engine = postgres`), or no longer setting it, changes
    nothing; only a change between two set values is a replacement for certain."""
    return computed and _ABSENT in (_value_at(before, rule), _value_at(after, rule))
