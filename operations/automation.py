"""The Pulumi CLI, driven through the Automation API, as every operation that changes the live
fleet opens it: the stack the project directory's `Pulumi.<stack>.yaml` configures, run by the
CLI on PATH or by the one under `pulumi_root` (the tests' stand-in CLI)."""

from __future__ import annotations

from pathlib import Path

from pulumi.automation import LocalWorkspaceOptions, PulumiCommand, Stack, select_stack


def open_stack(stack: str, project_dir: Path, pulumi_root: str | Path | None = None) -> Stack:
    """The existing stack `stack` of the project in `project_dir` (select, not create: an
    operation never makes a stack)."""
    command = PulumiCommand(root=str(pulumi_root)) if pulumi_root else None
    return select_stack(
        stack,
        work_dir=str(project_dir.resolve()),
        opts=LocalWorkspaceOptions(pulumi_command=command),
    )
