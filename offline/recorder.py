"""Run a Pulumi program in-process under the SDK's mock runtime and record every registration.

The engine is replaced by a `MockMonitor` subclass that keeps what the real engine would be told
for each resource: its inputs exactly as serialized (engine camelCase names, secrets wrapped in the
secret signature), parent, dependencies, property dependencies, provider, protect, aliases and
retain-on-delete. Tests, the policy runner and the offline plan all read this record.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi import _types as pulumi_types
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import rpc, settings
from pulumi.runtime.proto import resource_pb2, source_pb2
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from offline.gc_control import collector_paused
from offline.mocks import RealisticMocks

SECRET_SIG = rpc._special_secret_sig
SIG_KEY = rpc._special_sig_key
UNKNOWN = rpc.UNKNOWN

_NO_ROOT_YET: Any = object()
_REGION_IN_KUBECONFIG = re.compile(r'"--region",\s*"([a-z0-9-]+)"')


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def reveal(value: Any) -> Any:
    """The plain value behind secret wrappers, recursively (for assertions only)."""
    if is_secret(value):
        return reveal(value["value"])
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


@dataclass
class RecordedResource:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool
    ignore_changes: list[str]
    additional_secret_outputs: list[str]
    aliases: list[dict[str, Any]]
    id: str | None
    region: str | None = None
    replace_on_changes: list[str] = field(default_factory=list)
    custom_timeouts: dict[str, str] = field(default_factory=dict)

    @property
    def plain_inputs(self) -> dict[str, Any]:
        """Inputs with secret wrappers removed; use only to assert on values."""
        return reveal(self.inputs)

    @property
    def is_provider(self) -> bool:
        return self.type.startswith("pulumi:providers:")


@dataclass
class RecordedStack:
    project: str
    stack: str
    resources: list[RecordedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def by_urn(self) -> dict[str, RecordedResource]:
        return {r.urn: r for r in self.resources}

    def of_type(self, type_: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> RecordedResource:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources are named {name!r}")
        return matches[0]

    def one(self, type_: str, name: str) -> RecordedResource:
        matches = [r for r in self.resources if r.type == type_ and r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources of type {type_} are named {name!r}")
        return matches[0]

    def children_of(self, urn: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.parent == urn]

    def descendants_of(self, urn: str) -> list[RecordedResource]:
        found: list[RecordedResource] = []
        frontier = [urn]
        while frontier:
            current = frontier.pop()
            for child in self.children_of(current):
                found.append(child)
                frontier.append(child.urn)
        return found

    def urns(self) -> set[str]:
        return {r.urn for r in self.resources}


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that records registrations the way the engine receives them."""

    def __init__(self, mocks: RealisticMocks) -> None:
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []
        self.stack_outputs: dict[str, Any] = {}
        self._stack_urn: str | None = None
        self._provider_regions: dict[str, str] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine leaves the root stack's type out of its children's qualified types.
        if parent and "::pulumi:pulumi:Stack::" not in parent:
            parent_type = parent.split("::")[2]
            type_ = f"{parent_type}${type_}"
        return f"urn:pulumi:{settings.get_stack()}::{settings.get_project()}::{type_}::{name}"

    def RegisterResource(self, request):
        if request.type == "pulumi:pulumi:Stack":
            urn = self.make_urn("", request.type, request.name)
            self._stack_urn = urn
            return resource_pb2.RegisterResourceResponse(urn=urn)

        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = json_format.MessageToDict(request.object)
        mock_inputs = rpc.deserialize_properties(request.object)
        region = self._placement_region(request, inputs)
        mock_args = pulumi_mocks.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=mock_inputs,
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
        )
        mock_args.region = region  # type: ignore[attr-defined]
        resource_id, state = self.mocks.new_resource(mock_args)
        for key in request.additionalSecretOutputs:
            if key in state and not rpc.is_rpc_secret(state[key]):
                state[key] = rpc.wrap_rpc_secret(state[key])

        parent = request.parent or None
        if parent == self._stack_urn:
            parent = None
        self.recorded.append(
            RecordedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=parent,
                provider=request.provider or None,
                inputs=inputs,
                outputs=state,
                # The SDK collects these in sets: sorted, so that two runs record the same.
                dependencies=sorted(request.dependencies),
                property_dependencies={
                    key: sorted(deps.urns)
                    for key, deps in sorted(request.propertyDependencies.items())
                },
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                delete_before_replace=bool(request.deleteBeforeReplace),
                ignore_changes=list(request.ignoreChanges),
                additional_secret_outputs=list(request.additionalSecretOutputs),
                aliases=[json_format.MessageToDict(a) for a in request.aliases],
                id=resource_id if request.custom else None,
                region=region,
                replace_on_changes=list(request.replaceOnChanges),
                custom_timeouts={
                    key: value
                    for key, value in json_format.MessageToDict(request.customTimeouts).items()
                    if value
                },
            )
        )
        if request.type.startswith("pulumi:providers:kubernetes"):
            cluster_region = self.kubeconfig_region(inputs.get("kubeconfig"))
            if cluster_region:
                self._provider_regions[f"{urn}::{resource_id}"] = cluster_region

        obj_proto = serialized_without_a_loop(urn, state)
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, resource_id, state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=obj_proto)

    def RegisterResourceOutputs(self, request):
        if request.urn == self._stack_urn:
            self.stack_outputs = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)

    def _placement_region(self, request, inputs: dict[str, Any]) -> str | None:
        """Where a resource lives: its own `region` input, or its Kubernetes cluster's region."""
        region = inputs.get("region")
        if isinstance(region, str) and region != UNKNOWN:
            return region
        if request.type.startswith("kubernetes:") and request.provider:
            return self._provider_regions.get(request.provider)
        return None

    @staticmethod
    def kubeconfig_region(kubeconfig: Any) -> str | None:
        if is_secret(kubeconfig):
            kubeconfig = kubeconfig["value"]
        if not isinstance(kubeconfig, str):
            return None
        found = _REGION_IN_KUBECONFIG.search(kubeconfig)
        return found.group(1) if found else None


def serialized_without_a_loop(urn: str, state: dict[str, Any]) -> Any:
    """`rpc.serialize_properties` of a mock's plain state, run to its end in place.

    The SDK's MockMonitor hands the coroutine to `_sync_await`, which spins an event loop per
    resource in a pool thread (about a tenth of a render), and on the loop's own thread, where
    `monitor_called_in_place` calls the monitor, would run the loop inside itself. Over plain
    values (what the mocks return) the coroutine never waits and gives what protobuf's own
    `Struct` assignment gives, minus the top-level properties that are None (pulumi/runtime/rpc.py
    `serialize_properties`, `serialize_property`): that is done directly, a third of the time.
    Anything else (a Lambda's code archive) goes through the coroutine, driven by hand; a state
    that would make it wait is a mock's mistake: it is refused, naming the resource.
    """
    struct = struct_pb2.Struct()
    try:
        for key in state:
            value = state[key]
            if value is not None:  # as the SDK: a property that is None is left out
                struct[key] = value
        return struct
    except ValueError:  # not plain data (an archive, an Output): the SDK's own path
        return _run_without_waiting(
            rpc.serialize_properties(state, {}),
            f"the mocks' state for {urn} holds a value that must be awaited: {state!r}",
        )


def _run_without_waiting(coroutine: Any, refusal: str) -> Any:
    """A coroutine that never waits, run to its end in place; TypeError(refusal) if it would."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value
    coroutine.close()
    raise TypeError(refusal)


class _InPlaceExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs each call where it is submitted and hands back its finished future."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:
            future.set_exception(error)
        return future


def _mock_answer_serialized_in_place(awaitable: Any) -> Any:
    return _run_without_waiting(
        awaitable, f"a mock's answer holds a value that must be awaited: {awaitable!r}"
    )


@contextmanager
def monitor_called_in_place() -> Iterator[None]:
    """The SDK sends every call to the monitor (each registration, invoke and output) through
    `run_in_executor(None, ...)` (pulumi/runtime/resource.py, invoke.py, settings.py, stack.py):
    a thread of the loop's default pool for an RPC to the engine. The mock monitor answers at
    once, so while a recording runs each call is made in place on the loop's thread instead;
    the SDK still awaits its answer as a future. The SDK's MockMonitor serializes an invoke's
    answer through `_sync_await`, which on the loop's own thread would run the loop inside
    itself: it is driven to its end in place, as `serialized_without_a_loop` does for states.
    About 9 % of a render; the registrations also come in one order from run to run."""
    loop = _ensure_event_loop()
    previous = loop._default_executor  # type: ignore[attr-defined]
    sync_await = pulumi_mocks._sync_await
    loop.set_default_executor(_InPlaceExecutor(max_workers=1))
    pulumi_mocks._sync_await = _mock_answer_serialized_in_place
    try:
        yield
    finally:
        loop._default_executor = previous  # type: ignore[attr-defined]
        pulumi_mocks._sync_await = sync_await


@contextmanager
def source_positions_skipped() -> Iterator[None]:
    """The SDK walks the Python stack of every registration to tell the engine which line made
    the resource (`traceback.extract_stack`, a path per frame). The mock monitor drops it, so the
    walk is skipped while a recording runs: about 6 % of its time."""
    walk = pulumi_resource._get_stack_trace
    pulumi_resource._get_stack_trace = source_pb2.StackTrace
    try:
        yield
    finally:
        pulumi_resource._get_stack_trace = walk


@contextmanager
def type_hints_unwrapped_once() -> Iterator[None]:
    """The SDK unwraps the same few hundred type hints (`Output[T]`, `Optional[T]`) again for every
    property it passes (pulumi/_types.py `unwrap_type`, `unwrap_optional_type`; rpc.py calls
    them through the module). Both are pure functions of the hint, so while a recording runs each
    hint is unwrapped once and remembered: about 4 % of a render."""
    originals = (pulumi_types.unwrap_type, pulumi_types.unwrap_optional_type)
    pulumi_types.unwrap_type, pulumi_types.unwrap_optional_type = map(_remembered, originals)
    try:
        yield
    finally:
        pulumi_types.unwrap_type, pulumi_types.unwrap_optional_type = originals


def _remembered(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    results: dict[Any, Any] = {}

    def remembered(hint: Any) -> Any:
        try:
            return results[hint]
        except KeyError:
            result = results[hint] = function(hint)
            return result
        except TypeError:  # an unhashable hint (`Annotated[T, {...}]`): not remembered
            return function(hint)

    return remembered


def outputs_awaited_together(program: Callable[[], None]) -> Callable[[], Any]:
    """`program`, then every output it left pending awaited at once.

    After the program returns, the SDK (pulumi/runtime/stack.py `wait_for_rpcs`) waits for its
    outputs with `asyncio.wait(..., FIRST_COMPLETED)` in a loop: every turn hooks a callback onto
    every pending output and unhooks it again, so a stack of hundreds of resources spends about
    a quarter of its render there. Awaiting them all together first leaves the SDK's loop
    nothing to wait for; it still awaits each finished output, so an error surfaces as before.
    """

    async def run() -> None:
        program()
        while True:
            with settings.SETTINGS.lock:
                pending = [task for task in settings.SETTINGS.outputs if not task.done()]
            if not pending:
                return
            await asyncio.wait(pending)

    return run


def flatten_config(project: str, config: Mapping[str, Any]) -> dict[str, str]:
    """Turn a stack file's `config:` mapping into the engine's flat string map.

    Keys without a namespace belong to the project; structured values travel as JSON.
    """
    flat: dict[str, str] = {}
    for key, value in config.items():
        full_key = key if ":" in key else f"{project}:{key}"
        flat[full_key] = value if isinstance(value, str) else json.dumps(value)
    return flat


def run_program(
    program: Callable[[], None],
    *,
    config: Mapping[str, Any] | None = None,
    project: str = "erlmcp-infra",
    stack: str = "test",
    preview: bool = False,
    secret_keys: Iterable[str] = (),
    monitor: RecordingMonitor | None = None,
) -> RecordedStack:
    """Run `program` as the body of a stack under the recording mock monitor.

    Pass your own `monitor` to inspect what was registered when the program fails.
    """
    monitor = monitor or RecordingMonitor(RealisticMocks())
    mocks = monitor.mocks
    pulumi.runtime.set_all_config(flatten_config(project, config or {}), list(secret_keys))
    # set_mocks would register an empty, finished root stack; keep it from doing so, and let
    # run_in_stack make the root that runs the program, as the real language host does, so that
    # `pulumi.export` reaches the stack outputs.
    settings.ROOT.set(_NO_ROOT_YET)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor)
    settings.ROOT.set(None)
    # set_mocks keeps the outputs set of the run before (MockSettings makes no new one), and a
    # failed run leaves its failed outputs there for the SDK to raise: this run would raise them.
    settings.SETTINGS.outputs = set()
    with (
        collector_paused(),
        source_positions_skipped(),
        type_hints_unwrapped_once(),
        monitor_called_in_place(),
    ):
        _sync_await(run_in_stack(outputs_awaited_together(program)))
    return RecordedStack(
        project=project,
        stack=stack,
        resources=list(monitor.recorded),
        outputs=monitor.stack_outputs,
    )


def run_components(build: Callable[[], Any], **kwargs: Any) -> RecordedStack:
    """Build components under the mock runtime; a convenience for component tests."""

    def program() -> None:
        build()

    return run_program(program, **kwargs)
