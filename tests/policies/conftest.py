"""Fixtures that run policies through the pack's analyzer, as the Pulumi engine does.

`analyze_resource(type_, inputs, ...)` sends one `Analyze` request (inputs in the engine's
camelCase; wrap a secret with `secret(...)`, mark an unknown with `UNKNOWN`) and returns the
diagnostics. `analyze_stack(resources)` sends one `AnalyzeStack` request for a RecordedStack or a
list of RecordedResource (build one with `fake_resource`). Both build the requests with
offline/analyzer.py, the code the offline runner uses, and configure the whole pack the way the
engine does (schema defaults, then `config`, a --policy-pack-config document).
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pytest

from offline.analyzer import (
    Diagnostic,
    StackPresentation,
    provider_resource,
    resource_options,
    resource_request,
    secret,
)
from offline.policy_runner import PolicyReport, pack_analyzer
from offline.recorder import UNKNOWN, RecordedResource, RecordedStack
from offline.stacks import stack_file_config
from tests.recordings import pack_report

__all__ = ["UNKNOWN", "fake_resource", "messages", "only", "secret"]

AnalyzeResource = Callable[..., list[Diagnostic]]
AnalyzeStack = Callable[..., list[Diagnostic]]


def _analyze_resource(
    type_: str,
    inputs: Mapping[str, Any],
    *,
    urn: str | None = None,
    name: str | None = None,
    config: Mapping[str, Any] | None = None,
    protect: bool = False,
    parent: str | None = None,
    ignore_changes: Iterable[str] = (),
    delete_before_replace: bool | None = None,
    provider: tuple[str, str, Mapping[str, Any]] | None = None,
    stack_tags: Mapping[str, str] | None = None,
    policies: Iterable[str] | None = None,
) -> list[Diagnostic]:
    """`provider` is (type, name, properties) of an explicit provider, e.g. the kubernetes one.

    `policies` loads only the named policies into the analyzer (default: the whole pack).
    """
    provider_msg = None
    if provider is not None:
        p_type, p_name, p_props = provider
        p_urn = f"urn:pulumi:test::erlmcp-infra::{p_type}::{p_name}"
        provider_msg = provider_resource(p_type, p_name, p_urn, p_props)
    request = resource_request(
        type_,
        inputs,
        urn=urn,
        name=name,
        options=resource_options(
            protect=protect,
            parent=parent,
            ignore_changes=list(ignore_changes),
            delete_before_replace=delete_before_replace,
        ),
        provider=provider_msg,
    )
    only = list(policies) if policies is not None else None
    return pack_analyzer(config, stack_tags, only).analyze(request)


def _analyze_stack(
    resources: RecordedStack | Iterable[RecordedResource],
    config: Mapping[str, Any] | None = None,
    *,
    stack_config: Mapping[str, Any] | None = None,
    preview: bool = False,
    policies: Iterable[str] | None = None,
) -> list[Diagnostic]:
    """`policies` loads only the named policies (the whole stack takes ~0.3 s per policy)."""
    if not isinstance(resources, RecordedStack):
        resources = RecordedStack(project="erlmcp-infra", stack="test", resources=list(resources))
    presentation = StackPresentation(resources, stack_config=stack_config or {}, preview=preview)
    only = list(policies) if policies is not None else None
    analyzer = pack_analyzer(config, only=only)
    return analyzer.analyze_stack(presentation.analyze_stack_request())


@pytest.fixture
def analyze_resource() -> AnalyzeResource:
    """analyze_resource(type_, inputs, *, urn=None, name=None, config=None, ...) -> diagnostics."""
    return _analyze_resource


@pytest.fixture
def analyze_stack() -> AnalyzeStack:
    """analyze_stack(resources, config=None) -> diagnostics of the stack policies."""
    return _analyze_stack


def fake_resource(
    type_: str,
    properties: Mapping[str, Any],
    *,
    name: str,
    outputs: Mapping[str, Any] | None = None,
    parent: str | None = None,
    region: str | None = None,
    provider: str | None = None,
    dependencies: Iterable[str] = (),
    protect: bool = False,
    stack: str = "test",
) -> RecordedResource:
    """A hand-made resource for `analyze_stack`; outputs default to the inputs."""
    parent_type = parent.split("::")[2] if parent else ""
    qualified = f"{parent_type}${type_}" if parent_type else type_
    return RecordedResource(
        urn=f"urn:pulumi:{stack}::erlmcp-infra::{qualified}::{name}",
        type=type_,
        name=name,
        custom=not type_.startswith("erlmcp:"),
        parent=parent,
        provider=provider,
        # Deep copies: a test that changes only one side must not change the other by accident.
        inputs=copy.deepcopy(dict(properties)),
        outputs=copy.deepcopy(dict(outputs if outputs is not None else properties)),
        dependencies=list(dependencies),
        property_dependencies={},
        protect=protect,
        retain_on_delete=False,
        delete_before_replace=False,
        ignore_changes=[],
        additional_secret_outputs=[],
        aliases=[],
        id=f"{name}-id",
        region=region,
    )


def only(diagnostics: Iterable[Diagnostic], policy: str) -> list[Diagnostic]:
    """The diagnostics of one policy."""
    return [d for d in diagnostics if d.policy == policy]


def messages(diagnostics: Iterable[Diagnostic], policy: str | None = None) -> list[str]:
    """The violation messages (without the policy description), optionally of one policy."""
    return [d.detail for d in diagnostics if policy is None or d.policy == policy]


@pytest.fixture(scope="session")
def prod_stack_config() -> dict[str, Any]:
    return stack_file_config()


@pytest.fixture(scope="session")
def prod_report(prod_stack: RecordedStack, prod_stack_config: dict[str, Any]) -> PolicyReport:
    """The whole pack over the prod stack (recorded once per session), as the runner runs it."""
    return pack_report(prod_stack, stack_config=prod_stack_config)


@pytest.fixture(scope="session")
def prod_stack_bytes(prod_stack: RecordedStack) -> bytes:
    return pickle.dumps(prod_stack, protocol=pickle.HIGHEST_PROTOCOL)


@pytest.fixture
def broken_prod(prod_stack_bytes: bytes) -> RecordedStack:
    """A deep copy of the recorded prod stack, for a test to break (unpickled from bytes made
    once: half of `copy.deepcopy`'s time, and some hundred tests take one)."""
    return pickle.loads(prod_stack_bytes)


def resource_named(stack: RecordedStack, name: str) -> RecordedResource:
    return stack.named(name)


def set_property(stack: RecordedStack, name: str, path: str, new: Any) -> None:
    """Set a dotted property path (`spec.replicas`, `aliases.0.name`) in inputs and outputs."""
    resource = stack.named(name)
    for props in (resource.inputs, resource.outputs):
        *parents, last = path.split(".")
        target = props
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target.setdefault(key, {})
        if isinstance(target, list):
            target[int(last)] = new
        else:
            target[last] = new


def drop_property(stack: RecordedStack, name: str, key: str) -> None:
    """Remove a top-level property and the dependencies recorded for it."""
    resource = stack.named(name)
    resource.inputs.pop(key, None)
    resource.outputs.pop(key, None)
    resource.property_dependencies.pop(key, None)


def drop_resource(stack: RecordedStack, name: str) -> RecordedResource:
    """Remove a resource, and every reference to it, as if the program never created it."""
    gone = stack.named(name)
    stack.resources.remove(gone)
    for resource in stack.resources:
        resource.dependencies = [d for d in resource.dependencies if d != gone.urn]
        for key, urns in list(resource.property_dependencies.items()):
            resource.property_dependencies[key] = [u for u in urns if u != gone.urn]
    return gone
