"""Which input changes the engine carries out as a replacement (delete and create), per type.

- AWS: the attributes terraform-provider-aws marks ForceNew / RequiresReplace, read from its
  source by tools/force_new.py into planning/force_new.json (pulumi-aws is bridged from it), plus
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

A replacement of a stateful resource loses its data; planning/diff.py makes that loud.
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
RDS_INSTANCE = "aws:rds/instance:Instance"
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
    type_: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    also: Iterable[str] = (),
    filled_in: Mapping[str, Any] | None = None,
) -> list[str] | None:
    """The changed inputs that make this update a replacement ([] for an in-place update);
    None when the type's rules are unknown. `also`: the resource's own `replaceOnChanges`
    paths, which the engine treats like the provider's (a change there is a replacement).
    `filled_in`: the values AWS is known to have put in the state for Computed inputs that
    `before` leaves unset (`aws_filled_in`)."""
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
            elif changed[: len(rule)] == rule and not _state_keeps_it(
                ".".join(rule) in computed, before, after, rule, filled_in or {}
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


def _state_keeps_it(
    computed: bool,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    rule: tuple[str, ...],
    filled_in: Mapping[str, Any],
) -> bool:
    """A change of a ForceNew input that is no replacement, because Terraform diffs the config
    against the state and the state already holds what the config now says.

    Only a Computed input qualifies (SDKv2, terraform-plugin-sdk helper/schema/schema.go
    `diffString`, v2.40.0-30-g9e601691 lines 1746-1752: `if removed && schema.Computed { return
    nil }`; lists and sets alike, lines 1351 and 1592):
    - no longer set: the state keeps the value AWS filled in, no diff;
    - newly set: AWS filled in a value the offline plan cannot see. A replacement unless that
      value is known (`filled_in`) and equal; e.g. a promoted replica stating the `engine` it
      inherited from its source.
    A non-Computed ForceNew input set on one side only is a replacement: removed, it diffs
    against the type's zero value, and `finalizeDiff` marks the diff RequiresNew (lines
    1746-1765)."""
    if not computed:
        return False
    old, new = _value_at(before, rule), _value_at(after, rule)
    if new is _ABSENT:
        return True
    if old is _ABSENT:
        key = ".".join(rule)
        return key in filled_in and filled_in[key] == new
    return False


def aws_filled_in(
    resource: Mapping[str, Any], resources: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """Values AWS put in the state of `resource` (a plan entry) for Computed inputs the program
    leaves unset, where the plan `resources` it belongs to shows them. Known: an RDS read
    replica's `engine` is its source's. terraform-provider-aws internal/service/rds/instance.go
    (as of 2024-04-17): a replica is created with CreateDBInstanceReadReplicaInput, which has no
    Engine (lines 740-750), and Read stores the engine AWS reports (line 1845)."""
    if _replica_source(resource) is None:
        return {}
    by_identifier = {
        r["inputs"].get("identifier"): r for r in resources if r["type"] == RDS_INSTANCE
    }
    seen: set[str] = set()
    while (identifier := _replica_source(resource)) is not None:
        if identifier in seen or identifier not in by_identifier:
            return {}
        seen.add(identifier)
        resource = by_identifier[identifier]
        if resource["inputs"].get("engine") is not None:
            return {"engine": resource["inputs"]["engine"]}
    return {}


def _replica_source(resource: Mapping[str, Any]) -> str | None:
    """The identifier of the instance an RDS read replica copies (`replicateSourceDb`: an ARN,
    arn:aws:rds:<region>:<account>:db:<identifier>, or the identifier itself)."""
    source = resource["inputs"].get("replicateSourceDb")
    if resource["type"] != RDS_INSTANCE or not isinstance(source, str):
        return None
    return source.rsplit(":", 1)[-1]
