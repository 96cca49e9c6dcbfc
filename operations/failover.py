"""`make failover PRIMARY=<region>`: fail a primary over to its DR standby while it is down.

Checks the request against the stack file (the region must be the primary of a DR pair and not
failed over yet) and the shell it runs in (static session credentials, and AWS_REGION where the
secrets key answers: operations/failover_environment.py), renders the stack before and after
`failover: {primary: standby}` offline, with the failed region, and any other failed-over
primary still down, answering every call the way an outage would (operations/outage.py), and works
out the targeted update that changes only the standby region. Only when every check passes does
it write the stack file (comments and layout kept; earlier failovers stay), the failover's
offline plan (`build/failover-<primary>/plan.json`, `plan.md`) and print the commands: the
credentials, the cache promotion, the `pulumi up --target ... --target-dependents` to run now,
and the full update to run when the region answers again. Anything wrong stops it before it
writes anything.
"""

from __future__ import annotations

import argparse
import copy
import os
import shlex
import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from offline.policy_runner import PolicyReport
from offline.recorder import RecordedStack, RecordingMonitor
from offline.stacks import (
    PROJECT,
    REPO_ROOT,
    run_stack_file,
    stack_file_config,
    stack_file_of,
    stack_name_of,
)
from operations.failover_environment import (
    credentials_commands,
    environment_problems,
    secrets_key_problems,
    secrets_key_regions,
    secrets_provider_of,
)
from operations.outage import (
    OutageMocks,
    RegionDown,
    calls_into,
    changed_resources,
    skipped_creates_needed,
    targeted_set,
)
from operations.stack_file import StackFileError, edit_stack_file, primary_pair, stack_config
from planning.diff import STATEFUL_IDENTITY, blocks_the_plan, diff_plans
from planning.plan import build_plan, plan_resources, write_plan
from regions.config import StackConfig
from regions.providers import GLOBAL_SERVICES_REGION, is_unreachable

FAILOVER_KEY = f"{PROJECT}:failover"
# Renders a stack file's config with the given regions answering every call as if down.
Render = Callable[[dict[str, Any], str, frozenset[str]], RecordedStack]


class FailoverError(Exception):
    """The failover cannot go ahead as asked; nothing was written."""


def render_offline(config: dict[str, Any], stack: str, down: frozenset[str]) -> RecordedStack:
    monitor = RecordingMonitor(OutageMocks(failed=down)) if down else None
    return run_stack_file(copy.deepcopy(config), stack=stack, monitor=monitor)


@dataclass(frozen=True)
class FailoverPlan:
    stack: str
    stack_file: Path
    primary: str
    standby: str
    down: frozenset[str]
    """The regions that may be down during the update: this primary and any earlier failed-over
    one whose failback has not begun."""
    config: dict[str, Any]
    """The stack file's config with the failover in it."""
    before: RecordedStack
    after: RecordedStack
    targets: list[str]
    """What `--target` names: every resource of the standby region the failover changes."""
    changes: dict[str, str]
    """Every change of the failover (URN -> create, update or delete), wherever it is."""
    plan: dict[str, Any]
    """The failover's offline plan, with its diff against the stack before."""

    @property
    def deferred(self) -> dict[str, str]:
        """Changes left for the update after the region returns."""
        targeted = targeted_set(self.after, self.before, self.targets)
        return {urn: op for urn, op in self.changes.items() if urn not in targeted}


def _parsed(config: dict[str, Any], where: str) -> StackConfig:
    try:
        return stack_config(config)
    except StackFileError as error:
        raise FailoverError(f"{where}: {error}") from None


def down_regions(config: dict[str, Any], where: str) -> frozenset[str]:
    """The failed-over primaries whose failback has not begun (regions/providers.py)."""
    stack = _parsed(config, where)
    return frozenset(region for region in stack.failover if is_unreachable(stack, region))


def failover_config(config: dict[str, Any], primary: str, stack_file: Path) -> dict[str, Any]:
    """The config with `primary` failed over, every earlier failover kept; a clear error when
    that is not a failover."""
    stack = _parsed(config, str(stack_file))
    try:
        pair = primary_pair(
            stack, primary, stack_file.name, ", so it has no standby to fail over to"
        )
    except StackFileError as error:
        raise FailoverError(str(error)) from None
    if primary in stack.failover:
        stage = stack.failback.get(primary)
        raise FailoverError(
            f"{primary} is already failed over to {stack.failover[primary]}"
            + (f" (failback stage: {stage})" if stage else "")
            + "; the way back is the failback sequence (docs/failover.md 'Failback by config')"
        )
    if pair.standby in stack.failover:
        raise FailoverError(
            f"{primary}'s standby {pair.standby} is itself failed over; nothing serves there"
        )
    failed_over = copy.deepcopy(config)
    failed_over[FAILOVER_KEY] = {**config.get(FAILOVER_KEY, {}), primary: pair.standby}
    _parsed(failed_over, f"{stack_file} with the failover")
    return failed_over


def plan_failover(
    stack_file: Path,
    primary: str,
    *,
    stack: str | None = None,
    render: Render = render_offline,
    report: Callable[[RecordedStack, dict[str, Any]], PolicyReport] | None = None,
    key_regions: Collection[str] | None = None,
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> FailoverPlan:
    """Everything the failover will do, checked; raises FailoverError and writes nothing when a
    check fails. `key_regions`: where the secrets key is (default: the erlmcp-state stack's).
    `transform`: more config the failover sets (operations/auto_failover.py's `failoverBy`)."""
    stack = stack or stack_name_of(stack_file)
    config = stack_file_config(stack_file)
    failed_config = failover_config(config, primary, stack_file)
    if transform is not None:
        failed_config = transform(failed_config)
        _parsed(failed_config, f"{stack_file} with the failover")
    standby = failed_config[FAILOVER_KEY][primary]
    down = down_regions(failed_config, str(stack_file))
    # The commands work with AWS_REGION=<standby>: the secrets key must answer there.
    key_problems = secrets_key_problems(
        secrets_provider_of(stack_file),
        secrets_key_regions() if key_regions is None else key_regions,
        standby,
        down,
    )
    if key_problems:
        raise FailoverError("the stack could not be loaded:\n  " + "\n  ".join(key_problems))
    try:
        before = render(config, stack, down_regions(config, str(stack_file)))
        after = render(failed_config, stack, down)
    except RegionDown as error:
        regions = " and ".join(sorted(down))
        raise FailoverError(f"the program needs {regions} while down: {error}") from None
    changes = changed_resources(before, after)
    by_urn = {**before.by_urn(), **after.by_urn()}
    targets = sorted(urn for urn in changes if by_urn[urn].region == standby)
    _check(down, before, after, targets, changes, by_urn)
    _check_changes_stay_in_the_pair(primary, standby, changes, by_urn)
    plan = build_plan(
        after,
        failed_config,
        stack_file,
        report=report(after, failed_config) if report else None,
    )
    plan["diff"] = diff_plans({"resources": plan_resources(before)}, plan)
    if blocks_the_plan(plan["diff"]) or not plan["policy"]["passed"]:
        found = [w for w in plan["diff"]["warnings"]] + [
            f"{d['policy']}: {d['message']}"
            for d in plan["policy"]["diagnostics"]
            if d["level"] == "mandatory"
        ]
        raise FailoverError("the failover plan is refused:\n  " + "\n  ".join(found))
    return FailoverPlan(
        stack=stack,
        stack_file=stack_file,
        primary=primary,
        standby=standby,
        down=down,
        config=failed_config,
        before=before,
        after=after,
        targets=targets,
        changes=changes,
        plan=plan,
    )


def _check(
    down: frozenset[str],
    before: RecordedStack,
    after: RecordedStack,
    targets: list[str],
    changes: dict[str, str],
    by_urn: dict[str, Any],
) -> None:
    problems = [
        f"{call.what}: needs {region}'s API"
        for region in sorted(down)
        for call in calls_into(region, before, after, targets)
    ]
    problems += [
        f"the engine would stop with 'untargeted create': {p}"
        for p in skipped_creates_needed(before, after, targets)
    ]
    problems += [
        f"{op} {urn}: outside the failed and the standby region (a global change needs us-east-1)"
        for urn, op in changes.items()
        if by_urn[urn].region is None
    ]
    problems += [
        f"{op} of a stateful resource: {urn}"
        for urn, op in changes.items()
        if op != "update" and by_urn[urn].type in STATEFUL_IDENTITY
    ]
    if not targets:
        problems.append("the failover changes nothing in the standby region")
    if problems:
        raise FailoverError("the failover update would not work:\n  " + "\n  ".join(problems))


def _check_changes_stay_in_the_pair(
    primary: str, standby: str, changes: dict[str, str], by_urn: dict[str, Any]
) -> None:
    """A failover changes its standby now and its own region later, nothing of another pair
    (an earlier failover the config lost would be undone there, unseen)."""
    elsewhere = [
        f"{op} {urn}" for urn, op in changes.items() if by_urn[urn].region not in (primary, standby)
    ]
    if elsewhere:
        raise FailoverError(
            f"the failover of {primary} would change other regions:\n  " + "\n  ".join(elsewhere)
        )


def write_failover(stack_file: Path, primary: str, standby: str) -> None:
    """Add `primary: standby` under the stack file's failover key, keeping comments."""

    def change(config: CommentedMap) -> None:
        failover = config.get(FAILOVER_KEY)
        if not isinstance(failover, dict):
            failover = CommentedMap()
            config[FAILOVER_KEY] = failover
            config.yaml_set_comment_before_after_key(
                FAILOVER_KEY,
                before="Failed-over primaries (docs/failover.md).",
                indent=2,
            )
        failover[primary] = standby

    edit_stack_file(stack_file, change)


def _unreachable_providers(down: frozenset[str]) -> str:
    names = [f"aws-{region}" for region in sorted(down)]
    if GLOBAL_SERVICES_REGION in down:
        names.append("aws-global")
    return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]


def commands(plan: FailoverPlan) -> str:
    stack, primary, standby = plan.stack, plan.primary, plan.standby
    environment = plan.config[f"{PROJECT}:environment"]
    targets = " \\\n".join(f"    --target {shlex.quote(urn)}" for urn in plan.targets)
    deferred = "\n".join(f"    {op:6} {urn}" for urn, op in sorted(plan.deferred.items()))
    return f"""\
Failover of {primary} to {standby} (stack {stack}): {len(plan.changes)} changes, \
{len(plan.targets)} of them in {standby} now, {len(plan.deferred)} when {primary} is back.

0. Credentials (this shell has them, checked): static session credentials taken through
   {standby}'s STS, no profile or web identity beside them, and AWS_REGION={standby}, where
   the stack's secrets key is read. A session lasts an hour by default; take a new one so:
{credentials_commands(standby)}

1. Make the cache's secondary in {standby} the primary of its Global Datastore
   (ElastiCache has no resource setting for it):
   aws elasticache failover-global-replication-group --region {standby} \\
       --global-replication-group-id "$(aws elasticache describe-global-replication-groups \\
           --region {standby} --output text --query "GlobalReplicationGroups[?ends_with(\
GlobalReplicationGroupId, 'erlmcp-{environment}-{primary}')].GlobalReplicationGroupId")" \\
       --primary-region {standby} --primary-replication-group-id erlmcp-{environment}-{primary}-dr

2. Now, while {primary} is down: promote the database copy in {standby} and give its release
   {primary}'s pods. Only {standby} changes. The engine still configures every provider; these
   make no call when configured: {_unreachable_providers(plan.down)} (README "Failover while a
   region is down"):
   pulumi up --stack {stack} --target-dependents \\
{targets}

3. When {primary} answers again: the rest of the failover, which fences {primary}'s release
   (0 pods, so its stale database cannot draw traffic back):
   pulumi preview --stack {stack} --diff
{deferred}
   pulumi up --stack {stack}
"""


def check_environment(
    environ: Mapping[str, str], stack_file: Path, primary: str
) -> tuple[str, frozenset[str]]:
    """The standby and the regions down, once the shell is fit to run the failover's commands;
    FailoverError, with the commands that make it fit, when it is not."""
    config = failover_config(stack_file_config(stack_file), primary, stack_file)
    standby = config[FAILOVER_KEY][primary]
    down = down_regions(config, str(stack_file))
    problems = environment_problems(
        environ,
        secrets_provider=secrets_provider_of(stack_file),
        key_regions=secrets_key_regions(),
        down=down,
    )
    if problems:
        raise FailoverError(
            "this shell cannot run the failover's `pulumi up` while "
            + " and ".join(sorted(down))
            + " is down:\n  "
            + "\n  ".join(problems)
            + f"\nTake static session credentials through {standby}'s STS:\n"
            + credentials_commands(standby)
        )
    return standby, down


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m operations.failover", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--primary", required=True, help="the failed primary region")
    parser.add_argument("--stack", default=None, help="stack name (default: prod)")
    parser.add_argument("--config", type=Path, help="the stack file (default: Pulumi.<stack>.yaml)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build")
    parser.add_argument(
        "--after-auto",
        action="store_true",
        help="the pair's ARC Region switch plan ran: read what it did, write the matching config",
    )
    parser.add_argument(
        "--rearm",
        action="store_true",
        help="the pair is home: clear its 'automatic failover ran' marker (arms the trigger)",
    )
    args = parser.parse_args(argv)
    stack_file = stack_file_of(args.stack, args.config)
    if args.after_auto or args.rearm:
        from operations import auto_failover

        environ = os.environ if environ is None else environ
        return auto_failover.main(args, stack_file, environ)
    try:
        check_environment(os.environ if environ is None else environ, stack_file, args.primary)
        print(f"Rendering {stack_file} before and after the failover (offline)...", file=sys.stderr)
        plan = plan_failover(stack_file, args.primary, stack=args.stack)
    except FailoverError as error:
        print(f"error: {error}\nNothing was changed.", file=sys.stderr)
        return 2
    paths = write_plan(plan.plan, args.out / f"failover-{plan.primary}")
    write_failover(stack_file, plan.primary, plan.standby)
    print(f"Wrote {stack_file} ({FAILOVER_KEY}: {plan.primary}: {plan.standby})")
    print(f"Wrote {paths[0]} and {paths[1]}")
    print(commands(plan))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
