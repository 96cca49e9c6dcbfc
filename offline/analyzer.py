"""Present a recorded stack to a policy pack's analyzer the way the Pulumi engine does.

The engine talks to a Python policy pack over gRPC; `pulumi_policy.policy._PolicyAnalyzerServicer`
is the object behind that gRPC service. Here we call it in-process with the same protobuf messages
the engine sends (pulumi-policy's own tests do the same; the class is private, so pulumi-policy is
pinned):

- `GetAnalyzerInfo` to learn the policies, their enforcement levels and config schemas;
- `Configure` with the pack config reconciled like the engine's `ReconcilePolicyPackConfig`:
  schema defaults, then the pack's initial config, then the user's config; validated against the
  schemas;
- `ConfigureStack` with the stack's tags;
- `Analyze` once per resource with its *inputs* (engine camelCase names; secrets keep the secret
  signature, unknowns the unknown sentinel), options and provider;
- `AnalyzeStack` once with every resource's *outputs* (the engine checks the final state there),
  parent, dependencies and property dependencies.

Tests build single resources with `resource_request`; the offline runner converts a whole
`RecordedStack` with `StackPresentation`. Both use the functions below, so what a unit test sends
is what the runner sends.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pulumi
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi import output as pulumi_output
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import policy as pulumi_policy_impl
from pulumi_policy.policy import EnforcementLevel, Policy

from offline.gc_control import collector_paused
from offline.kept_messages import KeptMessages, cache_key
from offline.policy_speedups import (
    _each_message_decoded_once,
    _only_policies_for,
    _proxies_built_on_access,
)
from offline.policy_speedups import (
    analyze_stack_building_resources_once as _analyze_stack,
)
from offline.recorder import SECRET_SIG, SIG_KEY, UNKNOWN, RecordedResource, RecordedStack
from regions.providers import default_provider_name

ENFORCEMENT_LEVEL_NAMES = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
_LEVEL_TO_PROTO = {name: level for level, name in ENFORCEMENT_LEVEL_NAMES.items()}


class PolicyConfigError(ValueError):
    """The pack config names an invalid enforcement level or breaks a policy's config schema."""


def secret(value: Any) -> dict[str, Any]:
    """A property value wrapped the way the engine marks secrets."""
    return {SIG_KEY: SECRET_SIG, "value": value}


# ---------------------------------------------------------------------------------------------
# Properties and single resources


def to_struct(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    """A property map as the engine marshals it for analyzers (keep unknowns, keep secrets)."""
    key = cache_key(properties)
    encoded = _ENCODED_STRUCTS.get(key)
    if encoded is not None:
        return struct_pb2.Struct.FromString(encoded)
    struct = _struct_of(properties)
    _ENCODED_STRUCTS.keep(key, struct.SerializeToString())
    return struct


_ENCODED_STRUCTS = KeptMessages(kept=20_000)
# One `AnalyzeStackRequest` per resource, each holding that resource alone: concatenated, such
# requests parse as one request holding them all (parsing concatenated messages merges them, and
# a merge appends a repeated field's elements: protobuf.dev/programming-guides/encoding,
# "Last One Wins").
_ENCODED_STACK_ENTRIES = KeptMessages(kept=20_000)


def _struct_of(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    json_format.ParseDict(_jsonable(properties), struct)
    return struct


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, pulumi_output.Unknown):
        # The SDK's own stand-in for an unknown nested value (preview): the engine's sentinel.
        return UNKNOWN
    if isinstance(value, pulumi.Asset | pulumi.Archive):
        return asset_value(value)
    raise TypeError(f"cannot present a {type(value).__name__} to the analyzer: {value!r}")


# How the engine marshals assets and archives (pulumi/sdk/python/lib/pulumi/runtime/rpc.py,
# `_special_asset_sig`, `_special_archive_sig`, and `serialize_property` for each kind).
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"


def asset_value(value: pulumi.Asset | pulumi.Archive) -> dict[str, Any]:
    if isinstance(value, pulumi.AssetArchive):
        return {SIG_KEY: ARCHIVE_SIG, "assets": {k: _jsonable(v) for k, v in value.assets.items()}}
    sig = ARCHIVE_SIG if isinstance(value, pulumi.Archive) else ASSET_SIG
    for kind in ("path", "text", "uri"):
        if hasattr(value, kind):
            return {SIG_KEY: sig, kind: getattr(value, kind)}
    raise TypeError(f"cannot present a {type(value).__name__} to the analyzer")


def resource_options(
    *,
    protect: bool = False,
    ignore_changes: Sequence[str] = (),
    delete_before_replace: bool | None = None,
    additional_secret_outputs: Sequence[str] = (),
    aliases: Sequence[str] = (),
    custom_timeouts: Mapping[str, float] | None = None,
    parent: str | None = None,
) -> analyzer_pb2.AnalyzerResourceOptions:
    options = analyzer_pb2.AnalyzerResourceOptions(
        protect=protect,
        ignoreChanges=list(ignore_changes),
        deleteBeforeReplace=bool(delete_before_replace),
        deleteBeforeReplaceDefined=delete_before_replace is not None,
        additionalSecretOutputs=list(additional_secret_outputs),
        aliases=list(aliases),
        parent=parent or "",
    )
    if custom_timeouts:
        options.customTimeouts.CopyFrom(
            analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(**custom_timeouts)
        )
    return options


def provider_resource(
    type_: str, name: str, urn: str, properties: Mapping[str, Any]
) -> analyzer_pb2.AnalyzerProviderResource:
    return analyzer_pb2.AnalyzerProviderResource(
        type=type_, name=name, urn=urn, properties=to_struct(properties)
    )


def default_urn(stack: str, project: str, type_: str, name: str, parent_type: str = "") -> str:
    qualified = f"{parent_type}${type_}" if parent_type else type_
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def resource_request(
    type_: str,
    properties: Mapping[str, Any],
    *,
    urn: str | None = None,
    name: str | None = None,
    options: analyzer_pb2.AnalyzerResourceOptions | None = None,
    provider: analyzer_pb2.AnalyzerProviderResource | None = None,
    stack: str = "test",
    project: str = "erlmcp-infra",
) -> analyzer_pb2.AnalyzeRequest:
    """The `Analyze` request for one resource (its inputs)."""
    name = name or (urn.rsplit("::", 1)[-1] if urn else "subject")
    request = analyzer_pb2.AnalyzeRequest(
        type=type_,
        name=name,
        urn=urn or default_urn(stack, project, type_, name),
        properties=to_struct(properties),
        options=options or resource_options(),
    )
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def stack_resource(
    type_: str,
    properties: Mapping[str, Any],
    *,
    urn: str | None = None,
    name: str | None = None,
    options: analyzer_pb2.AnalyzerResourceOptions | None = None,
    provider: analyzer_pb2.AnalyzerProviderResource | None = None,
    parent: str | None = None,
    dependencies: Sequence[str] = (),
    property_dependencies: Mapping[str, Sequence[str]] | None = None,
    stack: str = "test",
    project: str = "erlmcp-infra",
) -> analyzer_pb2.AnalyzerResource:
    """One entry of an `AnalyzeStack` request (its outputs, graph edges)."""
    name = name or (urn.rsplit("::", 1)[-1] if urn else "subject")
    resource = analyzer_pb2.AnalyzerResource(
        type=type_,
        name=name,
        urn=urn or default_urn(stack, project, type_, name),
        properties=to_struct(properties),
        options=options or resource_options(parent=parent),
        parent=parent or "",
        dependencies=list(dependencies),
    )
    for key, urns in (property_dependencies or {}).items():
        resource.propertyDependencies[key].urns.extend(urns)
    if provider is not None:
        resource.provider.CopyFrom(provider)
    return resource


# ---------------------------------------------------------------------------------------------
# A recorded stack, as the engine would present it


def with_unknowns_from(outputs: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Outputs as a preview shows them: a top-level input that is unknown stays unknown."""
    merged = dict(outputs)
    for key, value in inputs.items():
        if value == UNKNOWN:
            merged[key] = UNKNOWN
    return merged


def _package_of(type_: str) -> str:
    return type_.split(":", 1)[0]


@dataclass
class StackPresentation:
    """Everything the engine would send the analyzer for one recorded stack.

    Adds what the mock runtime never sees but the engine has: the root `pulumi:pulumi:Stack`
    resource (parent of every top-level resource) and the default provider of each package that
    some resource uses without an explicit provider (properties: that package's stack config).
    With `preview=True` each resource's outputs keep its unknown inputs unknown.
    """

    recorded: RecordedStack
    stack_config: Mapping[str, Any] = field(default_factory=dict)
    preview: bool = False

    def __post_init__(self) -> None:
        project, stack = self.recorded.project, self.recorded.stack
        self.stack_urn = default_urn(stack, project, "pulumi:pulumi:Stack", f"{project}-{stack}")
        self._providers: dict[str, tuple[str, str, str, dict[str, Any]]] = {}
        self._default_providers: dict[str, str] = {}
        self._synthetic: list[analyzer_pb2.AnalyzerResource] = []
        for resource in self.recorded.resources:
            if resource.is_provider:
                props = resource.inputs
                self._providers[resource.urn] = (resource.type, resource.name, resource.urn, props)
        for resource in self.recorded.resources:
            if resource.custom and not resource.is_provider and not resource.provider:
                self._ensure_default_provider(_package_of(resource.type))

    def _ensure_default_provider(self, package: str) -> None:
        if package in self._default_providers:
            return
        project, stack = self.recorded.project, self.recorded.stack
        type_ = f"pulumi:providers:{package}"
        name = default_provider_name(package)
        urn = default_urn(stack, project, type_, name)
        prefix = f"{package}:"
        properties = {
            key.removeprefix(prefix): value if isinstance(value, str) else json.dumps(value)
            for key, value in self.stack_config.items()
            if key.startswith(prefix)
        }
        self._default_providers[package] = urn
        self._providers[urn] = (type_, name, urn, properties)

    def parent_of(self, resource: RecordedResource) -> str:
        return resource.parent or self.stack_urn

    def provider_of(
        self, resource: RecordedResource
    ) -> analyzer_pb2.AnalyzerProviderResource | None:
        known = self._provider_entry(resource)
        return None if known is None else provider_resource(*known)

    def _provider_entry(self, resource: RecordedResource) -> tuple[str, str, str, dict] | None:
        """(type, name, urn, properties) of the resource's provider, None if it has none."""
        if resource.provider:
            # A provider reference is "<urn>::<id>"; during a preview the id may be unknown.
            return self._providers.get(resource.provider.rsplit("::", 1)[0])
        if resource.custom and not resource.is_provider:
            return self._providers[self._default_providers[_package_of(resource.type)]]
        return None

    def options_of(self, resource: RecordedResource) -> analyzer_pb2.AnalyzerResourceOptions:
        return resource_options(
            protect=resource.protect,
            ignore_changes=resource.ignore_changes,
            # The SDK always sends the flag; the engine's goal carries it as set.
            delete_before_replace=resource.delete_before_replace,
            additional_secret_outputs=resource.additional_secret_outputs,
            aliases=[a.get("urn", "") for a in resource.aliases if a.get("urn")],
            parent=self.parent_of(resource),
        )

    def analyze_requests(self) -> list[analyzer_pb2.AnalyzeRequest]:
        """One `Analyze` request per registered resource, in registration order."""
        return [
            resource_request(
                r.type,
                r.inputs,
                urn=r.urn,
                name=r.name,
                options=self.options_of(r),
                provider=self.provider_of(r),
            )
            for r in self.recorded.resources
        ]

    def analyze_stack_request(self) -> analyzer_pb2.AnalyzeStackRequest:
        """The single `AnalyzeStack` request: the root stack, default providers, every resource."""
        project, stack = self.recorded.project, self.recorded.stack
        resources = [
            stack_resource(
                "pulumi:pulumi:Stack",
                self.recorded.outputs,
                urn=self.stack_urn,
                name=f"{project}-{stack}",
            )
        ]
        for urn in self._default_providers.values():
            type_, name, _, properties = self._providers[urn]
            resources.append(stack_resource(type_, properties, urn=urn, name=name))
        encoded = [
            analyzer_pb2.AnalyzeStackRequest(resources=resources).SerializeToString(),
            *(self._encoded_stack_entry(r) for r in self.recorded.resources),
        ]
        return analyzer_pb2.AnalyzeStackRequest.FromString(b"".join(encoded))

    def _encoded_stack_entry(self, r: RecordedResource) -> bytes:
        """A request holding only `r`'s entry, serialized (kept for the next equal resource)."""
        key = cache_key((self.stack_urn, self.preview, r, self._provider_entry(r)))
        encoded = _ENCODED_STACK_ENTRIES.get(key)
        if encoded is None:
            outputs = with_unknowns_from(r.outputs, r.inputs) if self.preview else r.outputs
            entry = stack_resource(
                r.type,
                outputs,
                urn=r.urn,
                name=r.name,
                options=self.options_of(r),
                provider=self.provider_of(r),
                parent=self.parent_of(r),
                dependencies=r.dependencies,
                property_dependencies=r.property_dependencies,
            )
            encoded = analyzer_pb2.AnalyzeStackRequest(resources=[entry]).SerializeToString()
            _ENCODED_STACK_ENTRIES.keep(key, encoded)
        return encoded


# ---------------------------------------------------------------------------------------------
# The analyzer


@dataclass(frozen=True)
class Diagnostic:
    """One policy violation as the engine reports it."""

    policy: str
    enforcement_level: str
    urn: str
    message: str
    description: str
    pack: str

    @property
    def detail(self) -> str:
        """The message without the policy description the servicer puts in front of it."""
        head = self.description + "\n"
        return self.message[len(head) :] if self.message.startswith(head) else self.message

    @property
    def mandatory(self) -> bool:
        return self.enforcement_level == "mandatory"

    @classmethod
    def from_proto(cls, d: analyzer_pb2.AnalyzeDiagnostic) -> Diagnostic:
        return cls(
            policy=d.policyName,
            enforcement_level=ENFORCEMENT_LEVEL_NAMES.get(d.enforcementLevel, "advisory"),
            urn=d.urn,
            message=d.message,
            description=d.description,
            pack=d.policyPackName,
        )


def parse_policy_config(raw: Mapping[str, Any]) -> dict[str, tuple[str | None, dict[str, Any]]]:
    """A `--policy-pack-config` document: policy -> level string, or object with `enforcementLevel`.

    Returns policy -> (enforcement level or None, properties), as the engine parses it.
    """
    parsed: dict[str, tuple[str | None, dict[str, Any]]] = {}
    for policy, value in raw.items():
        if isinstance(value, str):
            parsed[policy] = (_valid_level(policy, value), {})
        elif isinstance(value, Mapping):
            properties = dict(value)
            level = properties.pop("enforcementLevel", None)
            checked = _valid_level(policy, level) if level is not None else None
            parsed[policy] = (checked, properties)
        else:
            raise PolicyConfigError(
                f"parsing {policy!r}: {value!r} is not a valid value; must be a string or object"
            )
    return parsed


def _valid_level(policy: str, level: Any) -> str:
    if level not in _LEVEL_TO_PROTO:
        raise PolicyConfigError(
            f"parsing enforcement level for {policy!r}: {level!r} is not a valid enforcement level"
        )
    return level


def merge_policy_config(*configs: Mapping[str, Any] | None) -> dict[str, Any]:
    """Layer pack-config documents: later ones win per policy and per property."""
    merged: dict[str, dict[str, Any]] = {}
    for config in configs:
        for policy, (level, properties) in parse_policy_config(config or {}).items():
            entry = merged.setdefault(policy, {})
            entry.update(copy.deepcopy(properties))
            if level is not None:
                entry["enforcementLevel"] = level
    return merged


class PackAnalyzer:
    """A policy pack's analyzer servicer, configured and driven as the engine drives it."""

    def __init__(
        self,
        policies: list[Policy],
        *,
        name: str,
        version: str = "0.0.1",
        enforcement_level: EnforcementLevel = EnforcementLevel.ADVISORY,
        initial_config: dict[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        stack_tags: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.servicer = pulumi_policy_impl._PolicyAnalyzerServicer(
            name, version, policies, enforcement_level, initial_config
        )
        self.info = self.servicer.GetAnalyzerInfo(empty_pb2.Empty(), None)
        self.levels = self._configure(initial_config or {}, config or {})
        self.servicer.ConfigureStack(
            analyzer_pb2.AnalyzerStackConfigureRequest(tags=dict(stack_tags or {})), None
        )

    def _configure(
        self, initial_config: Mapping[str, Any], config: Mapping[str, Any]
    ) -> dict[str, str]:
        """Defaults from each schema, then the initial config, then the user's; then validate."""
        import jsonschema  # the test extras and `make install` bring it (kubernetes-validate)

        reconciled: dict[str, tuple[str, dict[str, Any]]] = {}
        schemas: dict[str, dict[str, Any]] = {}
        for info in self.info.policies:
            schema = json_format.MessageToDict(info.configSchema.properties)
            defaults = {k: copy.deepcopy(v["default"]) for k, v in schema.items() if "default" in v}
            reconciled[info.name] = (ENFORCEMENT_LEVEL_NAMES[info.enforcementLevel], defaults)
            schemas[info.name] = {"type": "object", "properties": schema}
            if info.configSchema.required:
                schemas[info.name]["required"] = list(info.configSchema.required)
        known = set(reconciled)
        for layer in (_initial_config_document(initial_config), config):
            parsed = parse_policy_config(layer)
            unknown = sorted(set(parsed) - known - {"all"})
            if unknown:
                raise PolicyConfigError(f"the pack has no policy named {', '.join(unknown)}")
            if "all" in parsed and parsed["all"][0] is not None:
                reconciled = {k: (parsed["all"][0], v) for k, (_, v) in reconciled.items()}
            for policy, (level, properties) in parsed.items():
                if policy == "all":
                    continue
                current_level, current = reconciled[policy]
                reconciled[policy] = (level or current_level, {**current, **properties})
        errors = []
        for policy, (_, properties) in reconciled.items():
            validator = jsonschema.Draft7Validator(schemas[policy])
            for error in sorted(validator.iter_errors(properties), key=str):
                where = ".".join(str(p) for p in error.absolute_path)
                errors.append(f"{policy}: {where + ': ' if where else ''}{error.message}")
        if errors:
            raise PolicyConfigError("invalid policy pack config:\n  " + "\n  ".join(errors))
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for policy, (level, properties) in reconciled.items():
            request.policyConfig[policy].CopyFrom(
                analyzer_pb2.PolicyConfig(
                    enforcementLevel=_LEVEL_TO_PROTO[level], properties=to_struct(properties)
                )
            )
        self.servicer.Configure(request, None)
        return {policy: level for policy, (level, _) in reconciled.items()}

    def analyze(self, request: analyzer_pb2.AnalyzeRequest) -> list[Diagnostic]:
        with (
            collector_paused(),
            _each_message_decoded_once(),
            _proxies_built_on_access(),
            _only_policies_for(self.servicer, request.type),
        ):
            response = self.servicer.Analyze(request, None)
        # The engine reports every resource diagnostic against the analyzed resource.
        return [replace(Diagnostic.from_proto(d), urn=request.urn) for d in response.diagnostics]

    def analyze_stack(self, request: analyzer_pb2.AnalyzeStackRequest) -> list[Diagnostic]:
        with collector_paused(), _each_message_decoded_once(), _proxies_built_on_access():
            response = _analyze_stack(self.servicer, request)
        return [Diagnostic.from_proto(d) for d in response.diagnostics]

    def analyze_all(self, requests: Iterable[analyzer_pb2.AnalyzeRequest]) -> list[Diagnostic]:
        found: list[Diagnostic] = []
        with collector_paused():
            for request in requests:
                found.extend(self.analyze(request))
        return found


def _initial_config_document(initial_config: Mapping[str, Any]) -> dict[str, Any]:
    """The pack's programmatic initial config in the JSON document form."""
    document: dict[str, Any] = {}
    for policy, value in initial_config.items():
        document[policy] = value.value if isinstance(value, EnforcementLevel) else dict(value)
        level = value.get("enforcementLevel") if isinstance(value, Mapping) else None
        if isinstance(level, EnforcementLevel):
            document[policy]["enforcementLevel"] = level.value
    return document
