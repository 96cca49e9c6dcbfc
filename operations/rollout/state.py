"""Where a rollout stands, as the stack file says: `erlmcp-infra:rollout` (its model is
regions/config/release.py `RolloutConfig`; what each release runs at each step is
regions/rollout.py).

The stack file is the rollout's only record, so the driver can be stopped anywhere and started
again: the step the file names is the one in progress (written before its `pulumi up`), every
earlier step is done. It is edited as every operation edits it (operations/stack_file.py
`edit_stack_file`): a ruamel.yaml round trip that keeps comments and layout, so the diff a
reviewer sees is the rollout's and nothing else, and each write replaces the file in one rename,
so an interrupted driver never leaves half a file behind.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from offline.stacks import PROJECT
from operations.rollout.canary_metrics import check_p99_limit
from operations.stack_file import RELEASE_KEY, StackFileError, edit_stack_file, stack_config

if TYPE_CHECKING:
    from regions.config.observability import CanaryConfig

ROLLOUT_KEY = f"{PROJECT}:rollout"


@dataclass(frozen=True)
class RolloutState:
    """The `erlmcp-infra:rollout` mapping: `wave` (1-based) is in progress, earlier waves run
    `version` on every pod; `canary_pods` of each of the wave's regions run it (0: all)."""

    version: str
    waves: tuple[tuple[str, ...], ...]
    wave: int
    canary_pods: int
    soak_minutes: float
    live_pods: dict[str, int] = field(default_factory=dict)
    """During a canary: the pod count each region of the wave ran when the canary began (read
    from the cluster, operations/live.py), which its partition is computed from."""

    def as_config(self) -> dict[str, Any]:
        """The mapping as the stack file spells it (camelCase keys)."""
        soak = self.soak_minutes
        mapping: dict[str, Any] = {
            "version": self.version,
            "waves": [list(wave) for wave in self.waves],
            "wave": self.wave,
            "canaryPods": self.canary_pods,
            "soakMinutes": int(soak) if float(soak).is_integer() else soak,
        }
        if self.live_pods:
            mapping["livePods"] = dict(self.live_pods)
        return mapping

    def describe(self) -> str:
        pods = f"canaryPods {self.canary_pods}" if self.canary_pods else "canaryPods 0 (all)"
        live = "".join(f", {r} runs {n}" for r, n in self.live_pods.items())
        return f"rollout of {self.version}: wave {self.wave} of {len(self.waves)}, {pods}{live}"


def read_rollout(config: dict[str, Any]) -> RolloutState | None:
    """The rollout in progress, or None; a malformed mapping is an error naming the key, since
    guessing where a rollout stands could redo or skip a wave."""
    raw = config.get(ROLLOUT_KEY)
    if raw is None:
        return None
    where = ROLLOUT_KEY
    if not isinstance(raw, dict):
        raise StackFileError(f"{where}: a mapping is expected, not {raw!r}")
    waves = raw.get("waves")
    if not (
        isinstance(waves, list)
        and waves
        and all(isinstance(w, list) and w and all(isinstance(r, str) for r in w) for w in waves)
    ):
        raise StackFileError(f"{where}.waves: a list of lists of regions is expected")
    wave, canary, soak = raw.get("wave"), raw.get("canaryPods", 0), raw.get("soakMinutes", 15)
    if not isinstance(wave, int) or isinstance(wave, bool) or not 1 <= wave <= len(waves):
        raise StackFileError(f"{where}.wave: a wave number from 1 to {len(waves)} is expected")
    if not isinstance(canary, int) or isinstance(canary, bool) or canary < 0:
        raise StackFileError(f"{where}.canaryPods: a pod count (0 or more) is expected")
    if not isinstance(soak, int | float) or isinstance(soak, bool) or soak < 0:
        raise StackFileError(f"{where}.soakMinutes: minutes (0 or more) are expected")
    if raw.get("version") is None:
        raise StackFileError(f"{where}.version: the version being rolled out is missing")
    live = raw.get("livePods") or {}
    if not (
        isinstance(live, dict)
        and all(
            isinstance(r, str) and isinstance(n, int) and not isinstance(n, bool) and n >= 0
            for r, n in live.items()
        )
    ):
        raise StackFileError(f"{where}.livePods: region -> pod count (0 or more) is expected")
    return RolloutState(
        version=str(raw["version"]),
        waves=tuple(tuple(w) for w in waves),
        wave=wave,
        canary_pods=canary,
        soak_minutes=float(soak),
        live_pods=dict(live),
    )


def with_state(
    config: dict[str, Any], state: RolloutState | None, version: str | None = None
) -> dict[str, Any]:
    """The config as `write_state` would leave it, in memory: what the program is checked
    against before anything is written."""
    changed = copy.deepcopy(config)
    if state is None:
        changed.pop(ROLLOUT_KEY, None)
    else:
        changed[ROLLOUT_KEY] = state.as_config()
    if version is not None:
        changed.setdefault(RELEASE_KEY, {})["version"] = version
    return changed


def canary_limits(config: dict[str, Any]) -> CanaryConfig:
    """`observability.canary`: how the soak judges a canary's metrics (canary.py), parsed by the
    program's own model, defaults filled in."""
    limits = stack_config(config).observability.canary
    try:
        check_p99_limit(limits.max_p99_seconds)
    except ValueError as error:
        raise StackFileError(str(error)) from None
    return limits


def _flow_waves(waves: tuple[tuple[str, ...], ...]) -> CommentedSeq:
    """`[[eu-west-1], [ap-southeast-1, ap-northeast-1]]`: one line, as the README writes it."""
    outer = CommentedSeq()
    for wave in waves:
        inner = CommentedSeq(list(wave))
        inner.fa.set_flow_style()
        outer.append(inner)
    outer.fa.set_flow_style()
    return outer


def _flow_map(values: dict[str, int]) -> CommentedMap:
    """`{eu-west-1: 5}`: one line."""
    mapping = CommentedMap(values)
    mapping.fa.set_flow_style()
    return mapping


def write_state(path: Path, state: RolloutState | None, version: str | None = None) -> None:
    """Set the rollout mapping to `state` (None removes it) and, when given, `release.version`,
    keeping every comment and the layout. A new mapping goes at the end of `config:`, without a
    comment of its own, so removing it gives back the file as it was, byte for byte."""

    def change(config: CommentedMap) -> None:
        _set_rollout(config, state)
        if version is not None and str(config[RELEASE_KEY].get("version")) != version:
            config[RELEASE_KEY]["version"] = version

    edit_stack_file(path, change)


def _set_rollout(config: CommentedMap, state: RolloutState | None) -> None:
    """Change only the keys whose value differs, so an unchanged key keeps its layout."""
    if state is None:
        if ROLLOUT_KEY in config:
            del config[ROLLOUT_KEY]
            config.ca.items.pop(ROLLOUT_KEY, None)
        return
    rollout = config.get(ROLLOUT_KEY)
    if not isinstance(rollout, dict):
        rollout = CommentedMap()
        config[ROLLOUT_KEY] = rollout
    wanted = state.as_config()
    for key in [key for key in rollout if key not in wanted]:
        del rollout[key]  # livePods, once the canary is over
    for key, value in wanted.items():
        if key == "waves":
            current = rollout.get("waves")
            if current is None or [list(w) for w in current] != value:
                rollout["waves"] = _flow_waves(state.waves)
        elif key == "livePods":
            if rollout.get(key) != value:
                rollout[key] = _flow_map(value)
        elif rollout.get(key) != value or key not in rollout:
            rollout[key] = value
