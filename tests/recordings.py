"""Whole-stack recordings and pack reports, made once and shared by every test and every
pytest-xdist worker of a run, and by later runs while nothing they depend on changes.

A recording is stored on disk (`build/test-recordings/<fingerprint>/`) under a key made of
everything that decides it: the stack config, stack name and mode, and the fingerprint of the
program — the bytes of every source file of the program, the offline harness and the policy pack,
plus the versions of the Pulumi SDK, providers and protobuf. Any change to any of those gives a
new fingerprint, so a stale recording is never read; older fingerprints' directories are removed.
Workers take a file lock per key, so each recording is made once while the others wait for it.

Callers get a fresh object from each load: a test that breaks what it was given breaks nobody
else's copy.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import pickle
import shutil
import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock

from offline.policy_runner import (
    FirstPreviewMocks,
    PolicyReport,
    analyze_recorded,
)
from offline.recorder import RecordedStack, RecordingMonitor
from offline.stacks import PROD_STACK_FILE, REPO_ROOT, run_stack_file
from operations.outage import OutageMocks, RegionDown
from planning.plan import build_plan
from scan import scan

CACHE_ROOT = REPO_ROOT / "build" / "test-recordings"
# What a recording or a report depends on, besides its config.
_SOURCES = (
    "__main__.py",
    "Pulumi.yaml",
    "components",
    "regions",
    "offline",
    "planning",
    "scan",
    "operations",
    "policies",
)
_DISTRIBUTIONS = (
    "pulumi",
    "pulumi-aws",
    "pulumi-kubernetes",
    "pulumi-random",
    "pulumi-policy",
    "protobuf",
)

T = TypeVar("T")


@functools.cache
def program_fingerprint() -> str:
    digest = hashlib.sha256(sys.version.encode())
    for name in _DISTRIBUTIONS:
        digest.update(f"{name}=={metadata.version(name)}".encode())
    for path in _source_files():
        digest.update(str(path.relative_to(REPO_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def _source_files() -> list[Path]:
    files: list[Path] = []
    for name in _SOURCES:
        path = REPO_ROOT / name
        if path.is_file():
            files.append(path)
        else:
            files.extend(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix in (".py", ".yaml", ".json") and "venv" not in p.parts
            )
    return sorted(files)


@functools.cache
def _cache_dir() -> Path:
    directory = CACHE_ROOT / program_fingerprint()
    directory.mkdir(parents=True, exist_ok=True)
    for other in CACHE_ROOT.iterdir():
        if other.is_dir() and other != directory:
            shutil.rmtree(other, ignore_errors=True)
    return directory


def _key(kind: str, *parts: Any) -> str:
    text = json.dumps([kind, *parts], sort_keys=True, default=str)
    return f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:24]}"


def _stored(key: str, make: Callable[[], T]) -> T:
    path = _cache_dir() / f"{key}.pickle"
    with FileLock(str(path) + ".lock"):
        if path.exists():
            value = pickle.loads(path.read_bytes())
        else:
            value = make()
            partial = path.with_suffix(".partial")
            partial.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            partial.replace(path)
    _frozen()
    return value


def _frozen() -> None:
    """Move everything alive now (recordings tests keep for the session) out of the cyclic
    collector's sight: each full collection would walk them all again, for nothing (about a
    seventh of a test run went there)."""
    gc.freeze()


# Which recording each object handed out came from, so its pack report can be shared too.
_ORIGIN: dict[int, tuple[RecordedStack, str]] = {}


def recorded_stack(
    config: Mapping[str, Any],
    *,
    stack: str = "prod",
    preview: bool = False,
    outage: str | Collection[str] | None = None,
) -> RecordedStack:
    """The program run against `config` (a stack file's `config:` mapping); with `outage`, that
    region (or those regions) answers every call the program makes into it with an error
    (operations/outage.py)."""
    down = (outage,) if isinstance(outage, str) else tuple(sorted(outage or ()))
    key = _key("stack", dict(config), stack, preview, list(down))

    def record() -> RecordedStack:
        monitor = RecordingMonitor(FirstPreviewMocks()) if preview else None
        if not down:
            return run_stack_file(dict(config), stack=stack, monitor=monitor, preview=preview)
        mocks = OutageMocks(failed=frozenset(down))
        try:
            return run_stack_file(dict(config), stack=stack, monitor=RecordingMonitor(mocks))
        except Exception:
            failed = [c for c in mocks.calls if c.kind != "tolerated"]
            if not failed:
                raise
            # The short story: the traceback through the SDK's event loop says nothing more.
            regions = " and ".join(down)
            raise RegionDown(f"the program called {regions} while down: {failed}") from None

    recorded = _stored(key, record)
    _ORIGIN[id(recorded)] = (recorded, key)
    return recorded


def shared_plan(recorded: RecordedStack, stack_config: Mapping[str, Any]) -> dict[str, Any]:
    """`build_plan` over a recording, with the pack report shared like `pack_report`'s."""
    report = pack_report(recorded, stack_config=stack_config)
    return build_plan(recorded, dict(stack_config), PROD_STACK_FILE, report=report)


def pack_report(
    recorded: RecordedStack,
    *,
    stack_config: Mapping[str, Any],
    policy_config: Mapping[str, Any] | None = None,
    preview: bool = False,
) -> PolicyReport:
    """The whole pack over a recording; shared when the recording came from `recorded_stack`
    (a hand-changed copy is analyzed afresh)."""

    def analyze() -> PolicyReport:
        return analyze_recorded(
            recorded, stack_config=stack_config, policy_config=policy_config, preview=preview
        )

    origin = _ORIGIN.get(id(recorded))
    if origin is None or origin[0] is not recorded:
        return analyze()
    key = _key("report", origin[1], dict(stack_config), dict(policy_config or {}), preview)
    return _stored(key, analyze)


# --- checkov's reports, for the tests that run the real scanner (tests/test_scan_checkov.py) --


def checkov_version(checkov: Path) -> str | None:
    """The checkov installed in the virtualenv of the `checkov` script, None if there is none."""
    venv = checkov.parent.parent
    found = metadata.distributions(
        name="checkov", path=[str(p) for p in venv.glob("lib/*/site-packages")]
    )
    return next((d.version for d in found), None)


def checkov_run(checkov: Path, inputs: Sequence[scan.ScanInput]) -> dict[str, Any]:
    """`scan.scan.run_checkov`, made once per checkov version and bytes scanned."""
    digest = hashlib.sha256()
    for scan_input in inputs:
        digest.update(scan_input.framework.encode() + b"\0")
        for path in scan_input.files():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    key = _key("checkov", checkov_version(checkov), digest.hexdigest())
    return _stored(key, lambda: scan.run_checkov(checkov, inputs))
