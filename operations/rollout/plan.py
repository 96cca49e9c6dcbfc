"""The steps of a rollout, from where the stack file stands to the end, and what each step may
change. Each wave has a canary step (`canaryPods` pods of each of its regions on the new
version) and a full step (every pod); after the last wave a finish step makes the new version
the fleet's (`release.version`) and removes the rollout key. Nothing here touches a stack:
driver.py carries the steps out, `--dry-run` prints them (__main__.py, offline_check.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi.automation import OpType

from operations.names import primary_of_standby, region_of_own
from operations.rollout.state import ROLLOUT_KEY, RolloutState, read_rollout, with_state
from operations.stack_file import (
    RELEASE_KEY,
    StackFileError,
    check_with_program,
    image_digests,
    region_pods,
    regions,
    release_version,
    serving_regions,
)

CANARY, FULL, FINISH = "canary", "full", "finish"
DEFAULT_CANARY_PODS = 1
DEFAULT_SOAK_MINUTES = 15.0
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
# A pair's automatic failover interlock (regions/region_switch.py): `<standby>-autofailover-
# signals-blocked-for-<primary>`.
INTERLOCK = "-autofailover-signals-blocked-for-"
# Engine steps that change nothing: the resource is as it was, or only read.
NO_CHANGE = frozenset({OpType.SAME.value, OpType.READ.value})


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
    moves nothing. A replacement is never allowed: it would restart every pod at once.

    Besides, any step may update the automatic failover's interlocks: a rollout in progress
    holds the Region switch triggers of the pairs it touches (regions/auto_failover.py
    `disarmed_by_config`), so the first step closes them and the finish opens them again."""
    if change.type == COMPOSITE_ALARM and change.op == OpType.UPDATE.value:
        return INTERLOCK in change.name
    if change.type != STATEFULSET or change.op != OpType.UPDATE.value:
        return False
    primary = primary_of_standby(change.name)
    if primary is not None:
        return step.kind == FULL and primary in step.regions
    region = region_of_own(change.name)
    return region is not None and step.kind in (CANARY, FULL) and region in step.regions


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

    def state_of(self, step: Step, live_pods: dict[str, int] | None = None) -> RolloutState | None:
        """The rollout mapping the step writes (None at the finish: the key goes away); a
        canary carries the live pod count of each of its regions when the driver read them."""
        if step.kind == FINISH:
            return None
        pods = step.canary_pods if step.kind == CANARY else 0
        live = dict(live_pods or {}) if step.kind == CANARY else {}
        return RolloutState(self.version, self.waves, step.wave, pods, self.soak_minutes, live)

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
                f"(python -m operations.rollout --stack {stack} --to {state.version}), "
                "or abandon it "
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
            "docs/config.md 'Image digests'); pods run the digest, not the tag"
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
