"""The stack file, as every operation reads and edits it (failover, rollout, and the commands
that follow them).

The stack file is each operation's only record: what the fleet runs, which primary is failed
over, where a rollout stands. It is read as the Pulumi CLI reads it (a key written twice is an
error, offline/stacks.py), checked with the program's own model before anything is written, and
edited through a ruamel.yaml round trip that keeps comments and layout, so the diff a reviewer
sees is the operation's and nothing else. Each write replaces the file in one rename, so an
interrupted command never leaves half a file behind.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from offline.stacks import PROJECT, project_values, stack_file_config

if TYPE_CHECKING:
    from regions.config import DrPairConfig, StackConfig

RELEASE_KEY = f"{PROJECT}:release"
REGIONS_KEY = f"{PROJECT}:regions"
DEFAULTS_KEY = f"{PROJECT}:regionDefaults"
PAIRS_KEY = f"{PROJECT}:drPairs"
ENVIRONMENT_KEY = f"{PROJECT}:environment"


class StackFileError(Exception):
    """The stack file cannot carry the change as asked; nothing was written."""


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


def check_with_program(config: dict[str, Any]) -> None:
    """Refuse a config the program itself would refuse (regions/config/): a file written by
    an operation must be one `pulumi up` accepts, or the operation would stop halfway on its
    own write."""
    stack_config(config)


def stack_config(config: dict[str, Any]) -> StackConfig:
    """The config parsed by the program's own model (regions/config/); StackFileError naming
    what is wrong when the program would refuse it."""
    from regions.config import ConfigError, parse_stack_config

    try:
        return parse_stack_config(project_values(config))
    except ConfigError as error:
        raise StackFileError(str(error)) from None


def primary_pair(stack: StackConfig, primary: str, file_name: str, why: str) -> DrPairConfig:
    """The DR pair `primary` heads; StackFileError naming the stack file's regions when it is
    not one of them, or its primaries when it heads no pair (`why`: what the command needed the
    pair for, written after "is not the primary of a DR pair")."""
    if primary not in stack.regions:
        raise StackFileError(
            f"{primary!r} is not a region of {file_name} (regions: {', '.join(stack.regions)})"
        )
    pair = stack.pair_of_primary(primary)
    if pair is None:
        primaries = ", ".join(p.primary for p in stack.dr_pairs) or "none"
        raise StackFileError(
            f"{primary} is not the primary of a DR pair{why} (primaries: {primaries})"
        )
    return pair


def round_trip_yaml() -> YAML:
    """ruamel.yaml set to give back a stack file as it was: quotes, comments and layout."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)  # the layout of the shipped stack files
    return yaml


def edit_stack_file(path: Path, change: Callable[[CommentedMap], None]) -> None:
    """Apply `change` to the stack file's `config:` mapping, keeping every comment and the
    layout, and write the file back in one rename (`replace_bytes`)."""
    yaml = round_trip_yaml()
    document = yaml.load(path.read_text(encoding="utf-8"))
    change(document["config"])
    replace_bytes(path, _dump(yaml, document).encode("utf-8"))


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
