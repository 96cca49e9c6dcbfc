"""Where a rollout stands, as the stack file says: `erlmcp-infra:rollout` (its model is
regions/config/release.py `RolloutConfig`; what each release runs at each step is
regions/rollout.py).

The stack file is the rollout's only record, so the driver can be stopped anywhere and started
again: the step the file names is the one in progress (written before its `pulumi up`), every
earlier step is done. It is edited as `make failover` edits it (offline/failover.py
`write_failover`): a ruamel.yaml round trip that keeps comments and layout, so the diff a
reviewer sees is the rollout's and nothing else. Each write replaces the file in one rename, so
an interrupted driver never leaves half a file behind.
"""

from __future__ import annotations

import copy
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from offline.stacks import PROJECT, project_values, stack_file_config
from rollout.canary_metrics import check_p99_limit

if TYPE_CHECKING:
    from regions.config.observability import CanaryConfig

ROLLOUT_KEY = f"{PROJECT}:rollout"
RELEASE_KEY = f"{PROJECT}:release"
REGIONS_KEY = f"{PROJECT}:regions"
DEFAULTS_KEY = f"{PROJECT}:regionDefaults"
PAIRS_KEY = f"{PROJECT}:drPairs"
ENVIRONMENT_KEY = f"{PROJECT}:environment"


class StackFileError(Exception):
    """The stack file cannot carry the rollout as asked; nothing was written."""


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
    from the cluster, rollout/live.py), which its partition is computed from."""

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


def stack_file_path(project_dir: Path, stack: str) -> Path:
    """`Pulumi.<stack>.yaml` in the project directory: the file the CLI reads for the stack."""
    return project_dir / f"Pulumi.{stack}.yaml"


def load_config(path: Path) -> dict[str, Any]:
    """The stack file's `config:` mapping, read as the CLI reads it (a key written twice is an
    error, offline/stacks.py)."""
    if not path.is_file():
        raise StackFileError(f"{path} does not exist (the stack file of this stack)")
    try:
        return stack_file_config(path)
    except Exception as error:  # YAML errors name the file and line
        raise StackFileError(f"{path}: {error}") from None


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


def release_version(config: dict[str, Any]) -> str:
    """What the fleet runs outside the rollout (`release.version`)."""
    release = config.get(RELEASE_KEY) or {}
    if "version" not in release:
        raise StackFileError(f"{RELEASE_KEY}.version is missing")
    return str(release["version"])


def image_digests(config: dict[str, Any]) -> dict[str, str]:
    return {
        str(k): str(v)
        for k, v in ((config.get(RELEASE_KEY) or {}).get("imageDigests") or {}).items()
    }


def environment(config: dict[str, Any]) -> str:
    """The environment name every alarm of the stack carries (health.py)."""
    value = config.get(ENVIRONMENT_KEY)
    if not value:
        raise StackFileError(f"{ENVIRONMENT_KEY} is missing")
    return str(value)


def regions(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every region with `regionDefaults` filled in for the keys it does not set (the program
    merges the same way, regions/config/loading.py)."""
    defaults = config.get(DEFAULTS_KEY) or {}
    return {
        name: {**defaults, **(settings or {})}
        for name, settings in (config.get(REGIONS_KEY) or {}).items()
    }


def region_pods(config: dict[str, Any]) -> dict[str, int]:
    """Pods of each region's own release as configured (an HPA may run more)."""
    return {name: int(settings.get("pods", 0)) for name, settings in regions(config).items()}


def serving_regions(config: dict[str, Any]) -> list[str]:
    """Regions with their own release serving traffic (role primary), in the file's order: the
    regions a rollout's waves must cover (standby releases follow their primaries)."""
    return [name for name, settings in regions(config).items() if settings.get("role") == "primary"]


def standby_releases(config: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(standby region, primary, warm pods) of each DR pair: the standby release the standby
    region runs for the primary, which moves to the new version with its primary's wave."""
    return [
        (str(pair["standby"]), str(pair["primary"]), int(pair.get("standbyPods", 0)))
        for pair in config.get(PAIRS_KEY) or []
    ]


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


def check_with_program(config: dict[str, Any]) -> None:
    """Refuse a config the program itself would refuse (regions/config/): a file written by
    the driver must be one `pulumi up` accepts, or the rollout would stop halfway on its own
    write."""
    from regions.config import ConfigError, parse_stack_config

    try:
        parse_stack_config(project_values(config))
    except ConfigError as error:
        raise StackFileError(str(error)) from None


def canary_limits(config: dict[str, Any]) -> CanaryConfig:
    """`observability.canary`: how the soak judges a canary's metrics (rollout/canary.py),
    parsed by the program's own model, defaults filled in."""
    from regions.config import ConfigError, parse_stack_config

    try:
        limits = parse_stack_config(project_values(config)).observability.canary
        check_p99_limit(limits.max_p99_seconds)
    except (ConfigError, ValueError) as error:
        raise StackFileError(str(error)) from None
    return limits


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)  # the layout of the shipped stack files
    return yaml


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
    yaml = _yaml()
    document = yaml.load(path.read_text(encoding="utf-8"))
    config = document["config"]
    if state is None:
        if ROLLOUT_KEY in config:
            del config[ROLLOUT_KEY]
            config.ca.items.pop(ROLLOUT_KEY, None)
    else:
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
    if version is not None and str(config[RELEASE_KEY].get("version")) != version:
        config[RELEASE_KEY]["version"] = version
    text = _dump(yaml, document)
    replace_bytes(path, text.encode("utf-8"))


def _dump(yaml: YAML, document: Any) -> str:
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()


def replace_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a rename in the same directory: readers see the old file
    or the new one, never a part."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
