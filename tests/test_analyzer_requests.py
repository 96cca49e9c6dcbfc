"""offline/analyzer.py keeps the wire bytes of what it built (offline/kept_messages.py): a stack
request built again from kept bytes is the request built afresh, and a resource that changed in
any way is built again, not answered from what an equal-looking one left behind."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest

from offline import analyzer
from offline.analyzer import StackPresentation, to_struct
from offline.recorder import UNKNOWN, RecordedStack


def fresh_request(monkeypatch: pytest.MonkeyPatch, stack: RecordedStack, **kwargs: Any) -> bytes:
    """The request built with nothing kept (every key unpicklable, so nothing is cached)."""
    with monkeypatch.context() as patched:
        patched.setattr(analyzer, "cache_key", lambda _value: None)
        request = StackPresentation(stack, **kwargs).analyze_stack_request()
    return request.SerializeToString(deterministic=True)


def request_bytes(stack: RecordedStack, **kwargs: Any) -> bytes:
    request = StackPresentation(stack, **kwargs).analyze_stack_request()
    return request.SerializeToString(deterministic=True)


def test_a_request_from_kept_bytes_is_the_request_built_afresh(
    monkeypatch, prod_stack, prod_config
):
    first = request_bytes(prod_stack, stack_config=prod_config)
    again = request_bytes(pickle.loads(pickle.dumps(prod_stack)), stack_config=prod_config)
    assert first == again == fresh_request(monkeypatch, prod_stack, stack_config=prod_config)


def test_a_preview_request_is_kept_apart_from_an_up_request(monkeypatch, prod_stack, prod_config):
    """The same resources, presented as a preview, keep their unknown inputs unknown."""
    stack = copy.deepcopy(prod_stack)
    bucket = next(r for r in stack.resources if r.type == "aws:s3/bucket:Bucket")
    bucket.inputs["bucket"] = UNKNOWN
    up = StackPresentation(stack, stack_config=prod_config).analyze_stack_request()
    preview = StackPresentation(stack, stack_config=prod_config, preview=True)
    entry = next(e for e in preview.analyze_stack_request().resources if e.urn == bucket.urn)
    assert entry.properties["bucket"] == UNKNOWN
    assert next(e for e in up.resources if e.urn == bucket.urn).properties["bucket"] != UNKNOWN
    assert request_bytes(stack, stack_config=prod_config, preview=True) == fresh_request(
        monkeypatch, stack, stack_config=prod_config, preview=True
    )


def test_a_changed_resource_is_built_again(monkeypatch, prod_stack, prod_config):
    request_bytes(prod_stack, stack_config=prod_config)  # everything of prod kept
    changed = copy.deepcopy(prod_stack)
    bucket = next(r for r in changed.resources if r.type == "aws:s3/bucket:Bucket")
    bucket.outputs["tags"] = {**bucket.outputs.get("tags", {}), "changed": "yes"}
    replica = next(r for r in changed.resources if r.type == "aws:rds/instance:Instance")
    replica.dependencies = [*replica.dependencies, "urn:pulumi:prod::erlmcp-infra::x::y"]
    # An equal value of another type is another message: 1 == True, but not on the wire.
    flagged, flag = next(
        (r, key) for r in changed.resources for key, value in r.outputs.items() if value is True
    )
    flagged.outputs[flag] = 1

    request = StackPresentation(changed, stack_config=prod_config).analyze_stack_request()
    entries = {entry.urn: entry for entry in request.resources}
    assert entries[bucket.urn].properties["tags"]["changed"] == "yes"
    assert "urn:pulumi:prod::erlmcp-infra::x::y" in entries[replica.urn].dependencies
    assert entries[flagged.urn].properties.fields[flag].WhichOneof("kind") == "number_value"
    assert request.SerializeToString(deterministic=True) == fresh_request(
        monkeypatch, changed, stack_config=prod_config
    )


def test_a_struct_from_kept_bytes_keeps_secrets_unknowns_and_types():
    properties = {
        "password": {analyzer.SIG_KEY: analyzer.SECRET_SIG, "value": "s3cret"},
        "id": UNKNOWN,
        "count": 2,
        "enabled": True,
        "nested": [{"a": None}, 1.5],
    }
    built = to_struct(properties)
    kept = to_struct(copy.deepcopy(properties))
    assert kept == built
    assert kept["password"]["value"] == "s3cret"
    assert kept["id"] == UNKNOWN
    assert to_struct({**properties, "enabled": False})["enabled"] is False
