"""Loading the stack file's config: unknown keys and namespaces, errors by path, placeholders."""

from __future__ import annotations

import json
import typing
from collections.abc import Iterable, Mapping
from typing import Any

import pulumi
from pulumi.runtime import config as pulumi_config
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.mocks import MockMonitor
from pydantic import BaseModel, ValidationError

from regions.config.region import RegionConfig
from regions.config.stack import StackConfig
from regions.config.values import PROJECT, ConfigError, _KeyedError


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _apply_region_defaults(raw: dict[str, Any]) -> dict[str, Any]:
    """`regionDefaults` fills in what a region does not set (deep merge, region wins)."""
    defaults = raw.pop("regionDefaults", None) or {}
    regions = raw.get("regions")
    if isinstance(defaults, Mapping) and isinstance(regions, Mapping):
        raw["regions"] = {
            name: _deep_merge(defaults, region) if isinstance(region, Mapping) else region
            for name, region in regions.items()
        }
    return raw


def _format_path(project: str, path: tuple[str | int, ...]) -> str:
    text = ""
    # pydantic marks an error in a mapping's key with a "[key]" step after the key itself.
    for part in (p for p in path if p != "[key]"):
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return f"{project}:{text}" if text else project


# What each pattern in the model means, so an error says that instead of printing the regex.
PATTERN_MEANING = {
    r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$": "a UTC time window like 02:00-02:30",
    r"^[a-z]{2}(-[a-z]+)+-\d[a-z]$": "an availability zone name like us-east-1a",
    r"^\d{12}$": "a 12-digit AWS account id (quote it in YAML)",
    r"^v\d+\.\d+\.\d+-eksbuild\.\d+$": "an EKS add-on version like v1.20.1-eksbuild.3",
    r"^db\.[a-z0-9]+\.[a-z0-9]+$": "an RDS instance class like db.r6g.large",
    r"^cache\.[a-z0-9]+\.[a-z0-9]+$": "an ElastiCache node type like cache.r6g.large",
    r"^/": "a path starting with /",
    r"^Z[A-Z0-9]+$": "a Route 53 hosted zone id like Z0123456789ABC",
    r"^[a-z0-9.\-/:@]+$": "an image repository like ghcr.io/owner/name (lowercase)",
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$": "a version tag like 3.0.0",
    r"^sha256:[0-9a-f]{64}$": "an image digest: sha256: and 64 lowercase hex digits",
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$": "a Kubernetes name (lowercase letters, digits, '-')",
    r"^[a-z][a-z0-9_]*$": "a PostgreSQL name (lowercase letters, digits, '_')",
    r"^[a-z0-9][a-z0-9-]*$": "a name of lowercase letters, digits and '-'",
    r"^[a-z][a-z0-9-]*$": "a name of lowercase letters, digits and '-', starting with a letter",
    r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$": "a DNS domain name like erlmcp.io",
}

UNKNOWN_KEY = "unknown key (typo?); it would be silently ignored"

# Config namespaces a stack file may use besides the project's own: the engine's.
KNOWN_NAMESPACES = ("pulumi",)
# Provider packages the program uses. Their config keys (`aws:region`, `aws:profile`) configure
# only default providers, which this stack disables: every provider is explicit
# (regions/providers.py) and would silently ignore them.
PROVIDER_NAMESPACES = ("aws", "kubernetes", "random")
DISABLE_DEFAULT_PROVIDERS = "pulumi:disable-default-providers"
# Keys whose values must arrive as secret config (`pulumi config set --secret`).
SECRET_KEYS = ("pagerEndpoints",)


def _message(item: Any) -> str:
    if item["type"] == "extra_forbidden":
        return UNKNOWN_KEY
    if item["type"] == "string_pattern_mismatch":
        pattern = item.get("ctx", {}).get("pattern", "")
        meaning = PATTERN_MEANING.get(pattern, f"the form {pattern}")
        return f"{item['input']!r} is not {meaning}"
    return item["msg"].removeprefix("Value error, ")


def parse_stack_config(raw: Mapping[str, Any], project: str = PROJECT) -> StackConfig:
    """Validate the project's config values (keys without the namespace) into a StackConfig."""
    raw = dict(raw)
    problems = _unknown_default_keys(raw, project)
    try:
        config = StackConfig.model_validate(_apply_region_defaults(raw))
    except ValidationError as error:
        for item in error.errors():
            cause = item.get("ctx", {}).get("error")
            if isinstance(cause, _KeyedError):
                path = (*item["loc"], *cause.path)
                problems.append(f"{_format_path(project, path)}: {cause.reason}")
                continue
            problems.append(f"{_format_path(project, tuple(item['loc']))}: {_message(item)}")
    if problems:
        raise ConfigError("\n".join(problems))
    return config


def _unknown_default_keys(raw: dict[str, Any], project: str) -> list[str]:
    """Unknown keys under `regionDefaults`, named once where they are written (not once per
    region they would be merged into), and taken out before the merge."""
    defaults = raw.get("regionDefaults")
    if not isinstance(defaults, Mapping):
        return []
    problems: list[str] = []
    raw["regionDefaults"] = _known_keys(
        RegionConfig, defaults, ("regionDefaults",), problems, project
    )
    return problems


def _known_keys(
    model: type[BaseModel],
    values: Mapping[str, Any],
    path: tuple[str, ...],
    problems: list[str],
    project: str,
) -> dict[str, Any]:
    fields = {field.alias or name: field for name, field in model.model_fields.items()}
    kept: dict[str, Any] = {}
    for key, value in values.items():
        field = fields.get(key) or model.model_fields.get(key)
        if field is None:
            problems.append(f"{_format_path(project, (*path, key))}: {UNKNOWN_KEY}")
            continue
        nested = _model_of(field.annotation)
        if nested is not None and isinstance(value, Mapping):
            value = _known_keys(nested, value, (*path, key), problems, project)
        kept[key] = value
    return kept


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model a field holds (`X`, `X | None`), if any."""
    candidates = [annotation, *typing.get_args(annotation)]
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)


def _all_config() -> dict[str, Any]:
    """Every config value the engine handed the program, by full key (`namespace:key`)."""
    return {**pulumi_config.get_config_env(), **pulumi_config.CONFIG.get()}


def unknown_namespaces(keys: Iterable[str], project: str = PROJECT) -> list[str]:
    """Keys in a namespace nobody reads (`erlmcp-infr:tags`): Pulumi would keep them quietly and
    the program would run without them."""
    known = (project, *KNOWN_NAMESPACES)
    problems = []
    for key in sorted(keys):
        namespace = key.split(":", 1)[0]
        if namespace in PROVIDER_NAMESPACES:
            problems.append(
                f"{key}: no provider reads it; every provider is explicit "
                "(regions/providers.py), AWS credentials come from the environment "
                "(AWS_PROFILE, AWS_ACCESS_KEY_ID...); remove it"
            )
        elif namespace not in known:
            problems.append(
                f"{key}: unknown config namespace {namespace!r} (typo of {project!r}?); "
                f"only {', '.join(known)} are read"
            )
    return problems


def plaintext_secrets(values: Mapping[str, Any], project: str = PROJECT) -> list[str]:
    """A pager endpoint holds its integration key: in plaintext config it would sit in the stack
    file and the repository's history."""
    return [
        f"{project}:{key}: must be secret config (`pulumi config set --secret --path "
        f"'{key}.page.<name>' https://...`); a plaintext value would be kept in the stack file"
        for key in SECRET_KEYS
        if f"{project}:{key}" in values and not pulumi_config.is_config_secret(f"{project}:{key}")
    ]


def default_providers_left_on(values: Mapping[str, Any]) -> list[str]:
    """A stack must disable default providers, so that a resource created without an explicit
    provider fails at once instead of silently reaching us-east-1 through a default one."""
    disabled = _decode(values.get(DISABLE_DEFAULT_PROVIDERS, "[]"))
    if isinstance(disabled, list) and "*" in disabled:
        return []
    return [f'{DISABLE_DEFAULT_PROVIDERS}: must be ["*"] (every provider is explicit)']


def read_project_config(
    project: str = PROJECT, values: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """This project's config values (from `values`, by default everything the engine handed
    the program), without the namespace."""
    prefix = f"{project}:"
    return {
        key.removeprefix(prefix): _decode(value)
        for key, value in (_all_config() if values is None else values).items()
        if key.startswith(prefix)
    }


def _decode(value: Any) -> Any:
    # Structured config arrives as JSON text; plain strings ("1.33") must stay strings.
    if isinstance(value, str) and value[:1] in ("{", "["):
        return json.loads(value)
    return value


def load_stack_config(project: str = PROJECT) -> StackConfig:
    """Parse this stack's config or stop the program, naming each bad key, before any resource."""
    values = _all_config()
    problems = unknown_namespaces(values, project) + default_providers_left_on(values)
    problems += plaintext_secrets(values, project)
    try:
        config = parse_stack_config(read_project_config(project, values), project)
    except ConfigError as error:
        problems.append(str(error))
    if problems:
        raise pulumi.RunError("invalid stack configuration:\n" + "\n".join(problems))
    _refuse_placeholders_in_a_real_update(config)
    return config


def _refuse_placeholders_in_a_real_update(config: StackConfig) -> None:
    """A placeholder stops `pulumi up` before anything is registered; a preview, and a render
    under the SDK's mock runtime (`make plan`, the tests), only warn."""
    found = config.placeholders()
    if not found:
        return
    if _rendered_offline():
        return  # the offline plan lists them (plan.json `placeholders`, plan.md)
    if pulumi.runtime.is_dry_run():
        for placeholder in found:
            pulumi.log.warn(f"placeholder in the stack file: {placeholder}")
        return
    raise pulumi.RunError(
        "the stack file still holds placeholders; replace them before `pulumi up`:\n"
        + "\n".join(found)
    )


def _rendered_offline() -> bool:
    return isinstance(pulumi_settings.get_monitor(), MockMonitor)
