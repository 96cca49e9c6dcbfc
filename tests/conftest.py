"""Shared fixtures: every test runs real program code under the recording mock runtime."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from offline.recorder import (
    RecordedResource,
    RecordedStack,
    run_components,
)
from offline.stacks import (
    project_values,
    run_stack_file,
    stack_file_config,
)


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


@pytest.fixture
def prod_config() -> dict[str, Any]:
    """A fresh, mutable copy of the prod stack's config mapping."""
    return copy.deepcopy(stack_file_config())


@pytest.fixture
def prod_values(prod_config: dict[str, Any]) -> dict[str, Any]:
    return project_values(prod_config)


@pytest.fixture(scope="session")
def prod_stack() -> RecordedStack:
    """The prod stack, recorded once per session; tests only read it."""
    return run_stack_file(stack_file_config())
