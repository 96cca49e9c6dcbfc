"""`make scan`: checkov over the rendered stack, offline.

    python -m scan.scan [--stack prod] [--config Pulumi.x.yaml] [--checkov PATH]
                           [--out build/scan]

checkov does not read Pulumi programs; it reads Kubernetes manifests and Terraform plan JSON.
The program is recorded offline (as `make plan` does) and written in both shapes
(scan/terraform_plan.py): `build/scan/kubernetes/*.yaml` and `build/scan/plan.json`. checkov
runs once over every file, each with its framework (scan/checkov_run.py); every failed check is
then either listed in `scan/suppressions.yaml` (check id, the resources it applies to, and a
one-line reason) or a finding. Every check checkov registers for a resource's type must also
have been evaluated on that resource, or be listed in `scan/not_applicable.yaml`
(scan/coverage.py): a check that never ran is not a pass. Prints passed / failed / suppressed /
not evaluated per framework and every finding; exits 1 when there is any finding or unevaluated
check, 2 on a bad stack file or a list entry that matches nothing (a stale reason).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from offline.policy_runner import StackFileError, record_stack_file
from offline.recorder import RecordedStack
from offline.stacks import REPO_ROOT, stack_file_of
from scan.coverage import (
    NOT_APPLICABLE,
    Registry,
    Resource,
    Unevaluated,
    evaluations,
    unevaluated,
)
from scan.lists import ListedCheck, covering, load_listed
from scan.terraform_plan import kubernetes_manifests, terraform_plan

SUPPRESSIONS = REPO_ROOT / "scan" / "suppressions.yaml"
DEFAULT_CHECKOV = REPO_ROOT / ".venv-scan" / "bin" / "checkov"
# Run by checkov's interpreter: the registry and both reports from one start (scan/checkov_run.py).
CHECKOV_RUN_SCRIPT = REPO_ROOT / "scan" / "checkov_run.py"
FRAMEWORKS = ("kubernetes", "terraform_plan")


@dataclass(frozen=True)
class Finding:
    framework: str
    check: str
    name: str
    resource: str

    def line(self) -> str:
        return f"[{self.framework}] {self.check} {self.resource}: {self.name}"


Item = TypeVar("Item", Finding, Unevaluated)


@dataclass(frozen=True)
class ScanInput:
    """What checkov reads for one framework, and the resources in it (checkov's id -> type)."""

    framework: str
    target: Path
    resources: dict[Resource, str]

    def files(self) -> list[Path]:
        """What checkov is given: the target's files, or the target itself."""
        return sorted(self.target.glob("*")) if self.target.is_dir() else [self.target]


@dataclass
class Outcome:
    """What the scan found, and which list entries excused something."""

    findings: list[Finding] = field(default_factory=list)
    unevaluated: list[Unevaluated] = field(default_factory=list)
    used: set[ListedCheck] = field(default_factory=set)


def load_suppressions(path: Path | None = None) -> list[ListedCheck]:
    return load_listed(path or SUPPRESSIONS)


def load_not_applicable(path: Path | None = None) -> list[ListedCheck]:
    return load_listed(path or NOT_APPLICABLE)


# libyaml's emitter when PyYAML has it: the same text, a quarter of the time.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def write_inputs(recorded: RecordedStack, out: Path) -> list[ScanInput]:
    manifests = out / "kubernetes"
    manifests.mkdir(parents=True, exist_ok=True)
    for old in manifests.glob("*.yaml"):
        old.unlink()
    objects: dict[Resource, str] = {}
    for file_name, manifest in kubernetes_manifests(recorded):
        (manifests / file_name).write_text(yaml.dump(manifest, Dumper=_DUMPER, sort_keys=False))
        metadata = manifest.get("metadata") or {}
        if metadata.get("name"):
            # checkov's resource id (checkov/kubernetes/kubernetes_utils.py, get_resource_id).
            namespace = metadata.get("namespace", "default")
            object_id = f"{manifest['kind']}.{namespace}.{metadata['name']}"
            objects[(file_name, object_id)] = manifest["kind"]
    plan = out / "plan.json"
    content = terraform_plan(recorded)
    plan.write_text(json.dumps(content, indent=1))
    planned = content["planned_values"]["root_module"]["resources"]
    return [
        ScanInput("kubernetes", manifests, objects),
        ScanInput("terraform_plan", plan, {(plan.name, r["address"]): r["type"] for r in planned}),
    ]


def run_checkov(checkov: Path, inputs: Sequence[ScanInput]) -> dict[str, Any]:
    """checkov's registry and its JSON reports (passed checks included: they say what was
    evaluated), `{"registry": Registry, "reports": {framework: report}}`, from one run of the
    interpreter beside the `checkov` script (scan/checkov_run.py) over every input."""
    python = checkov.with_name("python")
    # Files only: checkov's --file "can not be used together with --directory" (its --help).
    files = [path for scan_input in inputs for path in scan_input.files()]
    command = [str(python), "-I", str(CHECKOV_RUN_SCRIPT)]
    command += [arg for f in files for arg in ("-f", str(f))]
    command += ["--framework", *(i.framework for i in inputs)]
    command += ["-o", "json", "--compact", "--skip-download"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1):
        raise RuntimeError(f"checkov failed:\n{result.stderr}")
    run = json.loads(result.stdout)
    return {
        "registry": run["registry"],
        "reports": {report["check_type"]: report for report in run["reports"]},
    }


def findings_of(framework: str, report: dict[str, Any]) -> tuple[int, list[Finding]]:
    """Passed count and the failed checks."""
    failed = [
        Finding(framework, f["check_id"], f["check_name"], f["resource"])
        for f in report.get("results", {}).get("failed_checks", [])
    ]
    return int(report.get("summary", {}).get("passed", 0)), failed


def excused(items: list[Item], listed: list[ListedCheck], outcome: Outcome) -> list[Item]:
    """The items (findings or unevaluated checks) no entry covers; the entries that covered
    one are marked used."""
    left = []
    for item in items:
        entry = covering(listed, item.check, item.resource)
        if entry is None:
            left.append(item)
        else:
            outcome.used.add(entry)
    return left


def scan_framework(
    scan_input: ScanInput,
    report: dict[str, Any],
    registry: Registry,
    lists: tuple[list[ListedCheck], list[ListedCheck]],
    outcome: Outcome,
) -> None:
    suppressions, not_applicable = lists
    framework = scan_input.framework
    passed, failed = findings_of(framework, report)
    open_findings = excused(failed, suppressions, outcome)
    missing = unevaluated(
        framework, scan_input.resources, registry.get(framework, {}), evaluations(report)
    )
    open_missing = excused(missing, not_applicable, outcome)
    outcome.findings += open_findings
    outcome.unevaluated += open_missing
    print(
        f"{framework}: {passed} passed, {len(open_findings)} failed, "
        f"{len(failed) - len(open_findings)} suppressed; {len(open_missing)} checks never "
        f"evaluated, {len(missing) - len(open_missing)} not applicable"
    )


def report_outcome(outcome: Outcome, lists: dict[Path, list[ListedCheck]]) -> int:
    for finding in outcome.findings:
        print(f"  {finding.line()}")
    for missing in outcome.unevaluated:
        print(f"  {missing.line()}")
    stale = [(path, entry) for path, listed in lists.items() for entry in listed]
    stale = [(path, entry) for path, entry in stale if entry not in outcome.used]
    for path, entry in stale:
        print(
            f"error: {path.name}: {entry.check} ({entry.where()}) matches nothing; remove it",
            file=sys.stderr,
        )
    if stale:
        return 2
    return 1 if outcome.findings or outcome.unevaluated else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scan.scan", description=__doc__)
    parser.add_argument("--stack", default=None)
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--checkov", type=Path, default=DEFAULT_CHECKOV)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build" / "scan")
    args = parser.parse_args(argv)
    path = stack_file_of(args.stack, args.config)
    try:
        recorded, _ = record_stack_file(path, stack=args.stack)
        suppressions, not_applicable = load_suppressions(), load_not_applicable()
    except (StackFileError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    inputs = write_inputs(recorded, args.out)
    run = run_checkov(args.checkov, inputs)
    outcome = Outcome()
    for scan_input in inputs:
        # A framework checkov had nothing to say about: every check that applies never ran.
        report = run["reports"].get(scan_input.framework, {})
        lists = (suppressions, not_applicable)
        scan_framework(scan_input, report, run["registry"], lists, outcome)
    return report_outcome(outcome, {SUPPRESSIONS: suppressions, NOT_APPLICABLE: not_applicable})


if __name__ == "__main__":
    sys.exit(main())
