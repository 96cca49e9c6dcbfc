"""The rollout, step by step, through the Pulumi Automation API.

Each wave has a canary step (`canaryPods` pods of each of its regions on the new version) and a
full step (every pod); after the last wave a finish step makes the new version the fleet's
(`release.version`) and removes the rollout key. Every step is the same five moves, so each can
be redone after an interruption:

1. write the step into the stack file (stack_file.py) — the file then says where things stand;
2. `pulumi preview`, refusing any change the step should not make (only the wave's erlmcp
   StatefulSets may change; nothing at the finish): the config, not the driver, decides what
   `up` does, so the preview is the check that they agree;
3. `pulumi up`, which must end "succeeded";
4. soak, reading health every `check_every_seconds` (health.py);
5. healthy: next step. Unhealthy or a failed `up`: the wave is rolled back (the stack file as it
   was before the wave, and `up`) and the driver stops with the failing signal.

A preview refusal, a failed preview or an interruption changes nothing deployed; the driver
stops and, when it wrote the step itself, puts the file back.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pulumi.automation import CommandError, ConcurrentUpdateError, EngineEvent, OpType, Stack

from rollout.health import HealthReader, HealthReport, health_check_ids
from rollout.stack_file import (
    RELEASE_KEY,
    ROLLOUT_KEY,
    RolloutState,
    StackFileError,
    check_with_program,
    image_digests,
    load_config,
    read_rollout,
    region_pods,
    regions,
    release_version,
    replace_bytes,
    serving_regions,
    with_state,
    write_state,
)

CANARY, FULL, FINISH = "canary", "full", "finish"
DEFAULT_CANARY_PODS = 1
DEFAULT_SOAK_MINUTES = 15.0
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
# Engine steps that change nothing: the resource is as it was, or only read.
NO_CHANGE = frozenset({OpType.SAME.value, OpType.READ.value})
# Release names (regions/region.py): `<region>-erlmcp` for a region's own release,
# `<standby>-standby-of-<primary>-erlmcp` for the release a standby region keeps for a primary;
# the StatefulSet is `<release>-statefulset` (components/release.py).
_STANDBY_RELEASE = re.compile(r"^(?P<host>.+)-standby-of-(?P<primary>.+)-erlmcp-statefulset$")
_OWN_RELEASE = re.compile(r"^(?P<region>.+)-erlmcp-statefulset$")


@dataclass(frozen=True)
class Step:
    kind: str
    """canary, full or finish."""
    wave: int
    """1-based; the finish step counts as the wave after the last."""
    regions: tuple[str, ...]
    canary_pods: int = 0

    @property
    def label(self) -> str:
        if self.kind == CANARY:
            return f"wave {self.wave} canary ({self.canary_pods} pod{'s' * (self.canary_pods > 1)})"
        if self.kind == FULL:
            return f"wave {self.wave} full"
        return "finish"


@dataclass(frozen=True)
class Change:
    """A resource the engine would (preview) or did (up) act on."""

    op: str
    urn: str
    type: str

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


def allowed(change: Change, step: Step) -> bool:
    """Whether `step` may make `change`: an in-place update of an erlmcp StatefulSet that the
    step moves. A canary moves the wave's own releases; the full step also moves the standby
    releases of the wave's primaries (a standby runs its primary's settled version,
    regions/rollout.py, so they move with the primary, wherever they are hosted); the finish
    moves nothing. A replacement is never allowed: it would restart every pod at once."""
    if change.type != STATEFULSET or change.op != OpType.UPDATE.value:
        return False
    standby = _STANDBY_RELEASE.match(change.name)
    if standby:
        return step.kind == FULL and standby["primary"] in step.regions
    own = _OWN_RELEASE.match(change.name)
    return bool(own) and step.kind in (CANARY, FULL) and own["region"] in step.regions


@dataclass(frozen=True)
class RolloutPlan:
    stack: str
    stack_file: Path
    previous: str
    """`release.version`: what the fleet runs before the rollout."""
    version: str
    waves: tuple[tuple[str, ...], ...]
    soak_minutes: float
    steps: tuple[Step, ...]
    start: int
    """The first step this run carries out (later than 0 when resuming)."""
    resumed_from: RolloutState | None

    def state_of(self, step: Step) -> RolloutState | None:
        """The rollout mapping the step writes (None at the finish: the key goes away)."""
        if step.kind == FINISH:
            return None
        pods = step.canary_pods if step.kind == CANARY else 0
        return RolloutState(self.version, self.waves, step.wave, pods, self.soak_minutes)

    def version_of(self, step: Step) -> str:
        """`release.version` while the step runs."""
        return self.version if step.kind == FINISH else self.previous

    def rollback_target(self, step: Step) -> RolloutState | None:
        """The stack file as it was before the step's wave began: every pod of the wave back on
        the previous version, earlier waves left on the new one."""
        if step.wave == 1:
            return None
        return RolloutState(self.version, self.waves, step.wave - 1, 0, self.soak_minutes)


def describe_state(state: RolloutState | None, version: str) -> str:
    return state.describe() if state else f"no rollout, release.version {version}"


def default_waves(config: dict[str, Any]) -> tuple[tuple[str, ...], ...]:
    """One serving region per wave, fewest pods first (the smallest share of traffic meets the
    new version first), then in the stack file's order."""
    pods = region_pods(config)
    serving = serving_regions(config)
    ordered = sorted(serving, key=lambda r: (pods.get(r, 0), serving.index(r)))
    return tuple((region,) for region in ordered)


def plan_rollout(
    config: dict[str, Any],
    *,
    stack: str,
    stack_file: Path,
    version: str,
    waves: list[list[str]] | None = None,
    canary_pods: int | None = None,
    soak_minutes: float | None = None,
) -> RolloutPlan | None:
    """The steps from where the stack file stands to the end; None when the fleet already runs
    `version`. Every refusal raises StackFileError before anything is written."""
    previous = release_version(config)
    state = read_rollout(config)
    if state is not None:
        if state.version != version:
            raise StackFileError(
                f"a rollout of {state.version} is in progress ({state.describe()}): finish it "
                f"(python -m rollout --stack {stack} --to {state.version}), or abandon it "
                f"(remove {ROLLOUT_KEY} from {stack_file.name}, then `pulumi up --stack "
                f"{stack}`: every region back on {previous}), before rolling out {version}"
            )
        if waves is not None and tuple(map(tuple, waves)) != state.waves:
            raise StackFileError(
                f"--waves {_waves_text(waves)} differs from the waves of the rollout in progress "
                f"({_waves_text(state.waves)}); leave --waves out to resume it"
            )
        the_waves = state.waves
        soak = state.soak_minutes if soak_minutes is None else soak_minutes
        # The file keeps only the current wave's canary size: later canaries take --canary-pods,
        # else the size of the canary in progress, else the default.
        canary = (
            canary_pods if canary_pods is not None else state.canary_pods or DEFAULT_CANARY_PODS
        )
    else:
        if version == previous:
            return None
        the_waves = tuple(map(tuple, waves)) if waves is not None else default_waves(config)
        soak = DEFAULT_SOAK_MINUTES if soak_minutes is None else soak_minutes
        canary = DEFAULT_CANARY_PODS if canary_pods is None else canary_pods
    if version not in image_digests(config):
        raise StackFileError(
            f"{RELEASE_KEY}.imageDigests has no digest for {version}: add "
            f"`{version}: sha256:<digest>` (the output of `crane digest <image>:{version}`, "
            "README 'Image digests'); pods run the digest, not the tag"
        )
    _check_waves(the_waves, list(regions(config)), stack_file)
    if canary < 0 or soak < 0:
        raise StackFileError("--canary-pods and --soak-minutes must be 0 or more")
    steps = _steps(the_waves, canary, state)
    start = 0
    if state is not None:
        kind = CANARY if state.canary_pods else FULL
        start = next(i for i, s in enumerate(steps) if (s.kind, s.wave) == (kind, state.wave))
    plan = RolloutPlan(
        stack=stack,
        stack_file=stack_file,
        previous=previous,
        version=version,
        waves=the_waves,
        soak_minutes=float(soak),
        steps=steps,
        start=start,
        resumed_from=state,
    )
    for step in plan.steps[plan.start :]:
        try:
            check_with_program(with_state(config, plan.state_of(step), plan.version_of(step)))
        except StackFileError as error:
            raise StackFileError(
                f"the program would refuse the stack file at {step.label}: {error}"
            ) from None
    return plan


def _steps(
    waves: tuple[tuple[str, ...], ...], canary: int, state: RolloutState | None
) -> tuple[Step, ...]:
    steps: list[Step] = []
    for number, wave in enumerate(waves, start=1):
        pods = canary
        if state is not None and number == state.wave and state.canary_pods:
            pods = state.canary_pods  # the canary in progress keeps its size
        if pods:
            steps.append(Step(CANARY, number, wave, pods))
        steps.append(Step(FULL, number, wave))
    steps.append(Step(FINISH, len(waves) + 1, ()))
    return tuple(steps)


def _check_waves(waves: tuple[tuple[str, ...], ...], known: list[str], stack_file: Path) -> None:
    named = [region for wave in waves for region in wave]
    unknown = sorted({r for r in named if r not in known})
    if unknown:
        raise StackFileError(
            f"unknown region{'s' * (len(unknown) > 1)} in the waves: {', '.join(unknown)} "
            f"(the regions of {stack_file.name}: {', '.join(known)})"
        )
    twice = sorted({r for r in named if named.count(r) > 1})
    if twice:
        raise StackFileError(f"a region can be in one wave only: {', '.join(twice)}")
    if not waves or not all(waves):
        raise StackFileError("every wave needs at least one region")


def _waves_text(waves: Any) -> str:
    return " ".join(",".join(wave) for wave in waves)


class Reporter(Protocol):
    """Where the driver says what it does: the terminal and the log file (__main__.py)."""

    def step(self, step: Step, status: str) -> None:
        """A step's state changed: running, done, refused, failed, rolled back, stopped."""

    def activity(self, text: str) -> None:
        """What is happening right now (the live line; not a record)."""

    def log(self, text: str) -> None:
        """A record for the log file."""


class RolloutStopped(Exception):
    """The rollout stopped on purpose; the message says why and where the stack file stands."""


class Driver:
    """Runs a RolloutPlan against a stack; `sleep` is injectable so tests soak in no time."""

    def __init__(
        self,
        plan: RolloutPlan,
        stack: Stack,
        health: HealthReader,
        reporter: Reporter,
        *,
        sleep: Callable[[float], None] = time.sleep,
        check_every_seconds: float = 60.0,
    ) -> None:
        self.plan = plan
        self.stack = stack
        self.health = health
        self.reporter = reporter
        self.sleep = sleep
        self.check_every_seconds = check_every_seconds
        self.current: Step | None = None
        self._outputs: dict[str, Any] | None = None

    def run(self) -> None:
        steps = self.plan.steps
        for index in range(self.plan.start, len(steps)):
            step = steps[index]
            self.current = step
            if self._begins_wave(index):
                self._preflight(step)
            self._run_step(step)
        self.current = None

    def _begins_wave(self, index: int) -> bool:
        """This run starts the step's wave (a resumed step is already under way)."""
        step = self.plan.steps[index]
        if step.kind == FINISH or (index == self.plan.start and self.plan.resumed_from):
            return False
        return index == 0 or self.plan.steps[index - 1].wave != step.wave

    # -- one step ------------------------------------------------------------------------------

    def _run_step(self, step: Step) -> None:
        path = self.plan.stack_file
        self.reporter.step(step, "running")
        before = path.read_bytes()
        wrote = self._write(step)
        try:
            changes = self._preview(step)
        except RolloutStopped:
            self._put_back(step, before, wrote)
            raise
        outside = [change for change in changes if not allowed(change, step)]
        if outside:
            self._put_back(step, before, wrote)
            self.reporter.step(step, "refused")
            listed = "\n  ".join(f"{c.op} {c.urn}" for c in outside)
            self.reporter.log(f"{step.label}: DECISION stop before up: changes outside the step")
            raise RolloutStopped(
                f"the preview of {step.label} changes more than "
                f"{self._expected(step)}; nothing was deployed, stopped before `pulumi up`:\n"
                f"  {listed}"
            )
        try:
            ok, why = self._up(step.label)
        except ConcurrentUpdateError:
            self._put_back(step, before, wrote)
            self.reporter.step(step, "stopped")
            raise RolloutStopped(
                f"another update of stack {self.plan.stack} is running, so nothing of "
                f"{step.label} was deployed; run again once it is over"
            ) from None
        if not ok:
            self._roll_back(step, why)
        if step.kind == FINISH:
            self.reporter.log(f"{step.label}: DECISION done: the fleet runs {self.plan.version}")
            self.reporter.step(step, "done")
            return
        report = self._soak(step)
        if not report.healthy:
            self._roll_back(step, _signals_text(report))
        self.reporter.log(f"{step.label}: DECISION healthy, go on")
        self.reporter.step(step, "done")

    def _expected(self, step: Step) -> str:
        if step.kind == FINISH:
            return "nothing (every wave already runs the new version)"
        return f"the erlmcp StatefulSets of {', '.join(step.regions)}"

    def _write(self, step: Step) -> bool:
        """Write the step unless the file already says it (a resumed step); True if written."""
        path, state, version = (
            self.plan.stack_file,
            self.plan.state_of(step),
            self.plan.version_of(step),
        )
        config = load_config(path)
        if read_rollout(config) == state and release_version(config) == version:
            self.reporter.log(f"{step.label}: {path.name} already says so, resuming this step")
            return False
        write_state(path, state, version)
        self.reporter.log(f"{step.label}: wrote {path.name}: {describe_state(state, version)}")
        return True

    def _put_back(self, step: Step, before: bytes, wrote: bool) -> None:
        if wrote:
            replace_bytes(self.plan.stack_file, before)
            self.reporter.log(f"{step.label}: put {self.plan.stack_file.name} back as it was")

    def _preview(self, step: Step) -> list[Change]:
        changes: list[Change] = []

        def on_event(event: EngineEvent) -> None:
            change = _change_of(event)
            if change is not None:
                changes.append(change)

        self.reporter.activity(f"{step.label}: pulumi preview")
        try:
            result = self.stack.preview(diff=True, on_event=on_event)
        except CommandError as error:
            self.reporter.log(f"{step.label}: preview FAILED: {_tail(error)}")
            raise RolloutStopped(
                f"`pulumi preview` of {step.label} failed; nothing was deployed:\n{_tail(error)}"
            ) from None
        summary = {str(getattr(k, "value", k)): v for k, v in result.change_summary.items()}
        self.reporter.log(
            f"{step.label}: preview: {summary}; changes:"
            + ("".join(f"\n    {c.op} {c.urn}" for c in changes) or " none")
        )
        return changes

    def _up(self, label: str) -> tuple[bool, str]:
        """`pulumi up`; (False, why) when it fails. pulumi-kubernetes awaits every StatefulSet
        it updates (provider/pkg/await/statefulset.go, `statefulsetInitAwaiter`): ready and
        current replicas equal to `.spec.replicas` and `.status.currentRevision` equal to
        `.status.updateRevision`, else the update fails at its timeout; so "succeeded" means the
        rolled pods are Ready. Note: the StatefulSet controller moves currentRevision only once
        every pod is updated, which a canary's partition prevents, so a canary step's update
        can only succeed if the program awaits it otherwise (pulumi.com/waitFor)."""

        def on_event(event: EngineEvent) -> None:
            change = _change_of(event)
            if change is not None:
                self.reporter.activity(f"{label}: pulumi up: {change.op} {change.name}")
                self.reporter.log(f"{label}: up: {change.op} {change.urn}")
            failed = event.res_op_failed_event
            if failed is not None:
                self.reporter.log(f"{label}: up: FAILED {failed.metadata.urn}")

        self.reporter.activity(f"{label}: pulumi up")
        try:
            result = self.stack.up(on_event=on_event)
        except ConcurrentUpdateError:
            raise  # nothing ran: not a failure of the step
        except CommandError as error:
            self.reporter.log(f"{label}: up FAILED: {_tail(error)}")
            return False, f"`pulumi up` failed: {_tail(error)}"
        self._outputs = {key: output.value for key, output in result.outputs.items()}
        self.reporter.log(
            f"{label}: up result {result.summary.result!r}, "
            f"changes {result.summary.resource_changes}"
        )
        if result.summary.result != "succeeded":
            return False, f"`pulumi up` ended {result.summary.result!r}"
        return True, ""

    def _soak(self, step: Step) -> HealthReport:
        """Wait `soakMinutes`, reading health every `check_every_seconds` and at the end; the
        first unhealthy reading ends the soak."""
        total, waited = self.plan.soak_minutes * 60, 0.0
        while True:
            chunk = min(self.check_every_seconds, total - waited)
            if chunk > 0:
                left = (total - waited) / 60
                self.reporter.activity(f"{step.label}: soaking, {left:.1f} min left")
                self.sleep(chunk)
                waited += chunk
            report = self._health(step)
            if not report.healthy or waited >= total:
                return report

    def _health(self, step: Step, when: str = "health") -> HealthReport:
        self.reporter.activity(f"{step.label}: reading health of {', '.join(step.regions)}")
        if self._outputs is None:
            self._outputs = {key: out.value for key, out in self.stack.outputs().items()}
        report = self.health.read(step.regions, health_check_ids(self._outputs))
        verdict = "healthy" if report.healthy else "UNHEALTHY"
        self.reporter.log(
            f"{step.label}: {when}: {verdict}"
            + "".join(f"\n    {signal.describe()}" for signal in report.signals)
        )
        return report

    def _preflight(self, step: Step) -> None:
        """A wave whose regions are unhealthy before it starts would be rolled back for
        something the new version did not do: stop first, changing nothing."""
        report = self._health(step, when="before the wave")
        if not report.healthy:
            self.reporter.step(step, "stopped")
            raise RolloutStopped(
                f"wave {step.wave} ({', '.join(step.regions)}) is unhealthy before the rollout "
                f"touches it; nothing of the wave was changed:\n  {_signals_text(report)}"
            )

    def _roll_back(self, step: Step, why: str) -> None:
        """Put the wave back (stack file as before the wave, then `up`) and stop."""
        path, target = self.plan.stack_file, self.plan.rollback_target(step)
        self.reporter.step(step, "failed")
        self.reporter.log(f"{step.label}: FAILED: {why}")
        self.reporter.log(f"{step.label}: DECISION roll wave {step.wave} back")
        write_state(path, target, self.plan.previous)
        where = describe_state(target, self.plan.previous)
        self.reporter.log(f"{step.label}: rollback: wrote {path.name}: {where}")
        try:
            ok, up_why = self._up(f"{step.label} rollback")
        except ConcurrentUpdateError:
            ok, up_why = False, "another update of the stack is running"
        if not ok:
            raise RolloutStopped(
                f"{step.label} failed: {why}\nTHE ROLLBACK FAILED TOO: {up_why}\n"
                f"{path.name} says {where}; find the cause, then `pulumi up --stack "
                f"{self.plan.stack}` to apply it"
            )
        if step.regions:
            self._health(step, when="after the rollback")
        self.reporter.step(step, "rolled back")
        raise RolloutStopped(
            f"{step.label} failed: {why}\nRolled back: {path.name} is back at {where} and "
            "`pulumi up` applied it. Run the same command again to retry from there."
        )


def _change_of(event: EngineEvent) -> Change | None:
    pre = event.resource_pre_event
    if pre is None:
        return None
    op = str(getattr(pre.metadata.op, "value", pre.metadata.op))
    if op in NO_CHANGE:
        return None
    return Change(op=op, urn=pre.metadata.urn, type=pre.metadata.type)


def _signals_text(report: HealthReport) -> str:
    return "\n  ".join(signal.describe() for signal in report.failing)


def _tail(error: CommandError, lines: int = 8) -> str:
    """The end of the CLI's stderr: where it says why."""
    text = str(error)
    text = text.split("stderr:", 1)[-1] if "stderr:" in text else text
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:]) or "(no output)"
