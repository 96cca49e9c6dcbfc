"""The providers' own input checks, run offline over a recording: what `pulumi preview` refuses.

The bridge runs terraform-provider-aws' validation in the provider's `Check`
(pulumi/pulumi-terraform-bridge `pkg/tfbridge/provider.go` `Check` -> `ValidateResource`), which
the mock runtime never calls. `tools/provider_validation.py` reads that validation from the
provider's source into planning/provider_validation.json; this module applies it to every
recorded input, the way terraform-plugin-sdk does (`helper/schema/schema.go` `validate`,
~line 1825):

- a value validator runs only on a known value: an input that comes from another resource's
  output is unknown at the first preview (`isWhollyKnown`), so it is not judged here either;
- `ExactlyOneOf` and `AtLeastOneOf` are checked whether or not the attribute is set, an unknown
  one counting as set; `RequiredWith` and `ConflictsWith` only when the attribute is set
  (`validateRequiredWithAttribute` ~1985, `validateConflictingAttributes` ~1947);
- a nested attribute is checked in every element of its block, and its relations only where its
  block is present.

Kubernetes names, labels and annotations are checked by planning/kubernetes_names.py; `make
plan` runs both (planning/plan.py `check_stack`).
"""

from __future__ import annotations

import functools
import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

# Go's RE2 syntax (`\p{L}`, `[[:alnum:]]`) that Python's `re` lacks.
import regex

from offline.recorder import UNKNOWN, RecordedResource, RecordedStack, is_secret

TABLE_PATH = Path(__file__).resolve().parent / "provider_validation.json"
PROVIDER = "terraform-provider-aws"


@dataclass(frozen=True)
class Violation:
    """One input a provider would refuse."""

    urn: str
    argument: str
    value: str
    rule: str
    source: str

    def __str__(self) -> str:
        return f"{self.urn}\n    {self.argument} = {self.value}: {self.rule} ({self.source})"


@functools.cache
def load_table(path: Path = TABLE_PATH) -> dict[str, Any]:
    return json.loads(path.read_text())


# --- Values at a path ---------------------------------------------------------------------------

_Unknown = object()


def _plain(value: Any) -> tuple[Any, bool]:
    """The value behind secret wrappers, and whether it was secret."""
    secret = False
    while is_secret(value):
        value, secret = value.get("value"), True
    return value, secret


def _child(value: Any, name: str) -> Any:
    """An object's attribute, with the bridge's plural list names tolerated (`rule` is `rules`)."""
    for candidate in (name, f"{name}s", f"{name}es", f"{name[:-1]}ies"):
        if candidate in value:
            return value[candidate]
    return None


def values_at(value: Any, path: list[str], where: str = "") -> Iterator[tuple[str, Any, bool]]:
    """(concrete path, value, secret) of every value at an attribute path; a list on the way is
    a repeated block, each element visited; a MaxItems-1 block is an object (the bridge flattens
    it). A numeric step (`rule.0.name`, in relations) indexes a list and passes an object."""
    value, secret = _plain(value)
    if value is None:
        return
    if value == UNKNOWN:
        yield where, _Unknown, secret
        return
    if not path:
        yield where, value, secret
        return
    head, rest = path[0], path[1:]
    if isinstance(value, list):
        if head.isdigit():
            if int(head) < len(value):
                yield from values_at(value[int(head)], rest, f"{where}[{head}]")
            return
        for index, item in enumerate(value):
            yield from values_at(item, path, f"{where}[{index}]")
        return
    if head.isdigit():
        yield from values_at(value, rest, where)
        return
    if isinstance(value, dict):
        child = _child(value, head)
        yield from values_at(child, rest, f"{where}.{head}" if where else head)


def _shown(value: Any, secret: bool) -> str:
    return "[secret]" if secret else json.dumps(value)


# --- Rules -------------------------------------------------------------------------------------


def describe(rule: dict[str, Any]) -> str:
    kind = rule["kind"]
    if kind == "length":
        return f"length must be between {rule.get('min', 0)} and {rule.get('max', 'any')}"
    if kind == "pattern":
        return f"must match {rule['regex']}" + (f" ({rule['message']})" if rule["message"] else "")
    if kind == "notPattern":
        return f"must not match {rule['regex']}" + (
            f" ({rule['message']})" if rule["message"] else ""
        )
    if kind == "oneOf":
        return f"must be one of {', '.join(map(str, rule['values']))}"
    if kind == "range":
        low = rule.get("min", rule.get("exclusiveMin"))
        return f"must be between {low} and {rule.get('max', 'any')}" + (
            " (exclusive)" if "exclusiveMin" in rule else ""
        )
    if kind == "anyOf":
        return " or ".join("; ".join(map(describe, rules)) for rules in rule["of"])
    return {
        "divisibleBy": f"must be divisible by {rule.get('divisor')}",
        "notEmpty": "must not be empty",
        "json": "must be a JSON document" + (" object" if rule.get("object") else ""),
        "cidr": "must be a CIDR block"
        + (
            f" with a prefix of /{rule['minPrefix']} to /{rule['maxPrefix']}"
            if "minPrefix" in rule
            else ""
        )
        + (" naming its network address" if rule.get("network") else ""),
        "ip": "must be an IP address",
        "arn": "must be an ARN (arn:partition:service:region:account:resource)",
        "rfc3339": "must be an RFC 3339 time",
        "notContainAny": f"must not contain any of {rule.get('characters')!r}",
    }.get(kind, kind)


def _cidr_detail(rule: dict[str, Any]) -> str:
    detail = f" of /{rule['minPrefix']} to /{rule['maxPrefix']}" if "minPrefix" in rule else ""
    return detail + (" naming its network address" if rule.get("network") else "")


@functools.cache
def _regex(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern.replace(r"\z", r"\Z"))


def breaks(rule: dict[str, Any], value: Any) -> bool:
    """Whether a known value breaks a rule. A rule for another type of value does not apply."""
    kind = rule["kind"]
    if kind == "anyOf":
        return all(any(breaks(r, value) for r in rules) for rules in rule["of"])
    if isinstance(value, bool):
        return kind == "oneOf" and value not in rule["values"]
    if isinstance(value, (int, float)):
        return _breaks_number(rule, value)
    if isinstance(value, str):
        return _breaks_string(rule, value)
    return False


def _breaks_number(rule: dict[str, Any], value: float) -> bool:
    kind = rule["kind"]
    if kind == "range":
        return (
            ("min" in rule and value < rule["min"])
            or ("max" in rule and value > rule["max"])
            or ("exclusiveMin" in rule and value <= rule["exclusiveMin"])
        )
    if kind == "oneOf":
        return value not in rule["values"]
    if kind == "divisibleBy":
        return value % rule["divisor"] != 0
    return False


def _breaks_string(rule: dict[str, Any], value: str) -> bool:
    kind = rule["kind"]
    if kind == "length":
        return len(value) < rule.get("min", 0) or len(value) > rule.get("max", len(value))
    if kind == "pattern":
        return not _regex(rule["regex"]).search(value)
    if kind == "notPattern":
        return bool(_regex(rule["regex"]).search(value))
    if kind == "oneOf":
        if rule.get("ignoreCase"):
            return value.lower() not in {str(v).lower() for v in rule["values"]}
        return value not in rule["values"]
    if kind == "notEmpty":
        return value == ""
    if kind == "notContainAny":
        return any(c in value for c in rule["characters"])
    if kind == "json":
        return _not_json(value, rule.get("object", False))
    if kind == "cidr":
        return _not_cidr(value, rule)
    if kind == "ip":
        return _not_ip(value, rule.get("version"))
    if kind == "arn":
        return not (value.startswith("arn:") and len(value.split(":", 5)) == 6)
    if kind == "rfc3339":
        return _not_rfc3339(value)
    return False


def _not_json(value: str, must_be_object: bool) -> bool:
    try:
        document = json.loads(value)
    except ValueError:
        return True
    return must_be_object and not isinstance(document, dict)


def _not_cidr(value: str, rule: dict[str, Any]) -> bool:
    try:
        network = ipaddress.ip_network(value, strict=bool(rule.get("network")))
    except ValueError:
        return True
    if rule.get("version") and network.version != rule["version"]:
        return True
    return not rule.get("minPrefix", 0) <= network.prefixlen <= rule.get("maxPrefix", 128)


def _not_ip(value: str, version: int | None) -> bool:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return True
    return version is not None and address.version != version


def _not_rfc3339(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return True
    return "T" not in value


# --- A resource against its table entry --------------------------------------------------------


def _unknown_inputs(resource: RecordedResource) -> set[str]:
    """Top-level inputs taken from other resources' outputs: unknown at the first preview."""
    return {name for name, urns in resource.property_dependencies.items() if urns}


def check_resource(
    resource: RecordedResource, entry: dict[str, Any], source: str
) -> list[Violation]:
    unknown = _unknown_inputs(resource)
    found = []
    for attribute, rules in entry.get("inputs", {}).items():
        path = attribute.split(".")
        if path[0] in unknown:
            continue
        for where, value, secret in values_at(resource.inputs, path):
            if value is _Unknown:
                continue
            for rule in rules:
                if breaks(rule, value):
                    found.append(
                        Violation(
                            resource.urn,
                            where,
                            _shown(value, secret),
                            describe(rule),
                            f"{source} {rule['source']}",
                        )
                    )
    for relation in entry.get("relations", []):
        problem = relation_problem(resource.inputs, relation, unknown)
        if problem:
            found.append(
                Violation(
                    resource.urn,
                    relation["attribute"],
                    problem[0],
                    problem[1],
                    f"{source} {relation['source']}",
                )
            )
    return found


def _state(inputs: dict[str, Any], path: str, unknown: set[str]) -> str:
    """'set', 'unset' or 'unknown' for a relation's key (a path from the root)."""
    steps = path.split(".")
    if steps[0] in unknown:
        return "unknown"
    values = list(values_at(inputs, steps))
    if any(value is _Unknown for _, value, _ in values):
        return "unknown"
    return "set" if values else "unset"


def _parent_present(inputs: dict[str, Any], attribute: str) -> bool:
    steps = [s for s in attribute.split(".") if not s.isdigit()]
    return len(steps) == 1 or bool(list(values_at(inputs, steps[:-1])))


def _canonical(path: str) -> str:
    return ".".join(step for step in path.split(".") if not step.isdigit())


def relation_problem(
    inputs: dict[str, Any], relation: dict[str, Any], unknown: set[str]
) -> tuple[str, str] | None:
    """(what is set, what the relation asks) when the inputs break it. The keys are paths from
    the root; the attribute itself is among them (as the SDK adds it), named once."""
    attribute, kind = relation["attribute"], relation["kind"]
    if not _parent_present(inputs, attribute):
        return None
    others = [k for k in relation["with"] if _canonical(k) != _canonical(attribute)]
    mine = _state(inputs, attribute, unknown)
    states = {key: _state(inputs, key, unknown) for key in others}
    set_keys = sorted(k for k, s in {attribute: mine, **states}.items() if s == "set")
    everything = ", ".join(sorted({attribute, *others}))
    any_unknown = "unknown" in (mine, *states.values())
    if kind == "conflictsWith" and mine == "set":
        clashing = [k for k, s in states.items() if s == "set"]
        if clashing:
            return f"set with {', '.join(clashing)}", f"conflicts with {', '.join(others)}"
    if kind in ("requiredWith", "requiredTogether") and mine == "set":
        missing = [k for k, s in states.items() if s == "unset"]
        if missing:
            return f"set without {', '.join(missing)}", f"all of {everything} must be set"
    if kind == "exactlyOneOf":
        if len(set_keys) > 1:
            return f"{', '.join(set_keys)} set", f"only one of {everything} may be set"
        if not set_keys and not any_unknown:
            return "none set", f"exactly one of {everything} must be set"
    if kind == "atLeastOneOf" and not set_keys and not any_unknown:
        return "none set", f"one of {everything} must be set"
    return None


def check_aws(stack: RecordedStack, table: dict[str, Any] | None = None) -> list[Violation]:
    table = table or load_table()
    source = PROVIDER
    found = []
    for resource in stack.resources:
        entry = table["resources"].get(resource.type)
        if entry is not None:
            found += check_resource(resource, entry, source)
    return found
