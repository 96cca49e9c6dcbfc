"""Shared fixtures: every test runs real program code under the recording mock runtime."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from offline.recorder import RecordedResource, RecordedStack, run_components


@pytest.fixture
def record() -> Callable[..., RecordedStack]:
    """Build components under the mock runtime and return the recorded resources."""
    return run_components


def assert_parented_under(stack: RecordedStack, component_type: str, name: str) -> RecordedResource:
    """The named component exists and every custom resource of the run sits beneath it."""
    component = stack.one(component_type, name)
    beneath = {r.urn for r in stack.descendants_of(component.urn)}
    stray = [
        r.urn for r in stack.resources if r.custom and not r.is_provider and r.urn not in beneath
    ]
    assert not stray, f"resources not parented under {name}: {stray}"
    return component


def inputs_of(resource: RecordedResource) -> dict[str, Any]:
    return resource.plain_inputs
