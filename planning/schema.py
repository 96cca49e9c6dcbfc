"""The schema of `build/plan.json`, the offline plan of a stack (see docs/plan.md).

Top level:
- `schemaVersion` (2: `placeholders` and the diff's `provider` moves are new), `project`,
  `stack`, `stackFile`.
- `resources[]`: every registered resource, in URN order (the same on every run; registration
  order depends on which of the SDK's tasks finish first) — `urn`, `type`, `name`,
  `parent` (urn or null for the stack root), `provider` (provider reference or null),
  `region` (where it is placed; null for global resources such as IAM and Route 53), `inputs`
  (as the engine sees them: camelCase names; every secret is the string "[secret]"),
  `dependencies` (urns, sorted), `protect`, `retainOnDelete`, `aliases`, `replaceOnChanges`
  (input paths the program asks the engine to replace the resource for).
- `outputs`: the stack outputs, secrets redacted.
- `policy`: `passed`, `mandatory`, `advisory` (counts) and `diagnostics[]` (`policy`, `level`,
  `urn`, `message`).
- `dr`: `pairs[]` (each pair's RTO/RPO budget, regions/dr_budget.py), `failover` (primary ->
  standby now serving), `failback` (primary -> resync | drain | cutover), `generations` (primary
  -> `current` generation of its database copies, the `retired` ones still kept, and the
  `restored` ones: generation -> the time it was restored to), `noStandby` (serving regions
  knowingly without a standby, with reason), `restore` (primary -> `to`, an RFC 3339 UTC time
  or null, and `stage`: a point-in-time restore under way, docs/restore.md),
  `restoreCosts[]` (what such a restore of each pair's primary costs, regions/dr_budget.py) and
  `autoFailover[]` (each pair's ARC Region switch plan: `plan`, `armed`, `disarmedBecause`,
  `witness`, `detectionMinutes`, `minDelayMinutes`, `trigger[]` {alarm, region, condition},
  `interlocks[]`, `steps[]` {block, what, figure}: regions/auto_failover.py `describe`).
- `stage`: `full`, or `zone-only` (the first stage of a fresh account: `dns.delegated: false`).
- `placeholders`: values of the stack file that stand for the operator's own (a documentation
  CIDR, AWS's example account id); `pulumi up` refuses them.
- `providerChecks[]`: inputs the providers' own checks refuse, as `pulumi preview` would
  (`urn`, `argument`, `value` ("[secret]" for a secret), `rule`, `source`: the provider file
  and line); planning/provider_checks.py.
- `counts`: `byRegion` (region or "global" -> resources) and `byType`.
- `diff` (only with `--against`): `added`, `removed` (urns), `changed` ({urn, inputs[],
  `replacedBy`: the inputs that force a replacement, [] for an in-place update, null when the
  type has no known rules, and `provider` {from, to, aliased, replaces} when its provider
  reference changed}), `replaced` ({urn, type, because[], stateful, allowed}) and
  `warnings` (stateful resources replaced, removed or renamed).
"""

from __future__ import annotations

from typing import Any

SCHEMA_VERSION = 2
SECRET = "[secret]"

_URN = {"type": "string", "pattern": "^urn:pulumi:"}
_DIAGNOSTIC = {
    "type": "object",
    "required": ["policy", "level", "urn", "message"],
    "properties": {
        "policy": {"type": "string"},
        "level": {"enum": ["advisory", "mandatory", "remediate", "disabled"]},
        "urn": {"type": ["string", "null"]},
        "message": {"type": "string"},
    },
}
_RESOURCE = {
    "type": "object",
    "required": [
        "urn",
        "type",
        "name",
        "parent",
        "provider",
        "region",
        "inputs",
        "dependencies",
        "protect",
        "retainOnDelete",
        "aliases",
        "replaceOnChanges",
    ],
    "additionalProperties": False,
    "properties": {
        "urn": _URN,
        "type": {"type": "string"},
        "name": {"type": "string"},
        "parent": {"type": ["string", "null"]},
        "provider": {"type": ["string", "null"]},
        "region": {"type": ["string", "null"]},
        "inputs": {"type": "object"},
        "dependencies": {"type": "array", "items": _URN},
        "protect": {"type": "boolean"},
        "replaceOnChanges": {"type": "array", "items": {"type": "string"}},
        "retainOnDelete": {"type": "boolean"},
        "aliases": {"type": "array"},
    },
}

PLAN_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": [
        "schemaVersion",
        "project",
        "stack",
        "stackFile",
        "resources",
        "outputs",
        "policy",
        "dr",
        "counts",
        "placeholders",
        "providerChecks",
        "stage",
    ],
    "additionalProperties": False,
    "properties": {
        "schemaVersion": {"const": SCHEMA_VERSION},
        "project": {"type": "string"},
        "stack": {"type": "string"},
        "stackFile": {"type": "string"},
        "resources": {"type": "array", "items": _RESOURCE},
        "outputs": {"type": "object"},
        "policy": {
            "type": "object",
            "required": ["passed", "mandatory", "advisory", "diagnostics"],
            "properties": {
                "passed": {"type": "boolean"},
                "mandatory": {"type": "integer", "minimum": 0},
                "advisory": {"type": "integer", "minimum": 0},
                "diagnostics": {"type": "array", "items": _DIAGNOSTIC},
            },
        },
        "dr": {
            "type": "object",
            "required": [
                "pairs",
                "failover",
                "failback",
                "generations",
                "noStandby",
                "restore",
                "restoreCosts",
            ],
            "properties": {
                "pairs": {"type": "array", "items": {"type": "object"}},
                "autoFailover": {"type": "array", "items": {"type": "object"}},
                "failover": {"type": "object", "additionalProperties": {"type": "string"}},
                "failback": {
                    "type": "object",
                    "additionalProperties": {"enum": ["resync", "drain", "cutover"]},
                },
                "generations": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["current", "retired", "restored"],
                        "properties": {
                            "current": {"type": "integer", "minimum": 1},
                            "retired": {"type": "array", "items": {"type": "integer"}},
                            "restored": {
                                "type": "object",
                                "additionalProperties": {"type": "string"},
                            },
                        },
                    },
                },
                "noStandby": {"type": "object", "additionalProperties": {"type": "string"}},
                "restore": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["to", "stage"],
                        "properties": {
                            "to": {"type": ["string", "null"]},
                            "stage": {"enum": ["writes-stopped", "restored", "switched"]},
                        },
                    },
                },
                "restoreCosts": {"type": "array", "items": {"type": "object"}},
            },
        },
        "placeholders": {"type": "array", "items": {"type": "string"}},
        "providerChecks": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["urn", "argument", "value", "rule", "source"],
                "properties": {k: {"type": "string"} for k in ("argument", "value", "rule")}
                | {"urn": _URN, "source": {"type": "string"}},
            },
        },
        "stage": {"enum": ["full", "zone-only"]},
        "counts": {
            "type": "object",
            "required": ["byRegion", "byType"],
            "properties": {
                "byRegion": {"type": "object", "additionalProperties": {"type": "integer"}},
                "byType": {"type": "object", "additionalProperties": {"type": "integer"}},
            },
        },
        "diff": {
            "type": "object",
            "required": ["added", "removed", "changed", "replaced", "warnings"],
            "properties": {
                "added": {"type": "array", "items": _URN},
                "removed": {"type": "array", "items": _URN},
                "changed": {"type": "array", "items": {"type": "object"}},
                "replaced": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["urn", "type", "because", "stateful", "allowed"],
                        "properties": {
                            "urn": _URN,
                            "because": {"type": "array", "items": {"type": "string"}},
                            "stateful": {"type": "boolean"},
                            "allowed": {"type": "boolean"},
                        },
                    },
                },
                "warnings": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
}
