"""Shared fixtures: every test runs real program code under the recording mock runtime."""

from __future__ import annotations

import copy
import runpy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.recorder import (
    RecordedResource,
    RecordedStack,
    RecordingMonitor,
    run_components,
    run_program,
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


REPO_ROOT = Path(__file__).resolve().parent.parent
PROD_STACK_FILE = REPO_ROOT / "Pulumi.prod.yaml"


def stack_file_config(path: Path = PROD_STACK_FILE) -> dict[str, Any]:
    """The `config:` mapping of a stack file, as Pulumi reads it."""
    return yaml.safe_load(path.read_text())["config"]


def project_values(config: dict[str, Any], project: str = "erlmcp-infra") -> dict[str, Any]:
    """The project's own keys, without the namespace (what parse_stack_config takes)."""
    prefix = f"{project}:"
    return {k.removeprefix(prefix): v for k, v in config.items() if k.startswith(prefix)}


@pytest.fixture
def prod_config() -> dict[str, Any]:
    """A fresh, mutable copy of the prod stack's config mapping."""
    return copy.deepcopy(stack_file_config())


@pytest.fixture
def prod_values(prod_config: dict[str, Any]) -> dict[str, Any]:
    return project_values(prod_config)


MAIN_PROGRAM = REPO_ROOT / "__main__.py"


def run_stack_file(
    config: dict[str, Any], stack: str = "prod", monitor: RecordingMonitor | None = None
) -> RecordedStack:
    """Run the real `__main__.py` against a stack file's config mapping."""
    return run_program(
        lambda: runpy.run_path(str(MAIN_PROGRAM), run_name="__main__"),
        config=config,
        stack=stack,
        monitor=monitor,
    )


@pytest.fixture(scope="session")
def prod_stack() -> RecordedStack:
    """The prod stack, recorded once per session; tests only read it."""
    return run_stack_file(stack_file_config())
