"""One restore drill per database that takes writes: the newest recovery point in the DR
partner's vault, restored into a scratch database in that region, waited for, checked, deleted.

**Which point.** The copy in the partner's (the standby's) vault: that is what survives the loss
of the primary's region, and it is already where the drill restores (RDS restores a snapshot in
its own region only; a point in the primary's vault would first need a cross-region copy, which
is what the backup plan's copy action has already done). Its age is the data a restore from
backups would lose.

**Every path deletes.** The scratch database's identifier is chosen before the first call that
could create it, and the `finally` that deletes it runs on success, on any failure, and on an
interrupt (Ctrl-C: KeyboardInterrupt passes through the cleanup and then ends the run). What
could not be deleted is named in the result; it carries the drill's tag and name prefix, and the
next drill of the same primary deletes it first (`leftovers`).

**Against the budget.** The restore's duration (restore call until the instance is available)
is compared with the pair's RTO target and with the design RTO of regions/dr_budget.py; the
point's age with the RPO target and the design RPO. The budget's figures are for a failover to
the replica; a restore from backup is the data-corruption path (runbook §8.3) and the fallback
when the replica itself is lost, and the drill measures it: the first figure of the DR budget
that is measured, not estimated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from operations.aws_clients import AwsClients
from operations.clock import Clock
from operations.drill.probes import Probe
from operations.drill.scratch import (
    RestoreFailed,
    Scratch,
    ScratchDatabases,
    scratch_identifier,
    scratch_tags,
)
from operations.fleet import Fleet
from operations.kubernetes_api import KubernetesError, KubernetesUnreachable
from operations.recovery_points import RecoveryPoint, newest_restorable, recovery_points
from regions.config import DrPairConfig
from regions.dr_budget import pair_budget
from regions.lineage import DatabaseCopy

# A drill stops on these and reports them; anything else is a bug and ends the run (after the
# cleanup).
DRILL_ERRORS = (RestoreFailed, ClientError, BotoCoreError, KubernetesError, KubernetesUnreachable)


@dataclass(frozen=True)
class DrillTarget:
    writer: DatabaseCopy
    """The copy AWS Backup backs up."""
    region: str
    """Where its points are copied, and where the drill restores: the DR partner."""
    pair: DrPairConfig | None
    beside: tuple[tuple[str, bool], ...]
    """Databases in `region` (identifier, is an Aurora cluster) whose network to borrow."""
    instance_class: str


def drill_targets(fleet: Fleet, primary: str | None = None) -> list[DrillTarget]:
    """The writing databases (of `primary` alone, if given) whose backups are copied to a
    partner region."""
    targets = []
    for writing in fleet.writing_databases():
        if writing.partner is None or (primary and writing.copy.primary != primary):
            continue
        beside = tuple(
            (copy.identifier, copy.mechanism == "aurora-global")
            for copy in fleet.databases_in(writing.partner, writing.copy.primary)
        )
        database = fleet.stack.regions[writing.copy.primary].database
        assert database is not None
        targets.append(
            DrillTarget(
                writing.copy, writing.partner, writing.pair, beside, database.instance_class
            )
        )
    return targets


@dataclass
class DrillResult:
    primary: str
    database: str
    mechanism: str
    region: str
    vault: str
    point: dict[str, Any] | None = None
    scratch: str | None = None
    placed_beside: str | None = None
    restore_minutes: float | None = None
    check: dict[str, Any] | None = None
    removed_leftovers: list[str] = field(default_factory=list)
    cleanup_errors: list[str] = field(default_factory=list)
    budget: dict[str, Any] | None = None
    error: str | None = None

    @property
    def passed(self) -> bool:
        checked = bool(self.check and self.check["passed"])
        return checked and not self.error and not self.cleanup_errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "primary": self.primary,
            "database": self.database,
            "mechanism": self.mechanism,
            "restoreRegion": self.region,
            "vault": self.vault,
            "recoveryPoint": self.point,
            "scratch": self.scratch,
            "placedBeside": self.placed_beside,
            "restoreMinutes": self.restore_minutes,
            "check": self.check,
            "removedLeftovers": self.removed_leftovers,
            "cleanupErrors": self.cleanup_errors,
            "budget": self.budget,
            "error": self.error,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class DrillSettings:
    timeout_minutes: float = 120
    poll_seconds: float = 30


ProbeFor = Callable[[DrillTarget, Scratch], Probe]


class Drill:
    """Runs drills one after another; `results` holds each as it goes (an interrupted run
    still has the results so far, the interrupted one included)."""

    def __init__(
        self,
        fleet: Fleet,
        clients: AwsClients,
        clock: Clock,
        probe_for: ProbeFor,
        settings: DrillSettings = DrillSettings(),
    ) -> None:
        self.fleet, self.clients, self.clock = fleet, clients, clock
        self.probe_for, self.settings = probe_for, settings
        self.results: list[DrillResult] = []

    def run_all(self, targets: list[DrillTarget]) -> list[DrillResult]:
        for target in targets:
            self.run(target)
        return self.results

    def run(self, target: DrillTarget) -> DrillResult:
        writer, fleet = target.writer, self.fleet
        result = DrillResult(
            writer.primary,
            writer.identifier,
            writer.mechanism,
            target.region,
            fleet.vault_name(target.region),
        )
        self.results.append(result)
        scratches = ScratchDatabases(self.clients("rds", target.region), target.region, self.clock)
        try:
            self._remove_leftovers(scratches, target, result)
            point = self._newest_point(target, result)
            if point is not None:
                self._restore_and_check(scratches, target, point, result)
        except DRILL_ERRORS as error:
            result.error = result.error or str(error)
        except KeyboardInterrupt:
            result.error = "interrupted"
            raise
        return result

    def _remove_leftovers(
        self, scratches: ScratchDatabases, target: DrillTarget, result: DrillResult
    ) -> None:
        for leftover in scratches.leftovers(self.fleet.environment, target.writer.primary):
            result.cleanup_errors += scratches.delete(leftover)
            result.removed_leftovers.append(leftover.identifier)

    def _newest_point(self, target: DrillTarget, result: DrillResult) -> RecoveryPoint | None:
        backup = self.clients("backup", target.region)
        arn = self.fleet.database_arn(target.writer)
        point = newest_restorable(recovery_points(backup, result.vault, target.region, arn))
        if point is None:
            result.error = f"no restorable recovery point of {arn} in vault {result.vault}"
            return None
        age = point.age_minutes(self.clock.now())
        result.point = {
            "arn": point.arn,
            "created": point.created.isoformat(),
            "ageMinutes": round(age, 1),
            "copiedFrom": point.copied_from,
        }
        result.budget = _budget(self.fleet, target.pair, age)
        return point

    def _restore_and_check(
        self,
        scratches: ScratchDatabases,
        target: DrillTarget,
        point: RecoveryPoint,
        result: DrillResult,
    ) -> None:
        writer = target.writer
        started = self.clock.now()
        identifier = scratch_identifier(self.fleet.environment, writer.primary, started)
        scratch = Scratch(target.region, identifier, point.is_cluster)
        placement = scratches.placement(target.beside)
        result.scratch, result.placed_beside = identifier, placement.borrowed_from
        tags = scratch_tags(writer.primary, started, _base_tags(self.fleet))
        probe = self.probe_for(target, scratch)
        result.removed_leftovers += probe.sweep()
        try:
            scratches.restore(point, identifier, placement, target.instance_class, tags)
            scratches.wait_available(
                scratch, self.settings.timeout_minutes * 60, self.settings.poll_seconds
            )
            minutes = (self.clock.now() - started).total_seconds() / 60
            result.restore_minutes = round(minutes, 1)
            if result.budget is not None:
                result.budget.update(_rto(self.fleet, target.pair, minutes))
            check = probe.run(scratch)
            result.check = {"passed": check.passed, "method": check.method, "detail": check.detail}
        finally:
            result.cleanup_errors += scratches.delete(scratch)


def _base_tags(fleet: Fleet) -> dict[str, str]:
    """The tags every resource of the stack carries (regions/region.py `region_tags`), so cost
    reports put the drill's database with the service's."""
    return {**fleet.stack.tags, "service": "erlmcp", "environment": fleet.environment}


def _budget(fleet: Fleet, pair: DrPairConfig | None, age_minutes: float) -> dict[str, Any] | None:
    if pair is None:
        return None
    design = pair_budget(fleet.stack, pair)
    return {
        "pair": pair.name,
        "rpoTargetMinutes": pair.rpo_minutes,
        "rpoDesignMinutes": round(design.rpo, 2),
        "pointAgeMinutes": round(age_minutes, 1),
        "pointWithinRpoTarget": age_minutes <= pair.rpo_minutes,
        "rtoTargetMinutes": pair.rto_minutes,
        "rtoDesignMinutes": round(design.rto, 2),
    }


def _rto(fleet: Fleet, pair: DrPairConfig | None, minutes: float) -> dict[str, Any]:
    if pair is None:
        return {}
    return {
        "restoreMinutes": round(minutes, 1),
        "restoreWithinRtoTarget": minutes <= pair.rto_minutes,
    }
