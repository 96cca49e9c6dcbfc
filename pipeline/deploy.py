"""`make deploy`: what the deploy job runs for a stack after a push to main.

    python -m pipeline.deploy run [--stack prod] [--deployed FILE] [--dry-run]

`run` compares the stack file on main with the config of the stack's last deployment and:
- `release.version` differs, or the last deployment stopped inside a rollout (its config still
  carries the `rollout` key the driver writes at each step): rewinds the workspace's stack file to
  what runs (the deployed `release.version` and rollout state, rollout/stack_file.py
  `write_state`), runs `make up` (every other change of the push, so that each rollout step
  changes only its StatefulSets, which the driver insists on), then `make rollout VERSION=<main's
  version>`. A re-run of the job starts again from the last deployment's config, so it resumes
  the rollout where it stopped; once done the workspace's stack file must equal main's.
- otherwise: `make up`.

The last deployment's config comes from `pulumi config refresh --config-file <new file>`, which
writes the config of the stack's latest update (pulumi/pulumi at 1b5949891b3c:
pkg/cmd/pulumi/config/config.go, `config refresh`, lines 555-660; the DIY backend reads it from
the newest history entry, pkg/backend/diy/backend.go:1175-1187, and answers "no previous
deployment" for a stack never updated, pkg/backend/backenderr/backenderr.go:29). The rollout
driver runs `pulumi up` at each step with the stack file it wrote, so that history holds where the
rollout stood.

A `rollout` key on main is refused: it is the driver's bookkeeping, and a pull request sets
`release.version` to the version the fleet should run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from operations.rollout.state import (
    ROLLOUT_KEY,
    RolloutState,
    read_rollout,
    write_state,
)
from operations.stack_file import (
    StackFileError,
    load_config,
    release_version,
)

REPO_ROOT = Path(__file__).resolve().parent.parent

Runner = Callable[[Sequence[str]], int]


@dataclass(frozen=True)
class Decision:
    mode: str
    """`up` or `rollout`."""
    reason: str
    version: str | None = None
    """The version the rollout brings the fleet to (main's `release.version`)."""
    running: str | None = None
    """What the fleet runs: the deployed `release.version`."""
    resume: RolloutState | None = None
    """Where the deployed config says an unfinished rollout stands."""
    commands: list[list[str]] = field(default_factory=list)


def decide(
    stack: str, head: dict[str, Any], deployed: dict[str, Any] | None, waves: str = ""
) -> Decision:
    target = release_version(head)
    if read_rollout(head) is not None:
        raise StackFileError(
            f"{ROLLOUT_KEY} is set on main: it is `make rollout`'s bookkeeping while a rollout "
            "runs. Set release.version to the version the fleet should run instead, and remove "
            "the key (docs/review-and-deploy.md)"
        )
    up = ["make", "up", f"STACK={stack}"]
    if deployed is None:
        return Decision("up", "first deployment of the stack", commands=[up])
    running = release_version(deployed)
    resume = read_rollout(deployed)
    if resume is not None and resume.version != target:
        raise StackFileError(
            f"the last deployment stopped inside a {resume.describe()}, and main now names "
            f"release.version {target}: set it back to {resume.version} to resume, or to "
            f"{running} to abandon the rollout"
        )
    if resume is None and running == target:
        return Decision(
            "up", f"release.version {target} unchanged, no rollout in progress", commands=[up]
        )
    rollout = ["make", "rollout", f"STACK={stack}", f"VERSION={target}"]
    if waves and resume is None:
        rollout.append(f"WAVES={waves}")
    reason = (
        f"resuming the {resume.describe()}"
        if resume
        else f"release.version {running} -> {target}, wave by wave"
    )
    return Decision(
        "rollout",
        reason,
        version=target,
        running=running,
        resume=resume,
        commands=[up, rollout],
    )


def rewind(stack_file: Path, decision: Decision) -> None:
    """The workspace's stack file as the fleet runs: main's changes, at the deployed version and
    rollout state."""
    if decision.mode == "rollout":
        write_state(stack_file, decision.resume, decision.running)


def deployed_config(stack: str, out: Path) -> dict[str, Any] | None:
    """The last deployment's config (`pulumi config refresh`), or None when there was none."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    command = ["pulumi", "config", "refresh", "--stack", stack, "--config-file", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO_ROOT)
    if result.returncode != 0:
        if "no previous deployment" in result.stderr + result.stdout:
            return None
        raise StackFileError(f"`{' '.join(command)}` failed: {result.stderr.strip()}")
    return load_config(out)


def run_decision(stack_file: Path, head: dict[str, Any], decision: Decision, run: Runner) -> int:
    rewind(stack_file, decision)
    for command in decision.commands:
        print(f"$ {' '.join(command)}", flush=True)
        code = run(command)
        if code != 0:
            print(
                f"stopped: `{' '.join(command)}` exited {code}; re-run the job to resume "
                "(a rollout carries on from where the last deployment stood)",
                file=sys.stderr,
            )
            return code
    if decision.mode == "rollout" and load_config(stack_file) != head:
        print(
            f"error: after the rollout {stack_file.name} differs from main's; the fleet runs "
            "what the workspace file says: bring main to it in a pull request",
            file=sys.stderr,
        )
        return 1
    return 0


def _run(command: Sequence[str]) -> int:
    return subprocess.run(list(command), check=False).returncode


def main(argv: list[str] | None = None, run: Runner = _run) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.deploy")
    sub = parser.add_subparsers(dest="command", required=True)
    deploy = sub.add_parser("run", help="deploy one stack: `make up` or `make rollout`")
    deploy.add_argument("--stack", default="prod")
    deploy.add_argument("--deployed", type=Path, help="the last deployment's config (tests)")
    deploy.add_argument("--first", action="store_true", help="no previous deployment (tests)")
    deploy.add_argument("--dry-run", action="store_true", help="print the decision only")
    args = parser.parse_args(argv)
    stack_file = REPO_ROOT / f"Pulumi.{args.stack}.yaml"
    try:
        head = load_config(stack_file)
        if args.first:
            deployed = None
        elif args.deployed:
            deployed = load_config(args.deployed)
        else:
            deployed = deployed_config(
                args.stack, REPO_ROOT / "build" / "deploy" / f"Pulumi.{args.stack}.yaml"
            )
        decision = decide(args.stack, head, deployed, os.environ.get("ROLLOUT_WAVES", ""))
    except StackFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{args.stack}: {decision.mode} ({decision.reason})", flush=True)
    if args.dry_run:
        for command in decision.commands:
            print(f"  would run: {' '.join(command)}")
        return 0
    if shutil.which("pulumi") is None and not args.deployed:
        print("error: the Pulumi CLI is not on PATH", file=sys.stderr)
        return 2
    return run_decision(stack_file, head, decision, run)


if __name__ == "__main__":
    raise SystemExit(main())
