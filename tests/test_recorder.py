"""offline/recorder.py answers the SDK's RegisterResource with the mocks' state serialized in
place (`serialized_without_a_loop`): the same message the SDK's own MockMonitor builds through an
event loop, and a clear refusal for a state that would have to be awaited."""

from __future__ import annotations

import asyncio

import pytest
from pulumi.runtime import rpc
from pulumi.runtime.sync_await import _sync_await

from offline.recorder import SECRET_SIG, SIG_KEY, UNKNOWN, serialized_without_a_loop

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
