"""The rollout, step by step, through the Pulumi Automation API (the steps: plan.py).

Every step is the same moves, so each can be redone after an interruption:

1. a canary step first reads the pod count each of its regions runs (live.py: the HPA's count,
   which the partition and the canary's wait are computed from);
2. write the step into the stack file (stack_file.py) — the file then says where things stand;
3. `pulumi preview`, refusing any change the step should not make (only the wave's erlmcp
   StatefulSets may change; nothing at the finish): the config, not the driver, decides what
   `up` does, so the preview is the check that they agree;
4. `pulumi up`, which must end "succeeded";
5. soak, reading health every `check_every_seconds` (health.py: no alarm in ALARM or gone into
   it since the step's `up` began; and the wave's StatefulSets: every pod Ready, the step's pods
   on the new revision; canary.py: the canary's metrics and the region's page alerts);
6. healthy: next step. The first unhealthy reading, or a failed `up`: the wave is rolled back
   then (the stack file as it was before the wave, and `up`), without waiting out the soak, and
   the driver stops with the failing signal. A reading that holds (too little traffic to judge
   the canary, a Prometheus workspace that does not answer) is no pass: the soak goes on
   reading until a reading passes, and after `holdMinutes` of holding the driver stops without
   rolling back, the step still in the stack file, to be resumed.

A preview refusal, a failed preview or an interruption changes nothing deployed; the driver
stops and, when it wrote the step itself, puts the file back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Protocol

from pulumi.automation import CommandError, ConcurrentUpdateError, EngineEvent, Stack

from operations.health import HealthReader, HealthReport, Signal, health_check_ids, pods_signal
from operations.live import LiveReader, LiveReadError, LiveRelease
from operations.names import own_statefulset_name
from operations.rollout.canary import CanaryJudge
from operations.rollout.plan import (
    CANARY,
    FINISH,
    FULL,
    NO_CHANGE,
    Change,
    RolloutPlan,
    Step,
    allowed,
    describe_state,
)
from operations.rollout.prometheus import prometheus_endpoints
from operations.rollout.state import read_rollout, with_state, write_state
from operations.stack_file import (
    StackFileError,
    check_with_program,
    load_config,
    release_version,
    replace_bytes,
)


class Reporter(Protocol):
    """Where the driver says what it does: the terminal and the log file (__main__.py)."""

    def step(self, step: Step, status: str) -> None:
        """A step's state changed: running, done, refused, failed, rolled back, stopped."""

    def activity(self, text: str) -> None:
        """What is happening right now (the live line; not a record)."""

    def log(self, text: str) -> None:
        """A record for the log file."""

    def notice(self, text: str) -> None:
        """A line for the terminal (it stays, unlike the live line) and the log file."""


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
        live: LiveReader,
        canary: CanaryJudge,
        *,
        sleep: Callable[[float], None] = time.sleep,
        check_every_seconds: float = 60.0,
    ) -> None:
        self.plan = plan
        self.stack = stack
        self.health = health
        self.reporter = reporter
        self.live = live
        self.canary = canary
        self.sleep = sleep
        self.check_every_seconds = check_every_seconds
        self.current: Step | None = None
        self._outputs: dict[str, Any] | None = None
        self._preflight_live: tuple[Step, dict[str, LiveRelease]] | None = None
        """The StatefulSets the wave's preflight read, moments before its canary starts."""

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
        live_pods = self._live_pods(step) if step.kind == CANARY else None
        wrote = self._write(step, live_pods)
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
        began = datetime.now(timezone.utc)
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
        report = self._soak(step, began)
        if not report.healthy:
            self._roll_back(step, _signals_text(report.failing))
        self.reporter.log(f"{step.label}: DECISION healthy, go on")
        self.reporter.step(step, "done")

    def _expected(self, step: Step) -> str:
        if step.kind == FINISH:
            return "nothing (every wave already runs the new version)"
        return f"the erlmcp StatefulSets of {', '.join(step.regions)}"

    def _live_pods(self, step: Step) -> dict[str, int]:
        """The pod count each of the canary's regions runs now: its partition keeps all but
        `canaryPods` of them on the old version. Read before anything is written."""
        self.reporter.activity(f"{step.label}: reading the live pod counts")
        preflight, self._preflight_live = self._preflight_live, None
        try:
            live = (
                preflight[1] if preflight and preflight[0] == step else self.live.read(step.regions)
            )
        except (CommandError, LiveReadError) as error:
            self.reporter.step(step, "stopped")
            why = _why_unread(error)
            self.reporter.log(f"{step.label}: live pod counts could not be read: {why}")
            raise RolloutStopped(
                f"the live pod counts of {', '.join(step.regions)} could not be read, so the "
                f"canary's partition is unknown; nothing of {step.label} was deployed:\n{why}"
            ) from None
        counts = {region: release.replicas for region, release in live.items()}
        self.reporter.log(
            f"{step.label}: live pods: " + ", ".join(f"{r} {n}" for r, n in counts.items())
        )
        return counts

    def _write(self, step: Step, live_pods: dict[str, int] | None = None) -> bool:
        """Write the step unless the file already says it (a resumed step); True if written.
        A step with live counts is checked against the program first: a count outside the
        region's HPA range, or one a canary would take more than half of, stops it here."""
        path, state, version = (
            self.plan.stack_file,
            self.plan.state_of(step, live_pods),
            self.plan.version_of(step),
        )
        config = load_config(path)
        if read_rollout(config) == state and release_version(config) == version:
            self.reporter.log(f"{step.label}: {path.name} already says so, resuming this step")
            return False
        if live_pods:
            try:
                check_with_program(with_state(config, state, version))
            except StackFileError as error:
                self.reporter.step(step, "stopped")
                raise RolloutStopped(
                    f"{step.label} cannot start on the pods the cluster runs; nothing was "
                    f"written or deployed: {error}"
                ) from None
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

    def _soak(self, step: Step, began: datetime) -> HealthReport:
        """Wait `soakMinutes`, reading health every `check_every_seconds` and at the end; the
        first unhealthy reading ends the soak. Every reading also looks back to `began` (the
        step's `up`), so an alarm that fired and cleared between two readings still counts.
        The soak passes only on a healthy reading at its end: a reading that holds keeps it
        going, one reading a check, past its end if need be, and `holdMinutes` of readings
        that hold, one after the other, stop the rollout (`_stop_holding`). Time is counted in
        the sleeps taken, like the soak."""
        total, waited = self.plan.soak_minutes * 60, 0.0
        hold_limit = self.canary.limits.hold_minutes * 60
        held_since: float | None = None
        while True:
            chunk = min(self.check_every_seconds, total - waited)
            if held_since is not None and chunk <= 0:
                chunk = self.check_every_seconds
            if chunk > 0:
                self.reporter.activity(self._waiting(step, total - waited, waited, held_since))
                self.sleep(chunk)
                waited += chunk
            report = self._health(step, since=began)
            if report.failing:
                return report
            if not report.holding:
                if held_since is not None:
                    self.reporter.notice(f"{step.label}: judged again: {report.verdict}")
                held_since = None
                if waited >= total:
                    return report
                continue
            if held_since is None:
                held_since = waited
                self.reporter.notice(
                    f"{step.label}: HOLD, the canary cannot be judged yet (no data is never a "
                    f"pass): {_signals_text(report.holding)}\n  Reading again every "
                    f"{self.check_every_seconds:g} s; after {hold_limit / 60:g} min of holding "
                    "the rollout stops without rolling back."
                )
            if waited - held_since >= hold_limit:
                self._stop_holding(step, report, waited - held_since)

    def _waiting(self, step: Step, left: float, waited: float, held_since: float | None) -> str:
        if held_since is None:
            return f"{step.label}: soaking, {left / 60:.1f} min left"
        limit = self.canary.limits.hold_minutes
        return (
            f"{step.label}: HOLDING for {(waited - held_since) / 60:.1f} of {limit} min: "
            "the canary cannot be judged yet (see above)"
        )

    def _stop_holding(self, step: Step, report: HealthReport, held: float) -> None:
        """Stop without a rollback: nothing says the new version is bad, nothing says it is
        good. The stack file keeps the step, so the same command resumes it."""
        where = where_it_stands(self.plan)
        self.reporter.step(step, "stopped")
        self.reporter.log(
            f"{step.label}: DECISION stop without rollback: held {held / 60:g} min without a "
            "verdict"
        )
        raise RolloutStopped(
            f"{step.label} held {held / 60:g} min without a verdict "
            f"(observability.canary.holdMinutes {self.canary.limits.hold_minutes}):\n  "
            f"{_signals_text(report.holding)}\n"
            f"Nothing was rolled back: {self.plan.stack_file.name} still says {where}, and what "
            "the step deployed keeps running. Run the same command again to resume this step "
            "once the canary can be judged (traffic reaching it, its workspace answering), or "
            "roll the wave back by hand (docs/rollout.md 'Rolling out a new version')."
        )

    def _health(
        self, step: Step, when: str = "health", since: datetime | None = None
    ) -> HealthReport:
        self.reporter.activity(f"{step.label}: reading health of {', '.join(step.regions)}")
        if self._outputs is None:
            self._outputs = {key: out.value for key, out in self.stack.outputs().items()}
        report = self.health.read(step.regions, health_check_ids(self._outputs), since=since)
        pods, live = self._pods_signals(step, when)
        report = HealthReport(report.signals + pods + self._metrics_signals(step, when, live))
        self.reporter.log(
            f"{step.label}: {when}: {report.verdict}"
            + "".join(f"\n    {signal.describe()}" for signal in report.signals)
        )
        return report

    def _pods_signals(
        self, step: Step, when: str
    ) -> tuple[tuple[Signal, ...], dict[str, LiveRelease] | None]:
        """Every pod of the wave's releases Ready; while soaking, also the step's pods on the
        new revision (a canary whose pods the HPA scaled away would soak nothing). Also the
        live releases read (None when they could not be)."""
        try:
            live = self.live.read(step.regions)
        except (CommandError, LiveReadError) as error:
            why = f"could not be read: {_why_unread(error)}"
            signals = tuple(
                Signal("statefulset", r, own_statefulset_name(r), False, why) for r in step.regions
            )
            return signals, None
        if when == "before the wave":
            self._preflight_live = (step, live)
        soaking = step.kind if when == "health" else None
        return tuple(pods_signal(live[region], soaking) for region in step.regions), live

    def _metrics_signals(
        self, step: Step, when: str, live: dict[str, LiveRelease] | None
    ) -> tuple[Signal, ...]:
        """The region's page alerts before the wave and while soaking; while soaking, the
        canary's metrics too (in a full step every pod is the canary: no stable pods to
        compare with). Not after a rollback: that reading only records where things are."""
        if when == "after the rollback" or step.kind not in (CANARY, FULL):
            return ()
        endpoints = prometheus_endpoints(self._outputs or {})
        signals = []
        for region in step.regions:
            signals.append(self.canary.alerts(region, endpoints.get(region)))
            if when == "health" and live is not None:
                signals.append(self.canary.canary(region, endpoints.get(region), live[region]))
        return tuple(signals)

    def _preflight(self, step: Step) -> None:
        """A wave whose regions are unhealthy before it starts would be rolled back for
        something the new version did not do: stop first, changing nothing."""
        report = self._health(step, when="before the wave")
        if not report.healthy:
            self.reporter.step(step, "stopped")
            unwell = report.failing + report.holding
            raise RolloutStopped(
                f"wave {step.wave} ({', '.join(step.regions)}) is unhealthy before the rollout "
                f"touches it; nothing of the wave was changed:\n  {_signals_text(unwell)}"
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


def _signals_text(signals: tuple[Signal, ...]) -> str:
    return "\n  ".join(signal.describe() for signal in signals)


def where_it_stands(plan: RolloutPlan) -> str:
    """Where the stack file says the rollout stands."""
    try:
        config = load_config(plan.stack_file)
        return describe_state(read_rollout(config), release_version(config))
    except StackFileError as error:
        return f"something unreadable ({error})"


def _why_unread(error: CommandError | LiveReadError) -> str:
    """Why the live StatefulSets could not be read: the CLI's last words, or the reader's."""
    return _tail(error) if isinstance(error, CommandError) else str(error)


def _tail(error: CommandError, lines: int = 8) -> str:
    """The end of the CLI's stderr: where it says why."""
    text = str(error)
    text = text.split("stderr:", 1)[-1] if "stderr:" in text else text
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:]) or "(no output)"
