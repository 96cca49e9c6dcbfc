"""Helpers shared by the erlmcp policies: reading engine properties, config, versions, quantities.

Properties reach a policy as pulumi-policy presents them: engine camelCase names, secrets already
unwrapped to their plain values, and every value wrapped in a proxy that raises
`UnknownValueError` when a value is not known yet (during `pulumi preview`). A policy that lets that
exception escape gets an advisory "can't run policy during preview" diagnostic instead of a verdict,
and a stack policy loses its verdict for the whole stack. So policies read properties only through
`prop`/`items`/`entries`, which turn an unknown into the `UNKNOWN` marker, and treat `UNKNOWN` as
"cannot tell yet": never as a violation.

Required tags (documented here, checked by `tags-required`): every taggable AWS resource carries
`service`, `environment`, `owner`, `cost-center` and `managed-by` with non-empty values; the program
sets them on every taggable resource (regions/region.py `region_tags`). The set is configurable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

REQUIRED_TAGS: tuple[str, ...] = ("service", "environment", "owner", "cost-center", "managed-by")

# Defaults of the configurable thresholds; each policy's config_schema repeats its own default so
# that `pulumi policy` documents it, and the policies fall back to these when config is absent.
DEFAULTS: dict[str, Any] = {
    "min_postgres_version": "15",
    "min_redis_version": "7",
    "min_kubernetes_version": "1.28",
    "min_backup_retention_days": 7,
    "min_replica_backup_retention_days": 1,
    "max_monitoring_interval_seconds": 60,
    "min_snapshot_retention_days": 1,
    "max_pod_cpu": "4",
    "max_pod_memory": "8Gi",
    "max_replicas": 100,
    "required_tags": list(REQUIRED_TAGS),
}


class _Unknown:
    """A value the engine does not know yet (preview); never a violation by itself."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN: Any = _Unknown()

_UNKNOWN_SENTINELS = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN or (isinstance(value, str) and value in _UNKNOWN_SENTINELS)


def contains_unknown(text: str) -> bool:
    """A string built from an unknown (e.g. JSON around an unknown ARN) carries its sentinel."""
    return any(sentinel in text for sentinel in _UNKNOWN_SENTINELS)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def prop(value: Any, *path: str | int, default: Any = None) -> Any:
    """The value at `path` under `value`; `default` when absent, `UNKNOWN` when not known yet."""
    current = value
    for key in path:
        if is_unknown(current):
            return UNKNOWN
        try:
            indexable = (isinstance(key, int) and _is_sequence(current)) or (
                isinstance(key, str) and isinstance(current, Mapping)
            )
            if not indexable:
                return default
            current = current[key]
        except UnknownValueError:
            return UNKNOWN
        except (KeyError, IndexError):
            return default
        if current is None:
            return default
    return UNKNOWN if is_unknown(current) else current


def items(value: Any) -> Iterator[Any]:
    """The elements of a list property, each `UNKNOWN` where not known; nothing if not a list."""
    if not _is_sequence(value):
        return
    for index in range(len(value)):
        yield prop(value, index)


def entries(value: Any) -> Iterator[tuple[str, Any]]:
    """The (key, value) pairs of a map property, values `UNKNOWN` where not known."""
    if not isinstance(value, Mapping):
        return
    for key in value:
        yield key, prop(value, key)


_REGION_IN_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]*):")


def region_from_arn(arn: Any) -> str | None:
    """The region field of an ARN (`arn:aws:kms:eu-west-1:...` -> eu-west-1); None for a global
    ARN, a non-ARN or an unknown value."""
    if not isinstance(arn, str):
        return None
    match = _REGION_IN_ARN.match(arn)
    return match.group(1) or None if match else None


def region_of(resource: Any) -> str | None:
    """The region a resource lives in: its v7 `region` input, else its provider's region.
    Works on a `PolicyResource` and on `ResourceValidationArgs` alike."""
    region = prop(resource.props, "region")
    if isinstance(region, str) and not is_unknown(region) and region:
        return region
    if resource.provider is not None:
        provider_region = prop(resource.provider.props, "region")
        if isinstance(provider_region, str) and not is_unknown(provider_region):
            return provider_region
    return None


def has_value(value: Any) -> bool:
    """Set to something: unknown counts (it will be set), None and "" do not."""
    if is_unknown(value):
        return True
    if value is None:
        return False
    if isinstance(value, str | Sequence | Mapping):
        return len(value) > 0
    return True


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


# ---------------------------------------------------------------------------------------------
# Config


def config_value(args: ResourceValidationArgs | StackValidationArgs, key: str) -> Any:
    """A policy's config property, or its documented default."""
    config = args.get_config() or {}
    value = config.get(key)
    return DEFAULTS[key] if value is None else value


def schema(*keys: str, **extra: dict[str, Any]) -> PolicyConfigSchema:
    """A config schema with the shared definitions of `keys`, plus `extra` property schemas."""
    definitions: dict[str, dict[str, Any]] = {
        "min_postgres_version": {
            "type": ["string", "number"],
            "description": "Lowest PostgreSQL major[.minor] version allowed.",
        },
        "min_redis_version": {
            "type": ["string", "number"],
            "description": "Lowest Redis major[.minor] version allowed.",
        },
        "min_kubernetes_version": {
            "type": "string",
            "description": "Lowest EKS Kubernetes version allowed (major.minor).",
        },
        "min_backup_retention_days": {
            "type": "integer",
            "minimum": 1,
            "maximum": 35,
            "description": "Fewest days of automated backups a primary database keeps.",
        },
        "min_replica_backup_retention_days": {
            "type": "integer",
            "minimum": 0,
            "maximum": 35,
            "description": "Fewest days of automated backups a read replica keeps.",
        },
        "max_monitoring_interval_seconds": {
            "type": "integer",
            "enum": [1, 5, 10, 15, 30, 60],
            "description": "Longest Enhanced Monitoring interval a database host may use.",
        },
        "min_snapshot_retention_days": {
            "type": "integer",
            "minimum": 1,
            "maximum": 35,
            "description": "Fewest days of automatic snapshots a cache keeps.",
        },
        "max_pod_cpu": {
            "type": "string",
            "description": "Largest CPU limit of one pod (Kubernetes quantity, e.g. 4 or 4000m).",
        },
        "max_pod_memory": {
            "type": "string",
            "description": "Largest memory limit of one pod (Kubernetes quantity, e.g. 8Gi).",
        },
        "max_replicas": {
            "type": "integer",
            "minimum": 0,
            "description": "Most replicas a workload (or its autoscaler) may ask for.",
        },
        "required_tags": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Tag keys every taggable AWS resource must carry (non-empty values).",
        },
    }
    properties = {key: {**definitions[key], "default": DEFAULTS[key]} for key in keys}
    properties.update(extra)
    return PolicyConfigSchema(properties=properties)


# ---------------------------------------------------------------------------------------------
# Resource policies restricted to some resource types


def resource_policy(
    *,
    name: str,
    description: str,
    types: Sequence[str],
    validate: Any,
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
    config_schema: PolicyConfigSchema | None = None,
) -> ResourceValidationPolicy:
    """A resource policy whose `validate(args, report)` only sees resources of `types`."""
    wanted = frozenset(types)

    def validate_typed(args: ResourceValidationArgs, report_violation: Any) -> None:
        if args.resource_type in wanted:
            validate(args, report_violation)

    policy = ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate_typed,
        enforcement_level=enforcement_level,
        config_schema=config_schema,
    )
    # Read by the offline analyzer to skip, per resource, the policies that would return at once
    # (offline/policy_speedups.py `_only_policies_for`); the engine never looks at it.
    policy.resource_types = wanted  # type: ignore[attr-defined]
    return policy


# ---------------------------------------------------------------------------------------------
# Versions


_VERSION_PART = re.compile(r"^\d+$")


def parse_version(text: Any) -> tuple[int, ...] | None:
    """'16.6' -> (16, 6); '7.x' -> (7,); 'v1.28' -> (1, 28); None when not a version."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str) or not text.strip():
        return None
    parts: list[int] = []
    for part in text.strip().lstrip("vV").split("."):
        if part.lower() == "x":
            break
        if not _VERSION_PART.match(part):
            return None
        parts.append(int(part))
    return tuple(parts) or None


def version_at_least(actual: tuple[int, ...], minimum: tuple[int, ...]) -> bool:
    """Compare only as many parts as the minimum names ('7.x' satisfies '7')."""
    width = max(len(actual), len(minimum))
    padded_actual = actual + (0,) * (width - len(actual))
    padded_minimum = minimum + (0,) * (width - len(minimum))
    if len(actual) < len(minimum):
        # '7.x' against '7.1': the wildcard resolves to the newest 7.y, so the major decides.
        return actual >= minimum[: len(actual)]
    return padded_actual >= padded_minimum


# ---------------------------------------------------------------------------------------------
# Kubernetes quantities


_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(\d+(\.\d*)?|\.\d+))(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|"
    r"[eE][+-]?\d+)?$"
)
_SUFFIX = {
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}


def parse_quantity(value: Any) -> Decimal | None:
    """A Kubernetes resource quantity ('500m', '8Gi', '1.5', 2, '129e6') as a number of units."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if not isinstance(value, str):
        return None
    found = _QUANTITY.match(value.strip())
    if not found:
        return None
    try:
        number = Decimal(found.group("number"))
    except InvalidOperation:
        return None
    suffix = found.group("suffix")
    if not suffix:
        return number
    if suffix[0] in "eE" and len(suffix) > 1:
        return number * (Decimal(10) ** int(suffix[1:]))
    return number * _SUFFIX[suffix]


def format_quantity(value: Decimal, memory: bool) -> str:
    """A readable rendering for messages: 4.5 (CPU) or 9Gi / 512Mi (memory)."""
    if not memory:
        return f"{value.normalize():f}"
    for suffix in ("Ti", "Gi", "Mi", "Ki"):
        unit = _SUFFIX[suffix]
        if value >= unit and value % unit == 0:
            return f"{(value / unit).normalize():f}{suffix}"
    return f"{value.normalize():f}"


def check_min_version(
    args: Any,
    report_violation: Any,
    *,
    version_key: str,
    config_key: str,
    product: str,
) -> None:
    """Report a `version_key` below the `config_key` minimum; unset or unknown passes."""
    version = prop(args.props, version_key)
    if version is None or is_unknown(version):
        return
    minimum_text = str(config_value(args, config_key))
    minimum, actual = parse_version(minimum_text), parse_version(version)
    if minimum is None:
        report_violation(f"{config_key} {minimum_text!r} is not a version.")
    elif actual is None:
        report_violation(f"{version_key} {version!r} is not a {product} version.")
    elif not version_at_least(actual, minimum):
        report_violation(
            f"{version_key} is {version}; {product} {minimum_text} or newer is required."
        )
