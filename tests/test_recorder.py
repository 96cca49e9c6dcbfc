"""offline/recorder.py's shortcuts through the SDK while it records give what the SDK's own path
gives: the mocks' state serialized in place (`serialized_without_a_loop`) is the message the SDK's
MockMonitor builds through an event loop, and a state that would have to be awaited is refused;
type hints unwrapped once (`type_hints_unwrapped_once`) are unwrapped as the SDK unwraps them."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Annotated, Optional

import pulumi
import pytest
from pulumi import _types as pulumi_types
from pulumi.runtime import rpc
from pulumi.runtime.sync_await import _sync_await

from offline.recorder import (
    SECRET_SIG,
    SIG_KEY,
    UNKNOWN,
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
    "tags": {"environment": "prod", "nested": [{"a": 1}, ["b", False]]},
}


def test_a_plain_state_serializes_as_the_sdks_event_loop_does():
    expected = _sync_await(rpc.serialize_properties(STATE, {}))
    assert serialized_without_a_loop("urn:x", STATE) == expected


def test_a_state_that_must_be_awaited_is_refused_naming_the_resource():
    async def later() -> str:
        await asyncio.sleep(0)
        return "value"

    awaitable = later()
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
