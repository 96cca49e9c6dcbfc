"""Making pulumi-policy's servicer cheap to call offline, without changing what it decides.

The servicer (`pulumi_policy.policy._PolicyAnalyzerServicer`, pinned at 1.21.0) redoes work for
every policy of every resource: it converts the resource's protobuf properties again and wraps
the whole tree, and its provider's, in unknown-checking proxies, although most policies look at
one type and return. During each call offline/analyzer.py makes it use:

- `_each_message_decoded_once`: a `json_format` whose `MessageToDict` returns the same dict for
  the same message (the servicer's `deserialize_properties` only reads it and builds a new
  container for each policy, so no policy sees another's data);
- `_proxies_built_on_access`: proxies of pulumi-policy's own classes that wrap a child when it
  is first read, raising the same `UnknownValueError` naming the same path, and keeping a
  policy's writes to themselves; with them, each message's properties converted once
  (`_DeserializeOnce`) and shared by every policy.

- `_only_policies_for`: for one resource, only the resource policies that look at its type
  (`resource_types`, set by erlmcp_policies.common.resource_policy); the others would build the
  resource's arguments only to return at once, for every resource (57 policies, ~960 resources).

And instead of the servicer's `AnalyzeStack`, `analyze_stack_building_resources_once`: the same
method with the stack's resources built once for all the stack policies, not once per policy.

tests/test_plan.py renders a stack with and without them and compares the plans byte for byte;
tests/test_policy_speedups.py compares every kind of read with the eager proxies, and
tests/test_policy_speedups_stack.py every path of `AnalyzeStack` with the servicer's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from google.protobuf import json_format
from pulumi_policy import deserialize as pulumi_policy_deserialize
from pulumi_policy import policy as pulumi_policy_impl
from pulumi_policy import proxy as pulumi_policy_proxy


class _DecodeOnce:
    """`json_format` as pulumi-policy's servicer sees it during one call: `MessageToDict` converts
    each protobuf message once and hands the same dict to every later policy.

    The servicer converts a resource's properties again for every policy (pulumi-policy 1.21.0,
    pulumi_policy/policy.py, `_PolicyAnalyzerServicer.Analyze` line 997 and `AnalyzeStack` line
    1049: `deserialize_properties(json_format.MessageToDict(...))` inside the per-policy loop),
    which was half of the pack's time.
    Sharing the decoded dict is invisible to the policies: `deserialize_properties` only reads it.
    Its result is shared too (`_DeserializeOnce`, with the proxies built on access), and what
    keeps the policies apart is then the proxies, which never write into what they wrap.
    The messages are kept referenced while cached, so an `id` is never reused within a call.
    """

    def __init__(self) -> None:
        self._decoded: dict[int, tuple[Any, dict[str, Any]]] = {}

    def MessageToDict(self, message: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs:
            return json_format.MessageToDict(message, *args, **kwargs)
        cached = self._decoded.get(id(message))
        if cached is None:
            cached = (message, json_format.MessageToDict(message))
            self._decoded[id(message)] = cached
        return cached[1]

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)


@contextmanager
def _each_message_decoded_once() -> Iterator[None]:
    pulumi_policy_impl.json_format = _DecodeOnce()  # type: ignore[assignment]
    try:
        yield
    finally:
        pulumi_policy_impl.json_format = json_format


class _LazyDictProxy(pulumi_policy_proxy._DictProxy):
    """pulumi-policy's `_DictProxy`, wrapping a child when it is first read instead of wrapping
    the whole tree up front. pulumi-policy builds that tree for every policy and every resource
    (`unknown_checking_proxy` inside the servicer's per-policy loops, and again for each
    resource's provider), although most policies look at one resource type and return: that was
    about a third of the pack's time. A read raises `UnknownValueError` naming the same path,
    a write stays in the proxy (reads see it, the shared target does not), and the proxies are
    the same classes, so a policy cannot tell them apart."""

    def __init__(self, target: dict[str, Any], props_acc: list[str]) -> None:
        super().__init__(target, props_acc)
        self._lazy_target = target
        self._lazy_path = props_acc
        self._children: dict[Any, Any] = {}
        self._set: dict[Any, Any] = {}
        """What the policy set: kept here, never written into the target, which every policy of
        the call shares (`_DeserializeOnce`)."""

    def __getitem__(self, key: Any) -> Any:
        if key == "__target":
            # pulumi-policy's proxy keeps its (wrapped) children in a dict of its own.
            return {k: self._set[k] if k in self._set else self._child(k) for k in self}
        if key in self._set:  # returned as set, as pulumi-policy's proxy returns it
            return pulumi_policy_proxy._raise_if_unknown(key, self._set[key], self._lazy_path)
        pulumi_policy_proxy._raise_if_unknown(key, self._lazy_target[key], self._lazy_path)
        return self._child(key)

    def _child(self, key: Any) -> Any:
        if key not in self._children:
            self._children[key] = _on_access(
                self._lazy_target[key], pulumi_policy_proxy._append_prop(self._lazy_path, key)
            )
        return self._children[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._set[key] = value

    def __iter__(self) -> Iterator[Any]:
        yield from self._lazy_target
        yield from (key for key in self._set if key not in self._lazy_target)

    def __len__(self) -> int:
        return len(self._lazy_target) + sum(1 for key in self._set if key not in self._lazy_target)


class _LazyListProxy(pulumi_policy_proxy._ListProxy):
    """`_ListProxy`, each element wrapped when first read (see `_LazyDictProxy`)."""

    def __init__(self, target: list[Any], props_acc: list[str]) -> None:
        super().__init__(target, props_acc)
        self._lazy_target = target
        self._lazy_path = props_acc
        self._children: dict[int, Any] = {}

    def __getitem__(self, key: Any) -> Any:
        if key == "__target":
            return [self._child(index) for index in range(len(self._lazy_target))]
        if isinstance(key, slice):
            return [self[index] for index in range(len(self._lazy_target))[key]]
        index = range(len(self._lazy_target))[key]  # IndexError as a list raises it
        pulumi_policy_proxy._raise_if_unknown(key, self._lazy_target[index], self._lazy_path)
        return self._child(index)

    def _child(self, index: int) -> Any:
        if index not in self._children:
            self._children[index] = _on_access(
                self._lazy_target[index], pulumi_policy_proxy._append_prop(self._lazy_path, index)
            )
        return self._children[index]


def _on_access(value: Any, props_acc: list[str]) -> Any:
    if isinstance(value, list):
        return _LazyListProxy(value, props_acc)
    if isinstance(value, dict):
        return _LazyDictProxy(value, props_acc)
    return value


def _lazy_unknown_checking_proxy(props: dict[str, Any]) -> Any:
    return _on_access(props, [])


class _DeserializeOnce:
    """`deserialize_properties` as the servicer sees it during one call: each decoded message
    (the same dict every time, `_DecodeOnce`) is converted once, and every policy gets the same
    tree. The servicer only ever hands that tree to `unknown_checking_proxy`, so this is used
    only with the proxies built on access, which never write into their target."""

    def __init__(self) -> None:
        self._converted: dict[int, tuple[Any, dict[str, Any]]] = {}

    def __call__(self, props: dict[str, Any], proxy_secrets: bool = False) -> dict[str, Any]:
        if proxy_secrets:  # remediation's secret-preserving proxies: not shared
            return pulumi_policy_deserialize.deserialize_properties(props, proxy_secrets)
        cached = self._converted.get(id(props))
        if cached is None or cached[0] is not props:
            cached = (props, pulumi_policy_deserialize.deserialize_properties(props))
            self._converted[id(props)] = cached
        return cached[1]


@contextmanager
def _proxies_built_on_access() -> Iterator[None]:
    """Lazy proxies, and the properties converted once per message for them to share."""
    pulumi_policy_impl.unknown_checking_proxy = _lazy_unknown_checking_proxy  # type: ignore[assignment]
    pulumi_policy_impl.deserialize_properties = _DeserializeOnce()  # type: ignore[assignment]
    try:
        yield
    finally:
        pulumi_policy_impl.unknown_checking_proxy = pulumi_policy_proxy.unknown_checking_proxy
        pulumi_policy_impl.deserialize_properties = pulumi_policy_deserialize.deserialize_properties


@contextmanager
def _only_policies_for(servicer: Any, resource_type: str) -> Iterator[None]:
    """The servicer's policy list, for one `Analyze`, without the resource policies that do not
    look at `resource_type`. A policy that says nothing of its types (`resource_types` unset)
    always stays, and the order of the others is kept, so the diagnostics are the same."""
    attribute = "_PolicyAnalyzerServicer__policies"
    policies = getattr(servicer, attribute)
    setattr(
        servicer,
        attribute,
        [p for p in policies if resource_type in getattr(p, "resource_types", (resource_type,))],
    )
    try:
        yield
    finally:
        setattr(servicer, attribute, policies)


def analyze_stack_building_resources_once(servicer: Any, request: Any) -> Any:
    """The servicer's `AnalyzeStack`, with the stack's resources built once for all its policies.

    pulumi-policy 1.21.0 (pulumi_policy/policy.py, `AnalyzeStack`, lines 1031-1115) rebuilds every
    `PolicyResource` (properties, options, provider, parent and dependency links) inside its
    per-policy loop: with ~25 stack policies and ~960 resources that was ~0.6 s of a report's
    ~0.7 s, while the policies' own checks took ~0.1 s. This is that method with the loop body
    hoisted: the same enforcement levels, the same order of policies and diagnostics, the same
    handling of `UnknownValueError` and `_NotApplicableError`.

    What changes is that every policy of the call sees the same `PolicyResource` objects. Their
    properties are the on-access proxies (`_proxies_built_on_access`), which keep a policy's
    writes to itself, and each policy gets its own list; only an assignment to a resource
    object's own attributes (`parent`, `dependencies`) would reach later policies, and the pack's
    policies only read those. tests/test_policy_speedups_stack.py compares every diagnostic of
    both methods over a broken prod stack and over every path of the method.
    """
    impl = pulumi_policy_impl
    servicer._configure_runtime_settings()
    response = impl.proto.AnalyzeResponse()
    resources: list[Any] | None = None
    pack_name = servicer._PolicyAnalyzerServicer__policy_pack_name
    pack_version = servicer._PolicyAnalyzerServicer__policy_pack_version
    for policy in servicer._PolicyAnalyzerServicer__policies:
        level = servicer._get_enforcement_level(policy)
        if level == impl.EnforcementLevel.DISABLED or not isinstance(
            policy, impl.StackValidationPolicy
        ):
            continue
        if level == impl.EnforcementLevel.REMEDIATE:
            level = impl.EnforcementLevel.MANDATORY  # as the servicer: stacks are not remediated
        report_violation = servicer._create_report_violation(
            response, policy.name, policy.description, level, policy.severity
        )
        if resources is None:
            resources = _stack_policy_resources(servicer, request)
        args = impl.StackValidationArgs(
            list(resources),
            servicer._get_policy_config(policy.name),
            servicer._PolicyAnalyzerServicer__stack_tags,
        )
        try:
            result = policy.validate(args, report_violation)
            if impl.isawaitable(result):
                loop = impl.asyncio.new_event_loop()
                loop.run_until_complete(impl.asyncio.Task(result, loop=loop))
                loop.close()
        except impl.UnknownValueError as error:
            response.diagnostics.append(
                impl.proto.AnalyzeDiagnostic(
                    policyName=policy.name,
                    policyPackName=pack_name,
                    policyPackVersion=pack_version,
                    message=(
                        f"can't run policy '{policy.name}' from policy pack "
                        f"'{pack_name}@v{pack_version}' during preview: {error.message}"
                    ),
                    urn="",
                    description=policy.description,
                    enforcementLevel=servicer._map_enforcement_level(
                        impl.EnforcementLevel.ADVISORY
                    ),
                )
            )
        except impl._NotApplicableError as error:
            response.not_applicable.append(
                impl.proto.PolicyNotApplicable(policy_name=policy.name, reason=error.reason or "")
            )
    return response


class _PropertiesDecodedOnAccess(_LazyDictProxy):
    """A resource's (or its provider's) properties as a stack policy reads them: the on-access
    proxy (`_LazyDictProxy`) over the request's protobuf, decoded (`json_format.MessageToDict`,
    then `deserialize_properties`, as the servicer does) the first time a policy reads it. A
    stack policy looks at the few types it judges and skips the rest by `resource_type`, so most
    of a stack's ~1,000 resources were decoded for nothing: about half of building them."""

    def __init__(self, message: Any) -> None:
        pulumi_policy_proxy._DictProxy.__init__(self, {}, [])
        self._message = message
        self._decoded: dict[str, Any] | None = None
        self._lazy_path: list[str] = []
        self._children: dict[Any, Any] = {}
        self._set: dict[Any, Any] = {}

    @property  # type: ignore[override]
    def _lazy_target(self) -> dict[str, Any]:
        if self._decoded is None:
            impl = pulumi_policy_impl
            self._decoded = impl.deserialize_properties(
                impl.json_format.MessageToDict(self._message)
            )
        return self._decoded


def _stack_policy_resources(servicer: Any, request: Any) -> list[Any]:
    """The request's resources as `AnalyzeStack` hands them to a stack policy, parents and
    dependencies linked to the resource objects (pulumi-policy 1.21.0, lines 1047-1083)."""
    impl = pulumi_policy_impl
    by_urn: dict[str, Any] = {}
    links: list[tuple[Any, str, list[str], dict[str, list[str]]]] = []
    for r in request.resources:
        provider = None
        if r.HasField("provider"):  # as the servicer's `_get_provider_resource`, read lazily
            p = r.provider
            provider = impl.PolicyProviderResource(
                p.type, _PropertiesDecodedOnAccess(p.properties), p.urn, p.name
            )
        resource = impl.PolicyResource(
            r.type,
            _PropertiesDecodedOnAccess(r.properties),
            r.urn,
            r.name,
            servicer._get_resource_options(r),
            provider,
            None,
            [],
            {},
        )
        by_urn[resource.urn] = resource
        property_dependencies = {k: list(v.urns) for k, v in r.propertyDependencies.items()}
        links.append((resource, r.parent, list(r.dependencies), property_dependencies))
    for resource, parent, dependencies, property_dependencies in links:
        if parent is not None and parent in by_urn:
            resource.parent = by_urn[parent]
        resource.dependencies.extend(by_urn[d] for d in dependencies if d in by_urn)
        for key, urns in property_dependencies.items():
            resource.property_dependencies[key] = [by_urn[d] for d in urns if d in by_urn]
    return [link[0] for link in links]
