"""How fast the offline render is, against what the Pulumi SDK alone costs: `make bench`.

    python -m offline.bench [--repeat 3] [--regions 6,12,24] [--json build/bench.json]

For each stack size (prod's six regions, then stacks grown from it by offline/generated_stacks.py)
a fresh interpreter measures, side by side and `--repeat` times each (medians printed):

- render: the real program (`__main__.py`) recorded under the offline mocks (offline/recorder.py);
- floor: the SDK alone registering the same resources under the same mocks and recorder: each
  through its pulumi-aws / pulumi-kubernetes class with the inputs the program gave it (so the
  provider SDK's own argument handling and output properties count), every component
  constructing its children inside its constructor, the same parents and providers, and one
  dependency each where the program's resource has one (its first dependency registered before
  it). What the floor leaves out is the program itself: config model, Outputs passed between
  resources, applies, invokes;
- pack: the whole policy pack over the recording (offline/policy_runner.py);
- peak RSS of that interpreter.

Then `python -m planning.plan` for prod, as `make plan` runs it (a fresh interpreter each time,
imports included), with its own peak RSS. Figures only; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import functools
import gc
import inspect
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import pulumi

from offline.generated_stacks import grown_stack_config
from offline.policy_runner import analyze_recorded
from offline.recorder import RecordedResource, RecordedStack, is_secret, reveal, run_program
from offline.sdk_types import engine_names, resource_class
from offline.stacks import PROJECT, REPO_ROOT, run_stack_file, stack_file_config

PROD_REGIONS = 6


# --- the floor ---------------------------------------------------------------------------------


@functools.cache
def _sdk_class(type_: str) -> tuple[type, dict[str, str]]:
    """The SDK class of a resource type and its constructor's arguments by engine name
    (`aws:eks/cluster:Cluster` -> pulumi_aws.eks.Cluster, {"roleArn": "role_arn", ...})."""
    cls = resource_class(type_)
    arguments = set(inspect.signature(cls._internal_init).parameters)  # type: ignore[attr-defined]
    names = engine_names(cls)
    return cls, {engine: python for python, engine in names.items() if python in arguments}


def _as_argument(value: Any) -> Any:
    """A recorded input as the program handed it over: a secret stays a secret."""
    return pulumi.Output.secret(reveal(value)) if is_secret(value) else value


class _Floor:
    """Registers a recorded stack's resources with nothing but the SDK."""

    def __init__(self, recorded: RecordedStack) -> None:
        self.children: dict[str | None, list[RecordedResource]] = {}
        for r in recorded.resources:
            self.children.setdefault(r.parent, []).append(r)
        self.made: dict[str, pulumi.Resource] = {}

    def program(self) -> None:
        top = self.children.get(None, [])
        # Providers first, as a program creates them before the resources that use them.
        for r in sorted(top, key=lambda r: not r.is_provider):
            self.build(r, None)

    def build(self, r: RecordedResource, parent: pulumi.Resource | None) -> None:
        if r.is_provider:
            self.made[r.urn] = pulumi.ProviderResource(
                r.type.rsplit(":", 1)[-1],
                r.name,
                dict(r.inputs),
                pulumi.ResourceOptions(parent=parent),
            )
        elif r.custom:
            self.made[r.urn] = self._custom(r, parent)
        else:
            _FloorComponent(self, r, parent)

    def _custom(self, r: RecordedResource, parent: pulumi.Resource | None) -> pulumi.Resource:
        """The resource through its pulumi-aws / pulumi-kubernetes class, with the inputs the
        program gave it: the provider SDK's own work on arguments is part of the floor."""
        cls, arguments = _sdk_class(r.type)
        kwargs = {arguments[k]: _as_argument(v) for k, v in r.inputs.items() if k in arguments}
        dependency = next((self.made[d] for d in r.dependencies if d in self.made), None)
        provider = self.made.get(r.provider.rsplit("::", 1)[0]) if r.provider else None
        options = pulumi.ResourceOptions(
            parent=parent,
            provider=provider,
            depends_on=[dependency] if dependency is not None else None,
        )
        return cls(r.name, options, **kwargs)


class _FloorComponent(pulumi.ComponentResource):
    def __init__(self, floor: _Floor, r: RecordedResource, parent: pulumi.Resource | None) -> None:
        super().__init__(r.type, r.name, None, pulumi.ResourceOptions(parent=parent))
        floor.made[r.urn] = self
        for child in floor.children.get(r.urn, []):
            floor.build(child, self)


# --- measuring ---------------------------------------------------------------------------------


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    # Every measured run starts from the same heap: no cycles left over from the previous one.
    gc.collect()
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def _peak_rss_mib(usage: Any) -> float:
    return usage.ru_maxrss / 1024  # Linux reports KiB


def measure_stack(regions: int, repeat: int) -> dict[str, Any]:
    """Render, floor and pack of one stack size, in this interpreter."""
    config = stack_file_config() if regions == PROD_REGIONS else grown_stack_config(regions)
    # A first render imports the providers' modules lazily; it is not counted.
    recorded = run_stack_file(config)
    renders, floors, packs = [], [], []
    for _ in range(repeat):
        seconds, recorded = _timed(lambda: run_stack_file(config))
        renders.append(seconds)
        floor = _Floor(recorded)
        seconds, floored = _timed(
            functools.partial(
                run_program, floor.program, config=config, project=PROJECT, stack="prod"
            )
        )
        floors.append(seconds)
        seconds, report = _timed(functools.partial(analyze_recorded, recorded, stack_config=config))
        packs.append(seconds)
    if floored.urns() != recorded.urns():
        raise RuntimeError("the floor did not register the same resources as the program")
    count = len(recorded.resources)
    render, floor_s = statistics.median(renders), statistics.median(floors)
    return {
        "regions": regions,
        "resources": count,
        "renderSeconds": render,
        "renderMsPerResource": 1000 * render / count,
        "floorSeconds": floor_s,
        "floorMsPerResource": 1000 * floor_s / count,
        "ratio": render / floor_s,
        # Each run's render against the floor measured right after it: the noise in the ratio.
        "ratioRange": [
            min(r / f for r, f in zip(renders, floors, strict=True)),
            max(r / f for r, f in zip(renders, floors, strict=True)),
        ],
        "packSeconds": statistics.median(packs),
        "packPassed": report.passed,
        "peakRssMiB": _peak_rss_mib(resource.getrusage(resource.RUSAGE_SELF)),
    }


def measure_plan(repeat: int) -> dict[str, Any]:
    """`python -m planning.plan` on prod, as `make plan` runs it, with its peak RSS."""
    times, peaks = [], []
    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryFile() as errors:
        for _ in range(repeat):
            start = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-m", "planning.plan", "--stack", "prod", "--out", out],
                cwd=REPO_ROOT,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
            # wait4, not wait: the child's own peak RSS, not the largest of all children's.
            _, status, usage = os.wait4(process.pid, 0)
            times.append(time.perf_counter() - start)
            if os.waitstatus_to_exitcode(status) not in (0, 1):  # 1: a mandatory violation
                errors.seek(0)
                raise RuntimeError(f"make plan failed:\n{errors.read().decode()}")
            peaks.append(_peak_rss_mib(usage))
    return {"seconds": statistics.median(times), "peakRssMiB": max(peaks)}


def measure_in_child(regions: int, repeat: int) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "offline.bench", "--one", str(regions), "--repeat", str(repeat)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if output.returncode != 0:
        raise RuntimeError(f"measuring {regions} regions failed:\n{output.stderr}")
    return json.loads(output.stdout)


# --- report ------------------------------------------------------------------------------------


def format_report(stacks: list[dict[str, Any]], plan: dict[str, Any], repeat: int) -> str:
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("pulumi", "pulumi-aws", "pulumi-policy")
    )
    lines = [
        f"Offline render benchmark: medians of {repeat} runs side by side; "
        f"Python {platform.python_version()}, {versions}, {os.cpu_count()} CPUs",
        "",
        "| stack | resources | render | ms/resource | floor | ms/resource | render/floor (runs) "
        "| pack | peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in stacks:
        name = "prod (6 regions)" if s["regions"] == PROD_REGIONS else f"{s['regions']} regions"
        lines.append(
            f"| {name} | {s['resources']} | {s['renderSeconds']:.2f} s "
            f"| {s['renderMsPerResource']:.2f} | {s['floorSeconds']:.2f} s "
            f"| {s['floorMsPerResource']:.2f} "
            f"| {s['ratio']:.2f} ({s['ratioRange'][0]:.2f} to {s['ratioRange'][1]:.2f}) "
            f"| {s['packSeconds']:.2f} s | {s['peakRssMiB']:.0f} MiB |"
        )
    lines += [
        "",
        f"make plan (prod; python -m planning.plan, fresh interpreter, imports included): "
        f"{plan['seconds']:.2f} s, peak RSS {plan['peakRssMiB']:.0f} MiB",
    ]
    return "\n".join(lines)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m offline.bench", description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument(
        "--regions",
        default="6,12,24",
        help="stack sizes, comma-separated (6 = Pulumi.prod.yaml itself)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.one is not None:  # a child: one stack size, figures as JSON on stdout
        print(json.dumps(measure_stack(args.one, args.repeat)))
        return 0
    sizes = [int(n) for n in args.regions.split(",")]
    plan = measure_plan(args.repeat)
    stacks = []
    for regions in sizes:
        print(f"measuring {regions} regions...", file=sys.stderr, flush=True)
        stacks.append(measure_in_child(regions, args.repeat))
    print(format_report(stacks, plan, args.repeat))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"stacks": stacks, "plan": plan}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
