"""The stand-in CLI's json without `import json` (tests/rollout_standin/c_json.py) reads and
writes what json does: the Automation API and the tests parse what the stand-in prints and
logs, and the stand-in parses the files the tests write."""

from __future__ import annotations

import importlib.util
import json
from types import ModuleType
from typing import Any

import pytest

from tests.rollout_driver.world import STANDIN


def _c_json() -> ModuleType:
    spec = importlib.util.spec_from_file_location("c_json", STANDIN.parent / "c_json.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


c_json = _c_json()

VALUES: list[Any] = [
    {
        "version": 3,
        "deployment": {"manifest": {}, "resources": [{"urn": "urn:pulumi:prod::p::a$b::c"}]},
        "rollout": None,
        "ok": True,
        "failed": False,
        "ratio": 0.25,
        "big": 10**20,
        "negative": -1.5e-7,
        "text": 'quote " backslash \\ newline \n tab \t control \x01 é ✓ 😀',
    },
    [[], {}, "", 0, -0.0, [1, [2, [3]]]],
    "just a string",
    float("inf"),
    float("-inf"),
]


@pytest.mark.parametrize("value", VALUES)
def test_dumps_writes_what_json_writes(value: Any) -> None:
    assert c_json.dumps(value) == json.dumps(value)


@pytest.mark.parametrize("value", VALUES)
def test_loads_reads_what_json_reads(value: Any) -> None:
    text = json.dumps(value)
    assert c_json.loads(text) == json.loads(text)
    assert c_json.loads(f" \n{text}\n") == json.loads(text)
    assert repr(c_json.loads(text)) == repr(json.loads(text))  # ints stay ints, -0.0 stays


def test_nan_and_the_constants_read_as_json_reads_them() -> None:
    text = '[NaN, Infinity, -Infinity, 1e400, "\\u00e9\\ud83d\\ude00"]'
    assert repr(c_json.loads(text)) == repr(json.loads(text))


@pytest.mark.parametrize("text", ["", "{", '{"a": 1} x', "[1,]", "tru", '"\x01"'])
def test_what_json_refuses_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        c_json.loads(text)


def test_what_json_cannot_write_is_refused() -> None:
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        c_json.dumps({"a": {1}})
    circular: list[Any] = []
    circular.append(circular)
    with pytest.raises(ValueError, match="Circular reference"):
        c_json.dumps(circular)
