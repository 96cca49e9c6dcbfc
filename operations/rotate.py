"""`make rotate SECRET=<name> [REGION=<serving region>]`: rotate one generated secret with no
failed request (runbook §8.2; docs/rotate.md).

    python -m operations.rotate --secret redis-auth-token --region us-east-1 [--stack prod]
                                [--dry-run] [--pulumi-root DIR]

The rotation's state is the stack file (`erlmcp-infra:secrets`, regions/config/secrets.py):
each step is written there before its `pulumi up`, so the same command resumes a rotation that
stopped or was interrupted. `--dry-run` prints every step with what the stores accept and what
each release runs, and renders each one offline as `make plan` does: what it changes, that no
stateful resource is replaced or removed, and that the policy pack passes. Exit 0 when the
rotation is finished, 1 when it stopped (resume with the same command), 2 on bad input (nothing
changed), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from offline.policy_runner import PolicyReport, analyze_recorded
from offline.recorder import RecordedStack
from offline.stacks import REPO_ROOT, project_values, run_stack_file
from operations.outage import changed_resources
from operations.rotation_driver import Engine, Health, RotationDriver, RotationStopped
from operations.rotation_plan import (
    FINISH,
    PREPARE,
    RETIRE,
    Change,
    RotationPlan,
    Step,
    allowed,
    plan_rotation,
    release_names,
)
from operations.stack_file import StackFileError, load_config, stack_config, stack_file_path
from planning.diff import STATEFUL_IDENTITY
from planning.replacements import replacing_changes
from regions.config import StackConfig
from regions.config.secrets import rotation_hosts
from regions.rotation import database_credentials, database_user, generation_for, redis_token

Render = Callable[[dict[str, Any]], RecordedStack]
Report = Callable[[RecordedStack, dict[str, Any]], PolicyReport]


def render_offline(config: dict[str, Any]) -> RecordedStack:
    return run_stack_file(config)


def pack_offline(recorded: RecordedStack, config: dict[str, Any]) -> PolicyReport:
    return analyze_recorded(recorded, stack_config=project_values(config))


def offline_changes(before: RecordedStack, after: RecordedStack) -> list[Change]:
    """What the engine would do between two renders, secret values compared too (the plan
    redacts them, so a new password would not show there): create, update, replace (a change
    the provider can only make by delete-and-create, planning/replacements.py) or delete."""
    old, new = before.by_urn(), after.by_urn()
    changes = []
    for urn, op in sorted(changed_resources(before, after).items()):
        resource = new.get(urn) or old[urn]
        if op == "update":
            forcing = replacing_changes(resource.type, old[urn].plain_inputs, resource.plain_inputs)
            op = "replace" if forcing else "update"
        changes.append(Change(op=op, type=resource.type, name=resource.name, urn=urn))
    return changes


def stateful_losses(changes: list[Change]) -> list[Change]:
    return [c for c in changes if c.type in STATEFUL_IDENTITY and c.op in ("replace", "delete")]


# -- what each step means -------------------------------------------------------------------


def store_line(plan: RotationPlan, step: Step, stack: StackConfig) -> str:
    """What the secret's store accepts once the step is applied."""
    old, new = plan.generation, plan.to
    if plan.secret == "redis-auth-token":
        token = redis_token(stack, plan.region or "")
        accepted = (
            f"{new}"
            if token.strategy == "SET" and step.kind in (RETIRE, FINISH)
            else f"{old} and {new}"
        )
        return (
            f"replication groups: {token.strategy} generation {token.generation}, accept {accepted}"
        )
    if plan.secret == "db-password":
        master = stack.release.database_user
        change = database_credentials(stack, plan.region or "").role_change
        if step.kind == PREPARE and change is not None:
            return (
                f"database: role {change.role} logs in with generation {new}; "
                f"{database_user(master, old)} still with generation {old}"
            )
        if step.kind == RETIRE:
            gone = database_user(master, old)
            if old == 1:
                return (
                    f"database: the master user {master} gets a password no pod held; "
                    "generation 1 no longer logs in"
                )
            return f"database: role {gone} can no longer log in (NOLOGIN)"
        if step.kind == FINISH:
            return f"database: only {database_user(master, new)} (generation {new}) logs in"
        users = f"{database_user(master, old)} ({old}) and {database_user(master, new)} ({new})"
        return f"database: {users} log in"
    if step.kind == PREPARE:
        return f"generation {new} made; no pod reads it yet"
    return "no store: each release's pods must agree among themselves (docs/rotate.md)"


def releases_line(plan: RotationPlan, stack: StackConfig) -> str:
    """Which generation the releases of each host region run at a step."""
    hosts = rotation_hosts(plan.secret, plan.region, stack.regions, stack.dr_pairs)
    parts = []
    for host in hosts:
        generation = generation_for(stack, plan.secret, plan.region, host)
        names = ", ".join(release_names(stack, plan, host))
        parts.append(f"{host} {generation} ({names})")
    return "releases: " + "; ".join(parts)


def describe_steps(plan: RotationPlan, config: dict[str, Any]) -> list[str]:
    lines = [
        f"Rotation of {plan.title} on stack {plan.stack} ({plan.stack_file.name}): "
        f"{len(plan.steps)} steps, waves {' then '.join(','.join(w) for w in plan.waves)}."
    ]
    if plan.resumed:
        lines.append(
            f"In progress: it resumes at step {plan.start + 1} ({plan.steps[plan.start].label})."
        )
    for index, step in enumerate(plan.steps):
        stack = stack_config(plan.config_at(config, step))
        done = "done " if index < plan.start else ""
        lines.append(f"  {index + 1}. {done}{step.label}")
        lines.append(f"       {store_line(plan, step, stack)}")
        lines.append(f"       {releases_line(plan, stack)}")
    return lines


def offline_plan_lines(
    plan: RotationPlan,
    config: dict[str, Any],
    render: Render = render_offline,
    report: Report = pack_offline,
) -> tuple[list[str], bool]:
    """Each remaining step rendered and compared with the one before: what it changes, whether
    it may (`allowed`), stateful losses, and the pack's verdict. False when any step fails."""
    lines = ["Offline plan of each step (the program rendered as `make plan` renders it):"]
    ok = True
    before = render(config)
    for index, step in enumerate(plan.steps[plan.start :], start=plan.start + 1):
        step_config = plan.config_at(config, step)
        after = render(step_config)
        stack = stack_config(step_config)
        changes = offline_changes(before, after)
        refused = [c for c in changes if not allowed(c, stack, plan, step)]
        losses = stateful_losses(changes)
        verdict = report(after, step_config)
        names = ", ".join(f"{c.op} {c.name}" for c in changes) or "nothing"
        lines.append(f"  {index}. {step.label}: {names}")
        lines.append(
            f"     pack {'passed' if verdict.passed else 'FAILED'}; stateful replaced or removed: "
            + (", ".join(c.name for c in losses) or "none")
        )
        for problem in [
            *(f"may not {c.op} {c.name}" for c in refused),
            *(f"{d.policy}: {d.message}" for d in verdict.mandatory),
        ]:
            lines.append(f"     REFUSED: {problem}")
        ok = ok and not refused and not losses and verdict.passed
        before = after
    return lines, ok


# -- the command ----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m operations.rotate", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument(
        "--secret", required=True, help="db-password, redis-auth-token, erlang-cookie or jwt-secret"
    )
    parser.add_argument("--region", help="the serving region of a database password or Redis token")
    parser.add_argument("--stack", default="prod")
    parser.add_argument(
        "--dry-run", action="store_true", help="print and render every step, change nothing"
    )
    parser.add_argument("--project-dir", type=Path, default=REPO_ROOT)
    parser.add_argument("--pulumi-root", help="the Pulumi CLI installation to drive (default PATH)")
    return parser


def main(
    argv: list[str] | None = None,
    *,
    render: Render = render_offline,
    report: Report = pack_offline,
    engine: Callable[[argparse.Namespace], Engine] | None = None,
    health: Callable[[argparse.Namespace, dict[str, Any]], Health] | None = None,
) -> int:
    """`render`, `report`, `engine` and `health` are for tests (shared recordings, a stand-in
    engine and health readings)."""
    args = build_parser().parse_args(argv)
    stack_file = stack_file_path(args.project_dir.resolve(), args.stack)
    try:
        config = load_config(stack_file)
        plan = plan_rotation(
            config, stack=args.stack, stack_file=stack_file, secret=args.secret, region=args.region
        )
    except StackFileError as error:
        _say(f"error: {error}\nNothing was changed.", err=True)
        return 2
    for line in describe_steps(plan, config):
        _say(line)
    if args.dry_run:
        lines, ok = offline_plan_lines(plan, config, render, report)
        for line in lines:
            _say(line)
        _say("Dry run: nothing was written or deployed.")
        return 0 if ok else 1
    driver = RotationDriver(
        plan,
        (engine or _open_engine)(args),
        (health or _health_reader)(args, config),
        _say,
    )
    try:
        driver.run()
    except RotationStopped as error:
        _say(f"Rotation stopped: {error}", err=True)
        return 1
    except KeyboardInterrupt:
        where = driver.current.label if driver.current else "the start"
        _say(
            f"Interrupted during {where}. {stack_file.name} names the step in progress: run the "
            "same command again to resume from there.",
            err=True,
        )
        return 130
    _say(f"Rotated {plan.title}: finished, {stack_file.name} says generation {plan.to}.")
    return 0


def _open_engine(args: argparse.Namespace) -> Engine:
    from operations.automation import open_stack

    return open_stack(args.stack, args.project_dir, args.pulumi_root)


def _health_reader(args: argparse.Namespace, config: dict[str, Any]) -> Health:
    from operations.health import HealthReader
    from operations.stack_file import environment

    return HealthReader(environment(config))


def _say(text: str, err: bool = False) -> None:
    print(text, file=sys.stderr if err else sys.stdout, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
