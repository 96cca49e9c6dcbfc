"""Run the real program (`__main__.py`) against a stack file, offline, under the recording mocks."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import yaml

from offline.recorder import RecordedStack, RecordingMonitor, run_program

REPO_ROOT = Path(__file__).resolve().parent.parent
PROD_STACK_FILE = REPO_ROOT / "Pulumi.prod.yaml"
MAIN_PROGRAM = REPO_ROOT / "__main__.py"
PROJECT = "erlmcp-infra"


class _StackFileLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML as Pulumi reads a stack file: a key written twice in one mapping is an error (the
    CLI rejects it; PyYAML would silently keep the last one). libyaml's parser when PyYAML has
    it (its wheels do): the pure-Python one took ~80 ms per read of the prod stack file, and the
    operations read it at every step."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"the key {key!r} is written twice (first{_line(seen[key])})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def _line(mark: yaml.Mark) -> str:
    return f" at line {mark.line + 1}"


def stack_file_config(path: Path = PROD_STACK_FILE) -> dict[str, Any]:
    """The `config:` mapping of a stack file, as Pulumi reads it. YAML errors name the file and
    line (the stream carries the file's name)."""
    with Path(path).open(encoding="utf-8") as stream:
        document = yaml.load(stream, Loader=_StackFileLoader) or {}
    if not isinstance(document, dict):
        raise ValueError(f"{path}: a stack file is a YAML mapping")
    return document.get("config") or {}


def stack_file_of(stack: str | None, config: Path | None) -> Path:
    """The stack file a command reads: `config` when given, else `Pulumi.<stack>.yaml` (prod)."""
    return config or REPO_ROOT / f"Pulumi.{stack or 'prod'}.yaml"


def stack_name_of(path: Path) -> str:
    """`Pulumi.<stack>.yaml` -> `<stack>`."""
    name = Path(path).name
    if name.startswith("Pulumi.") and name.endswith((".yaml", ".yml")):
        return name.split(".", 1)[1].rsplit(".", 1)[0]
    return Path(path).stem


def project_values(config: dict[str, Any], project: str = PROJECT) -> dict[str, Any]:
    """The project's own keys, without the namespace (what parse_stack_config takes)."""
    prefix = f"{project}:"
    return {k.removeprefix(prefix): v for k, v in config.items() if k.startswith(prefix)}


def run_stack_file(
    config: dict[str, Any],
    stack: str = "prod",
    monitor: RecordingMonitor | None = None,
    preview: bool = False,
    *,
    program: Path = MAIN_PROGRAM,
    project: str = PROJECT,
) -> RecordedStack:
    """Run a project's real `__main__.py` (this one's by default) against a stack file's config."""
    return run_program(
        lambda: runpy.run_path(str(program), run_name="__main__"),
        config=config,
        project=project,
        stack=stack,
        monitor=monitor,
        preview=preview,
    )
