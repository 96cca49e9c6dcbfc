"""`python -m operations.rollout --stack prod --to 3.1.0`: roll a new erlmcp version out wave by
wave.

    python -m operations.rollout --stack prod --to 3.1.0
                      [--waves eu-west-1 ap-southeast-1,ap-northeast-1 ...]
                      [--soak-minutes 15] [--canary-pods 1] [--dry-run]
                      [--log build/rollout-<stack>.log] [--pulumi-root DIR]

Each `--waves` argument is one wave, its regions separated by commas (default: one serving region
per wave, fewest pods first). Started again after an interruption, it carries on from the step
the stack file names; a rollout in progress keeps its waves. Exit 0 when the fleet runs the new
version, 1 when the rollout stopped (a wave rolled back, a preview refused, a failed command, a
canary held without a verdict for `holdMinutes`: run it again to resume), 2 on bad input
(nothing changed), 130 when interrupted (run it again to resume).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

import boto3
from pulumi.automation import CommandError
from pulumi.automation.errors import InvalidVersionError
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from offline.stacks import REPO_ROOT
from operations.automation import open_stack
from operations.health import HealthReader
from operations.live import LiveReader, PulumiStackState
from operations.names import own_statefulset_name, standby_statefulset_name
from operations.rollout.canary import CanaryJudge
from operations.rollout.driver import Driver, RolloutStopped, where_it_stands
from operations.rollout.offline_check import Render, offline_plan_lines, render_offline
from operations.rollout.plan import CANARY, FINISH, FULL, RolloutPlan, Step, plan_rollout
from operations.rollout.prometheus import PrometheusReader
from operations.rollout.state import canary_limits
from operations.stack_file import (
    StackFileError,
    environment,
    load_config,
    region_pods,
    stack_file_path,
    standby_releases,
)

if TYPE_CHECKING:
    from regions.config.observability import CanaryConfig

_STYLES = {
    "pending": "dim",
    "done earlier": "green",
    "running": "bold yellow",
    "done": "green",
    "refused": "bold red",
    "failed": "bold red",
    "stopped": "bold red",
    "rolled back": "bold magenta",
}


class RunLog:
    """The log file of a run: every line stamped (UTC), appended so a resumed rollout's log
    follows the interrupted one's."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._stream: TextIO = path.open("a", encoding="utf-8")

    def write(self, text: str) -> None:
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        first, *rest = text.splitlines() or [""]
        pad = " " * len(stamp)
        self._stream.write(f"{stamp} {first}\n" + "".join(f"{pad} {line}\n" for line in rest))
        self._stream.flush()

    def close(self) -> None:
        self._stream.close()


class RichReporter:
    """A table of the waves with each step's state and a live line for what runs now, on the
    terminal; every step and record also goes to the log."""

    def __init__(self, console: Console, plan: RolloutPlan, log: RunLog) -> None:
        self.plan = plan
        self.run_log = log
        self.states = {
            step: ("done earlier" if index < plan.start else "pending")
            for index, step in enumerate(plan.steps)
        }
        self.line = ""
        self.live = Live(self._render(), console=console, auto_refresh=False, transient=False)

    def __enter__(self) -> RichReporter:
        self.live.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.line = ""
        self.live.update(self._render(), refresh=True)
        self.live.stop()

    def step(self, step: Step, status: str) -> None:
        self.states[step] = status
        self.run_log.write(f"{step.label}: {status}")
        self._refresh()

    def activity(self, text: str) -> None:
        self.line = text
        self._refresh()

    def log(self, text: str) -> None:
        self.run_log.write(text)

    def notice(self, text: str) -> None:
        self.live.console.print(text, markup=False, highlight=False, soft_wrap=True)
        self.run_log.write(text)

    def _refresh(self) -> None:
        self.live.update(self._render(), refresh=True)

    def _cell(self, step: Step | None) -> Text:
        if step is None:
            return Text("-", style="dim")
        status = self.states[step]
        return Text(status, style=_STYLES.get(status, ""))

    def _render(self) -> Group:
        table = Table(
            title=f"Rollout {self.plan.previous} -> {self.plan.version} (stack {self.plan.stack})"
        )
        for column in ("wave", "regions", "canary", "full"):
            table.add_column(column)
        by_key = {(s.kind, s.wave): s for s in self.plan.steps}
        for number, wave in enumerate(self.plan.waves, start=1):
            table.add_row(
                str(number),
                ", ".join(wave),
                self._cell(by_key.get((CANARY, number))),
                self._cell(by_key.get((FULL, number))),
            )
        finish = by_key[(FINISH, len(self.plan.waves) + 1)]
        table.add_row("finish", f"release.version {self.plan.version}", "", self._cell(finish))
        return Group(table, Text(self.line, style="cyan"))


def dry_run_lines(plan: RolloutPlan, config: dict[str, Any]) -> list[str]:
    """The whole plan, step by step: which releases change and how many pods run the new
    version (pods as configured per region, `regionDefaults` filled in)."""
    pods = region_pods(config)
    standbys = standby_releases(config)
    fleet = sum(pods.get(r, 0) for wave in plan.waves for r in wave)
    lines = [
        f"Rollout of erlmcp {plan.previous} -> {plan.version} on stack {plan.stack} "
        f"({plan.stack_file.name}): {len(plan.waves)} waves, {plan.soak_minutes:g} min soak "
        "per step. Dry run: nothing is written or deployed."
    ]
    if plan.resumed_from is not None:
        lines.append(
            f"In progress: {plan.resumed_from.describe()}; it resumes at step {plan.start + 1}."
        )
    lines.append(
        "Pod counts are the configured ones: a canary's partition is taken from the pods its "
        "region runs (the HPA's count) when the step begins."
    )
    for index, step in enumerate(plan.steps):
        done = "done " if index < plan.start else ""
        before = sum(pods.get(r, 0) for w in plan.waves[: step.wave - 1] for r in w)
        if step.kind == FINISH:
            lines.append(
                f"  {index + 1}. {done}finish: release.version {plan.version}, rollout key "
                f"removed; fleet {fleet}/{fleet} pods on {plan.version}"
            )
            lines.append("       changes: none expected (the preview must show none)")
            continue
        new = {
            r: min(step.canary_pods, pods.get(r, 0)) if step.kind == CANARY else pods.get(r, 0)
            for r in step.regions
        }
        per_region = ", ".join(f"{r} {new[r]}/{pods.get(r, 0)}" for r in step.regions)
        lines.append(
            f"  {index + 1}. {done}{step.label}: {per_region} pods on {plan.version}; fleet "
            f"{before + sum(new.values())}/{fleet}"
        )
        changes = [own_statefulset_name(r) for r in step.regions]
        if step.kind == FULL:
            changes += [
                f"{standby_statefulset_name(s, p)} ({warm} warm pods)"
                for s, p, warm in standbys
                if p in step.regions
            ]
        lines.append(f"       changes: {', '.join(changes)}")
    return lines


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m operations.rollout",
        description=" ".join((__doc__ or "").split("\n\n")[0].split()),
    )
    parser.add_argument("--stack", default="prod", help="stack name (default: prod)")
    parser.add_argument("--to", required=True, metavar="VERSION", help="the version to roll out")
    parser.add_argument(
        "--waves",
        nargs="+",
        metavar="REGION[,REGION...]",
        help="one argument per wave, its regions separated by commas",
    )
    parser.add_argument("--soak-minutes", type=float, help="soak per step (default 15)")
    parser.add_argument(
        "--canary-pods", type=int, help="pods per region in a wave's canary (default 1; 0: none)"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.add_argument("--log", type=Path, help="log file (default build/rollout-<stack>.log)")
    parser.add_argument("--project-dir", type=Path, default=REPO_ROOT, help="where Pulumi.yaml is")
    parser.add_argument(
        "--pulumi-root", help="the Pulumi CLI installation to drive (DIR/bin/pulumi; default PATH)"
    )
    return parser


def _waves(values: list[str] | None) -> list[list[str]] | None:
    if values is None:
        return None
    return [[region for region in value.split(",") if region] for value in values]


def main(
    argv: list[str] | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    aws_endpoint_url: str | None = None,
    check_every_seconds: float = 60.0,
    render: Render = render_offline,
    session: boto3.session.Session | None = None,
) -> int:
    """`sleep`, `aws_endpoint_url`, `check_every_seconds`, `render` and `session` are for tests
    (no-op soak, a local AWS endpoint, shared offline renders, one boto3 session for every run
    of a test session: a new one loads botocore's service models again); the Pulumi CLI is
    chosen with --pulumi-root like any installation."""
    args = build_parser().parse_args(argv)
    out, err = Console(), Console(stderr=True)
    project_dir = args.project_dir.resolve()
    stack_file = stack_file_path(project_dir, args.stack)
    try:
        config = load_config(stack_file)
        env = environment(config)
        limits = canary_limits(config)
        plan = plan_rollout(
            config,
            stack=args.stack,
            stack_file=stack_file,
            version=args.to,
            waves=_waves(args.waves),
            canary_pods=args.canary_pods,
            soak_minutes=args.soak_minutes,
        )
    except StackFileError as error:
        _say(err, f"error: {error}\nNothing was changed.")
        return 2
    if plan is None:
        _say(
            out,
            f"{stack_file.name} has release.version {args.to} and no rollout: nothing to roll "
            f"out (if its last `pulumi up` did not finish, run `pulumi up --stack {args.stack}`).",
        )
        return 0
    if args.dry_run:
        for line in dry_run_lines(plan, config):
            _say(out, line)
        lines, ok = offline_plan_lines(plan, config, render)
        for line in lines:
            _say(out, line)
        return 0 if ok else 1
    return _run(
        args,
        plan,
        env,
        limits,
        out,
        err,
        sleep,
        aws_endpoint_url,
        check_every_seconds,
        argv,
        session,
    )


def _run(
    args: argparse.Namespace,
    plan: RolloutPlan,
    env: str,
    limits: CanaryConfig,
    out: Console,
    err: Console,
    sleep: Callable[[float], None],
    aws_endpoint_url: str | None,
    check_every_seconds: float,
    argv: list[str] | None,
    session: boto3.session.Session | None,
) -> int:
    log_path = args.log or args.project_dir.resolve() / "build" / f"rollout-{args.stack}.log"
    log = RunLog(log_path)
    log.write(
        f"start: python -m operations.rollout {' '.join(sys.argv[1:] if argv is None else argv)}"
    )
    if plan.resumed_from is not None:
        log.write(f"resuming: {plan.resumed_from.describe()}")
    driver: Driver | None = None
    try:
        with RichReporter(out, plan, log) as reporter:
            stack = open_stack(args.stack, args.project_dir, args.pulumi_root)
            session = session or boto3.session.Session()
            health = HealthReader(env, endpoint_url=aws_endpoint_url, session=session)
            driver = Driver(
                plan,
                stack,
                health,
                reporter,
                LiveReader(PulumiStackState(stack)),
                CanaryJudge(limits, PrometheusReader(session)),
                sleep=sleep,
                check_every_seconds=check_every_seconds,
            )
            driver.run()
    except RolloutStopped as error:
        log.write(f"stopped: {error}")
        _say(err, f"Rollout stopped: {error}\nLog: {log_path}")
        return 1
    except KeyboardInterrupt:
        step = driver.current.label if driver and driver.current else "the start"
        where = where_it_stands(plan)
        message = (
            f"Interrupted during {step}. {plan.stack_file.name} says {where}: run the same "
            "command again to resume from there."
        )
        log.write(f"interrupted: {message}")
        _say(err, message)
        return 130
    except (CommandError, InvalidVersionError, OSError) as error:
        log.write(f"error: {error}")
        _say(err, f"error: the Pulumi CLI could not be driven: {error}\nLog: {log_path}")
        return 1
    finally:
        log.close()
    _say(
        out, f"Rolled out {plan.version} on stack {plan.stack}: every wave healthy. Log: {log_path}"
    )
    return 0


def _say(console: Console, text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


if __name__ == "__main__":
    raise SystemExit(main())
