"""`make restore REGION=<primary> [TO=<time>] [STAGE=...]`: restore a primary's database to a
point in time, one stage per run (runbook §8.3; docs/restore.md).

The stages: `writes-stopped` (the release and its standby's go to 0 pods), `restored` (a new
database restored beside the damaged one to TO), `switched` (the release serves from it) and
`dr-rebuilt` (the pair's next generation: a standby copy of the restored database; the damaged
generation is kept, retired). Each run moves one primary one stage on (STAGE defaults to the
next one), checks the result with the program's own model (regions/config/restore.py), writes
the stack file (comments and layout kept, operations/stack_file.py) and prints what to review,
apply and check before the next stage. TO must lie in the database's restore window: back as
far as the backup retention, up to about five minutes ago (RDS user guide, USER_PIT: "The
latest restorable time for a DB instance is typically within 5 minutes of the current time";
Aurora user guide, aurora-pitr: "You can restore to any point in time within your backup
retention period"). Nothing is rendered here: every stage is a whole-stack `pulumi up` with
every region answering, reviewed with `make plan AGAINST=...` as any change is.
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from offline.stacks import PROJECT, stack_file_of, stack_name_of
from operations.clock import SYSTEM_CLOCK
from operations.stack_file import (
    PAIRS_KEY,
    StackFileError,
    edit_stack_file,
    load_config,
    primary_pair,
    stack_config,
)
from regions.config import DrPairConfig, StackConfig
from regions.config.restore import (
    DR_REBUILT,
    RESTORE_STAGES,
    parse_rfc3339,
    rfc3339_utc,
)
from regions.dr_budget import FIGURES
from regions.lineage import lineage

RESTORE_KEY = f"{PROJECT}:restore"
STAGES = (*RESTORE_STAGES, DR_REBUILT)
LATEST_RESTORABLE = timedelta(minutes=FIGURES["latest_restorable"].minutes)
Now = Callable[[], datetime]


class RestoreError(Exception):
    """The restore cannot move as asked; nothing was written."""


@dataclass(frozen=True)
class RestoreWindow:
    earliest: datetime
    latest: datetime

    @property
    def earliest_text(self) -> str:
        return rfc3339_utc(self.earliest)

    @property
    def latest_text(self) -> str:
        return rfc3339_utc(self.latest)

    def __str__(self) -> str:
        return f"{self.earliest_text} .. {self.latest_text}"


def restore_window(stack: StackConfig, now: datetime) -> RestoreWindow:
    """Where a restore time may lie now: within the backup retention, and no later than the
    latest restorable time (about five minutes ago). AWS knows the exact bounds
    (EarliestRestorableTime, LatestRestorableTime); the steps print how to read them."""
    now = now.replace(microsecond=0)
    retention = timedelta(days=stack.backups.database.retention_days)
    return RestoreWindow(earliest=now - retention, latest=now - LATEST_RESTORABLE)


@dataclass(frozen=True)
class RestoreStep:
    """One stage of one primary's restore, checked; `config` is the stack file's config after
    it."""

    stack_name: str
    stack_file: Path
    primary: str
    pair: DrPairConfig
    stage: str
    to: str | None
    config: dict[str, Any]
    window: RestoreWindow
    damaged: str
    """The identifier of the database being restored from."""
    restored: str
    """The identifier of the database the restore makes."""
    domain: str


def _parsed(config: dict[str, Any], where: str) -> StackConfig:
    try:
        return stack_config(config)
    except StackFileError as error:
        raise RestoreError(f"{where}: {error}") from None


def _pair_of(stack: StackConfig, primary: str, where: Path) -> DrPairConfig:
    try:
        pair = primary_pair(
            stack, primary, where.name, ": a restore makes the pair's next generation"
        )
    except StackFileError as error:
        raise RestoreError(str(error)) from None
    if primary in stack.failover:
        raise RestoreError(
            f"{primary} is failed over to {stack.failover[primary]}: finish the failback first "
            "(docs/failover.md 'Failback by config')"
        )
    return pair


def next_stage(current: str | None) -> str:
    return STAGES[0] if current is None else STAGES[min(STAGES.index(current) + 1, 3)]


def _check_stage(primary: str, current: str | None, wanted: str) -> None:
    """Stages go forward one at a time (each is its own `pulumi up`); writes-stopped may be
    written again, to set or change TO before the restored database exists."""
    if wanted not in STAGES:
        raise RestoreError(f"stage {wanted!r} is not one of {', '.join(STAGES)}")
    at = -1 if current is None else STAGES.index(current)
    step = STAGES.index(wanted)
    if step == at and wanted == STAGES[0]:
        return
    if step != at + 1:
        where = f"at stage {current}" if current else "not being restored"
        raise RestoreError(
            f"{primary} is {where}; the next stage is {next_stage(current)} (stages go "
            f"forward one `pulumi up` at a time: {' -> '.join(STAGES)}). To abandon a restore "
            "before its database exists, remove its entry from the stack file"
        )


def _restore_time(
    primary: str, recorded: str | None, given: str | None, stage: str, window: RestoreWindow
) -> str | None:
    """The time to write: the one given or the one recorded. Until the restored database is
    made (stages writes-stopped and restored) it may change and must lie in the window; after,
    it cannot change (`restore_to_point_in_time` is ForceNew: components/postgres.py
    PointInTimeRestore)."""
    time = recorded
    if given is not None:
        try:
            time = rfc3339_utc(parse_rfc3339(given))
        except ValueError as error:
            raise RestoreError(f"TO={given}: {error}") from None
    making = stage in STAGES[:2]
    if not making:
        if time != recorded:
            raise RestoreError(
                f"{primary} was restored to {recorded}; a new time would replace the restored "
                "database. Finish this restore, then restore again"
            )
        return time
    if time is None:
        if stage == "restored":
            raise RestoreError(
                f"stage restored needs TO=<the last good time, RFC 3339> for {primary} "
                f"(its restore window now: {window})"
            )
        return None
    if not window.earliest <= parse_rfc3339(time) <= window.latest:
        raise RestoreError(
            f"TO={time} lies outside {primary}'s restore window {window}: back as far as the "
            "backup retention (backups.database.retentionDays), up to the latest restorable "
            f"time, about {LATEST_RESTORABLE.seconds // 60} min ago (RDS user guide, USER_PIT)"
        )
    return time


def plan_restore(
    stack_file: Path,
    primary: str,
    *,
    to: str | None = None,
    stage: str | None = None,
    stack: str | None = None,
    now: Now = SYSTEM_CLOCK.now,
) -> RestoreStep:
    """The next stage of `primary`'s restore, checked; RestoreError, and nothing written, when
    it cannot go ahead."""
    config = load_config(stack_file)
    before = _parsed(config, str(stack_file))
    pair = _pair_of(before, primary, stack_file)
    current = before.restore.get(primary)
    wanted = stage or next_stage(current.stage if current else None)
    _check_stage(primary, current.stage if current else None, wanted)
    window = restore_window(before, now())
    recorded = current.to_text if current and current.to else None
    time = _restore_time(primary, recorded, to, wanted, window)
    after = _next_config(config, primary, pair, wanted, time)
    _parsed(after, f"{stack_file} with the restore")
    damaged = lineage(primary, before.environment, pair, "normal").primary_uses
    return RestoreStep(
        stack_name=stack or stack_name_of(stack_file),
        stack_file=stack_file,
        primary=primary,
        pair=pair,
        stage=wanted,
        to=time,
        config=after,
        window=window,
        damaged=damaged.identifier,
        restored=replace(damaged, generation=damaged.generation + 1).identifier,
        domain=before.domain,
    )


def _next_config(
    config: dict[str, Any], primary: str, pair: DrPairConfig, stage: str, time: str | None
) -> dict[str, Any]:
    after = copy.deepcopy(config)
    restores = dict(after.get(RESTORE_KEY) or {})
    if stage != DR_REBUILT:
        restores[primary] = {"stage": stage, **({"to": time} if time else {})}
        after[RESTORE_KEY] = restores
        return after
    restores.pop(primary, None)
    after[RESTORE_KEY] = restores
    for entry in after.get(PAIRS_KEY) or []:
        if entry.get("primary") == primary:
            entry.update(_next_generation(pair, time))
    return after


def _next_generation(pair: DrPairConfig, time: str | None) -> dict[str, Any]:
    """The pair's keys once the restore is done: the restored generation is current, the
    damaged one retired (kept, protected), and the restore recorded."""
    assert time is not None  # the model requires it from stage restored on
    restored = {str(g): rfc3339_utc(t) for g, t in pair.restored_generations.items()}
    return {
        "generation": pair.generation + 1,
        "retiredGenerations": [*pair.retired_generations, pair.generation],
        "restoredGenerations": {**restored, str(pair.generation + 1): time},
    }


def write_restore(step: RestoreStep) -> None:
    """Write the stage into the stack file, keeping comments and layout."""

    def change(config: CommentedMap) -> None:
        if step.stage == DR_REBUILT:
            _close(config, step)
            return
        restores = config.get(RESTORE_KEY)
        if not isinstance(restores, dict):
            restores = CommentedMap()
            config[RESTORE_KEY] = restores
            config.yaml_set_comment_before_after_key(
                RESTORE_KEY,
                before="Point-in-time restores under way (docs/restore.md; make restore).",
                indent=2,
            )
        entry = CommentedMap()
        if step.to is not None:
            entry["to"] = step.to
        entry["stage"] = step.stage
        restores[step.primary] = entry

    edit_stack_file(step.stack_file, change)


def _close(config: CommentedMap, step: RestoreStep) -> None:
    """The entry goes (the key stays, `{}`, with its comment: no restore under way); the pair
    moves to its next generation."""
    restores = config.get(RESTORE_KEY)
    if isinstance(restores, dict):
        restores.pop(step.primary, None)
    for entry in config.get(PAIRS_KEY) or []:
        if entry.get("primary") == step.primary:
            for key, value in _next_generation(step.pair, step.to).items():
                entry[key] = value


def _database_kind(pair: DrPairConfig) -> tuple[str, str]:
    """(what the AWS CLI calls it, the describe command's query prefix)."""
    if pair.database == "aurora-global":
        return "cluster", "DBClusters"
    return "instance", "DBInstances"


def steps(step: RestoreStep) -> str:
    """What to review, apply and check for this stage, and the next command."""
    kind, listing = _database_kind(step.pair)
    stack, primary, standby = step.stack_name, step.primary, step.pair.standby
    number = STAGES.index(step.stage) + 1
    header = (
        f"Restore of {primary} ({step.pair.database}, standby {standby}), stage {number} of 4: "
        f"{step.stage}" + (f", to {step.to}" if step.to else "") + f" (stack {stack})."
    )
    apply = (
        "1. Review, then apply (one update):\n"
        "   make plan AGAINST=build/plan.json   # the plan of the stage before\n"
        f"   pulumi up --stack {stack}\n"
    )
    body = {
        "writes-stopped": f"""\
   Expect: {primary}'s release to 0 pods and its HPA removed, {standby}'s release for it to 0
   pods; no database changes.
2. Check: no pod of either release runs; Route 53's health check of {primary} is red and its
   users reach the next-nearest healthy region (docs/restore.md "Where the users go").
3. Find the last good time, inside the restore window: now {step.window.earliest_text} ..
   {step.window.latest_text}; AWS's exact bounds:
   aws rds describe-db-{kind}s --region {primary} --db-{kind}-identifier {step.damaged} \\
       --query '{listing}[0].[EarliestRestorableTime,LatestRestorableTime]'
4. Decide what to keep of the writes after it, and export it from {step.damaged}
   (docs/restore.md "Keeping what came after the restore time").
Next: make restore REGION={primary} TO=<the last good time, RFC 3339> STAGE=restored
""",
        "restored": f"""\
   Expect: a new database {step.restored} (with its network, parameters and alarm) in
   {primary}, restored from {step.damaged} to {step.to}; nothing stateful changed.
2. Wait until it is available:
   aws rds wait db-{kind}-available --region {primary} \\
       --db-{kind}-identifier {step.restored}
3. Verify it before any pod uses it (docs/restore.md "Verifying the restored database"): the
   damage is absent, the data up to {step.to} is there.
4. The cache is not restored: clear what it holds of the data after {step.to}
   (docs/restore.md "The cache").
Next: make restore REGION={primary} STAGE=switched
""",
        "switched": f"""\
   Expect: {primary}'s release back to its pods and HPA, on {step.restored}'s endpoint.
2. Check: https://{primary}.{step.domain}/health and the pods' readiness; Route 53's health check
   of {primary} turns green and its users come back. Until the next stage the restored data
   has no copy in {standby}.
Next: make restore REGION={primary} STAGE=dr-rebuilt
""",
        DR_REBUILT: f"""\
   Expect: the pair's generation {step.pair.generation + 1}: a standby copy of {step.restored} in
   {standby}, its release there on it (its warm pods again); generation {step.pair.generation}
   ({step.damaged} and its copy) kept, protected, tagged dr-retired.
2. Check: the lag alarm of the new copy in {standby} is OK.
Generation {step.pair.generation} holds every write after {step.to}. Letting it go is a later
change: remove {step.pair.generation} from retiredGenerations (docs/restore.md "Afterwards").
""",
    }[step.stage]
    return f"{header}\n\n{apply}{body}"


def main(argv: list[str] | None = None, now: Now = SYSTEM_CLOCK.now) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m operations.restore", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--region", required=True, help="the primary whose data is restored")
    parser.add_argument("--to", help="the time to restore to (RFC 3339, e.g. 2026-05-01T09:30:00Z)")
    parser.add_argument("--stage", choices=STAGES, help="default: the next stage")
    parser.add_argument("--stack", default=None, help="stack name (default: prod)")
    parser.add_argument("--config", type=Path, help="the stack file (default: Pulumi.<stack>.yaml)")
    args = parser.parse_args(argv)
    stack_file = stack_file_of(args.stack, args.config)
    try:
        step = plan_restore(
            stack_file, args.region, to=args.to, stage=args.stage, stack=args.stack, now=now
        )
    except (RestoreError, StackFileError) as error:
        print(f"error: {error}\nNothing was changed.", file=sys.stderr)
        return 2
    write_restore(step)
    written = (
        f"{RESTORE_KEY}: {step.primary}: {{stage: {step.stage}"
        + (f", to: {step.to}" if step.to else "")
        + "}"
        if step.stage != DR_REBUILT
        else f"{PAIRS_KEY}: {step.primary}'s generation {step.pair.generation + 1}, "
        f"restored to {step.to}; {RESTORE_KEY} entry removed"
    )
    print(f"Wrote {stack_file} ({written})")
    print(steps(step))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
