"""A secret rotation, step by step, through the Pulumi Automation API (the steps:
operations/rotation_plan.py).

Each step is the same moves as a rollout's (operations/rollout/driver.py), so a step can be
redone after an interruption:

1. write the step into the stack file (the file then says where the rotation stands);
2. `pulumi preview`, refusing any change the step may not make (`rotation_plan.allowed`:
   the secret's RandomPasswords, its stores' password inputs in place, the role Job, the
   wave's releases; never a replacement or removal of anything stateful), the file put back;
3. `pulumi up`, which must end "succeeded": pulumi-kubernetes awaits the wave's StatefulSets
   until their pods run the new template and are Ready (provider/pkg/await/statefulset.go),
   and the role Job until it completes (await/job.go), so a pod that cannot start on the new
   value fails the step there;
4. read health (operations/health.py: the Route 53 checks and alarms of the step's serving
   regions, looking back to the step's `up`; a region that only stands by fails its check by
   design): healthy, next step; unhealthy, stop.

Stopping never leaves a client without a valid value: until `retire` the store accepts the old
value and the new one, so the stack file's step is a resting point; the same command resumes
it. Going back before `retire` is writing the step before and `pulumi up` (docs/rotate.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from pulumi.automation import CommandError, ConcurrentUpdateError, EngineEvent

from operations.clock import SYSTEM_CLOCK
from operations.health import HealthReport, health_check_ids
from operations.rotation_plan import (
    FINISH,
    ROLL,
    Change,
    RotationPlan,
    Step,
    allowed,
    normalised,
    write_step,
)
from operations.stack_file import load_config, replace_bytes, stack_config
from regions.config import StackConfig
from regions.config.secrets import rotation_hosts

NO_CHANGE = frozenset({"same", "read"})


class RotationStopped(Exception):
    """The rotation stopped on purpose; the message says why and where the file stands."""


class Engine(Protocol):
    """The parts of `pulumi.automation.Stack` the driver uses."""

    def preview(self, *, diff: bool, on_event: Callable[[EngineEvent], None]) -> Any: ...

    def up(self, *, on_event: Callable[[EngineEvent], None]) -> Any: ...

    def outputs(self) -> dict[str, Any]: ...


class Health(Protocol):
    def read(
        self, regions: list[str], check_ids: dict[str, str | None], since: datetime | None = None
    ) -> HealthReport: ...


class RotationDriver:
    def __init__(
        self,
        plan: RotationPlan,
        engine: Engine,
        health: Health,
        say: Callable[[str], None],
        clock: Callable[[], datetime] = SYSTEM_CLOCK.now,
    ) -> None:
        self.plan = plan
        self.engine = engine
        self.health = health
        self.say = say
        self.clock = clock
        self.current: Step | None = None

    def run(self) -> None:
        for index in range(self.plan.start, len(self.plan.steps)):
            self.current = self.plan.steps[index]
            self._run_step(self.current, index + 1)
        self.current = None

    def _run_step(self, step: Step, number: int) -> None:
        path = self.plan.stack_file
        label = f"step {number}/{len(self.plan.steps)} {step.label}"
        before = path.read_bytes()
        wrote, step_config = self._write(step, label)
        stack = stack_config(step_config)
        try:
            changes = self._preview(label)
        except RotationStopped:
            self._put_back(before, wrote, label)
            raise
        outside = [c for c in changes if not allowed(c, stack, self.plan, step)]
        if outside:
            self._put_back(before, wrote, label)
            listed = "\n  ".join(f"{c.op} {c.urn or c.name}" for c in outside)
            raise RotationStopped(
                f"the preview of {step.label} changes what the step may not; nothing was "
                f"deployed, {path.name} is put back:\n  {listed}"
            )
        began = self.clock()
        self._up(label, step)
        self._check_health(step, stack, label, began)
        self.say(f"{label}: done")

    def _write(self, step: Step, label: str) -> tuple[bool, dict[str, Any]]:
        """Write the step unless the file already says it (a resumed step); whether it wrote,
        and the config as the step leaves it."""
        config = load_config(self.plan.stack_file)
        step_config = self.plan.config_at(config, step)
        if step_config == config:
            self.say(f"{label}: {self.plan.stack_file.name} already says so, resuming")
            return False, step_config
        write_step(self.plan.stack_file, self.plan, step)
        self.say(f"{label}: wrote {self.plan.stack_file.name}")
        return True, step_config

    def _put_back(self, before: bytes, wrote: bool, label: str) -> None:
        if wrote:
            replace_bytes(self.plan.stack_file, before)
            self.say(f"{label}: put {self.plan.stack_file.name} back as it was")

    def _preview(self, label: str) -> list[Change]:
        changes: list[Change] = []

        def on_event(event: EngineEvent) -> None:
            change = change_of(event)
            if change is not None:
                changes.append(change)

        try:
            self.engine.preview(diff=True, on_event=on_event)
        except CommandError as error:
            raise RotationStopped(
                f"`pulumi preview` failed; nothing was deployed:\n{error}"
            ) from None
        self.say(
            f"{label}: preview: " + (", ".join(f"{c.op} {c.name}" for c in changes) or "no change")
        )
        return changes

    def _up(self, label: str, step: Step) -> None:
        try:
            result = self.engine.up(on_event=lambda event: None)
        except ConcurrentUpdateError:
            raise RotationStopped(
                f"another update of stack {self.plan.stack} is running; nothing of {step.label} "
                "was deployed: run again once it is over"
            ) from None
        except CommandError as error:
            raise RotationStopped(self._resting(step, f"`pulumi up` failed:\n{error}")) from None
        outcome = getattr(getattr(result, "summary", None), "result", "succeeded")
        if outcome != "succeeded":
            raise RotationStopped(self._resting(step, f"`pulumi up` ended {outcome!r}"))
        self.say(f"{label}: up succeeded")

    def _check_health(self, step: Step, stack: StackConfig, label: str, began: datetime) -> None:
        if step.kind == FINISH:
            return
        hosts = list(step.regions) if step.kind == ROLL else self._hosts(stack)
        # A region that only stands by fails its own Route 53 check by design (0 pods, or warm
        # pods waiting for their database's promotion): its pods' readiness is what `up`
        # awaited; health is read where traffic is served.
        regions = [region for region in hosts if stack.regions[region].serving]
        if not regions:
            self.say(f"{label}: no serving region in the step; `pulumi up` awaited its pods")
            return
        outputs = {
            key: getattr(value, "value", value) for key, value in self.engine.outputs().items()
        }
        report = self.health.read(regions, health_check_ids(outputs), since=began)
        self.say(f"{label}: health of {', '.join(regions)}: {report.verdict}")
        if not report.healthy:
            unwell = "\n  ".join(s.describe() for s in report.failing + report.holding)
            raise RotationStopped(self._resting(step, f"unhealthy after the step:\n  {unwell}"))

    def _hosts(self, stack: StackConfig) -> list[str]:
        return rotation_hosts(self.plan.secret, self.plan.region, stack.regions, stack.dr_pairs)

    def _resting(self, step: Step, why: str) -> str:
        return (
            f"{step.label}: {why}\n{self.plan.stack_file.name} stays at {step.label}, a resting "
            "point (until retire the store accepts the old and the new value). Find the cause, "
            "then run the same command to resume; docs/rotate.md says how to go back."
        )


def change_of(event: EngineEvent) -> Change | None:
    pre = getattr(event, "resource_pre_event", None)
    if pre is None:
        return None
    op = normalised(str(getattr(pre.metadata.op, "value", pre.metadata.op)))
    if op in NO_CHANGE:
        return None
    urn = pre.metadata.urn
    return Change(op=op, type=pre.metadata.type, name=urn.rsplit("::", 1)[-1], urn=urn)
