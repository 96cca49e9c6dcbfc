"""offline/recorder.py's shortcuts through the SDK while it records give what the SDK's own path
gives: the mocks' state serialized in place (`serialized_without_a_loop`) is the message the SDK's
MockMonitor builds through an event loop, and a state that would have to be awaited is refused;
type hints unwrapped once (`type_hints_unwrapped_once`) are unwrapped as the SDK unwraps them;
calls to the monitor made in place (`monitor_called_in_place`) record what the SDK's thread pool
records, fail a program as it fails, and leave the loop and the SDK as they were."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Annotated, Optional

import pulumi
import pulumi_aws as aws
import pytest
from pulumi import _types as pulumi_types
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from offline import recorder
from offline.recorder import (
    SECRET_SIG,
    SIG_KEY,
    UNKNOWN,
    RecordedStack,
    monitor_called_in_place,
    run_components,
    serialized_without_a_loop,
    type_hints_unwrapped_once,
)

STATE = {
    "arn": "arn:aws:rds:us-east-1:123456789012:db:erlmcp",
    "port": 5432,
    "multiAz": True,
    "weight": 0.5,
    "endpoint": None,
    "password": {SIG_KEY: SECRET_SIG, "value": "s3cret"},
    "id": UNKNOWN,
    "tags": {"environment": "prod", "nested": [{"a": 1, "none": None}, ["b", False, None]]},
    "ports": (80, 443),
}


def test_a_plain_state_serializes_as_the_sdks_event_loop_does():
    expected = _sync_await(rpc.serialize_properties(STATE, {}))
    assert serialized_without_a_loop("urn:x", STATE) == expected


def test_a_state_with_an_archive_serializes_as_the_sdks_event_loop_does():
    state = {"code": pulumi.AssetArchive({"index.py": pulumi.StringAsset("print(1)")}), **STATE}
    expected = _sync_await(rpc.serialize_properties(state, {}))
    assert serialized_without_a_loop("urn:x", state) == expected


async def _later() -> str:
    """A value that must be awaited: it waits once."""
    await asyncio.sleep(0)
    return "value"


def test_a_state_that_must_be_awaited_is_refused_naming_the_resource():
    awaitable = _later()
    with pytest.raises(TypeError, match="the mocks' state for urn:pulumi:test::db holds"):
        serialized_without_a_loop("urn:pulumi:test::db", {"value": awaitable})
    awaitable.close()


# Written as the providers' generated classes write them (typing.Optional, not `X | None`).
HINTS = [
    str,
    Optional[int],  # noqa: UP045
    pulumi.Output[str],
    pulumi.Input[Sequence[pulumi.Input[str]]],
    Optional[pulumi.Input[Mapping[str, pulumi.Input[int]]]],  # noqa: UP045
    Annotated[pulumi.Output[int], {"unhashable": True}],
]


def test_type_hints_unwrap_as_the_sdk_does_and_the_sdk_is_restored():
    originals = (pulumi_types.unwrap_type, pulumi_types.unwrap_optional_type)
    expected = [(originals[0](h), originals[1](h)) for h in HINTS]
    with type_hints_unwrapped_once():
        assert (pulumi_types.unwrap_type, pulumi_types.unwrap_optional_type) != originals
        for _ in range(2):  # the second time from what the first remembered
            found = [
                (pulumi_types.unwrap_type(h), pulumi_types.unwrap_optional_type(h)) for h in HINTS
            ]
            assert found == expected
    assert (pulumi_types.unwrap_type, pulumi_types.unwrap_optional_type) == originals


class _Pair(pulumi.ComponentResource):
    """Resources that hand each other outputs, a secret and a component's outputs."""

    def __init__(self, name: str) -> None:
        super().__init__("test:index:Pair", name)
        child = pulumi.ResourceOptions(parent=self)
        key = aws.kms.Key(f"{name}-key", description="pair", opts=child)
        bucket = aws.s3.Bucket(f"{name}-bucket", tags={"key": key.arn}, opts=child)
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.ssm.Parameter(
            f"{name}-secret", type="SecureString", value=pulumi.Output.secret("s3cret"), opts=child
        )
        self.register_outputs({"bucket": bucket.id})


def _record(build) -> RecordedStack:
    stack = run_components(build)
    stack.resources.sort(key=lambda r: r.urn)
    return stack


def _pairs() -> None:
    for name in ("a", "b", "c"):
        _Pair(name)
    pulumi.export("answer", 42)


def test_the_monitor_called_in_place_records_what_the_thread_pool_records(monkeypatch):
    in_place = _record(_pairs)
    monkeypatch.setattr(recorder, "monitor_called_in_place", contextlib.nullcontext)
    pooled = _record(_pairs)
    assert len(in_place.resources) == 15
    assert in_place == pooled


def test_a_failing_monitor_call_fails_the_program_as_the_thread_pool_does(monkeypatch):
    def invoking() -> None:
        aws.get_caller_identity()

    errors = []
    for shortcut in (recorder.monitor_called_in_place, contextlib.nullcontext):
        monkeypatch.setattr(recorder, "monitor_called_in_place", shortcut)
        with pytest.raises(Exception, match="it must make no invokes") as raised:
            run_components(invoking)
        errors.append(str(raised.value))
    assert errors[0] == errors[1]


def test_the_loop_and_the_sdk_are_restored_after_the_monitor_called_in_place():
    loop = _ensure_event_loop()
    executor, sync_await = loop._default_executor, pulumi_mocks._sync_await
    with pytest.raises(RuntimeError), monitor_called_in_place():
        assert loop._default_executor is not executor
        assert pulumi_mocks._sync_await is not sync_await
        raise RuntimeError("the recording failed")
    assert (loop._default_executor, pulumi_mocks._sync_await) == (executor, sync_await)


def test_a_mock_answer_that_must_be_awaited_is_refused_in_place():
    with monitor_called_in_place(), pytest.raises(TypeError, match="must be awaited"):
        pulumi_mocks._sync_await(_later())
