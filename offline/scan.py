"""`make scan`: checkov over the rendered stack, offline.

    python -m offline.scan [--stack prod] [--config Pulumi.x.yaml] [--checkov PATH]
                           [--out build/scan]

checkov does not read Pulumi programs; it reads Kubernetes manifests and Terraform plan JSON.
The program is recorded offline (as `make plan` does) and written in both shapes
(offline/terraform_plan.py): `build/scan/kubernetes/*.yaml` and `build/scan/plan.json`. checkov
runs over each with its own framework; every failed check is then either listed in
`scan/suppressions.yaml` (check id, the resources it applies to, and a one-line reason) or a
finding. Prints passed / failed / suppressed per framework and every finding; exits 1 when there
is any, 2 on a bad stack file or a suppression entry that matches nothing (a stale reason).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from offline.policy_runner import StackFileError, record_stack_file
from offline.stacks import REPO_ROOT, stack_file_of
from offline.terraform_plan import kubernetes_manifests, terraform_plan

SUPPRESSIONS = REPO_ROOT / "scan" / "suppressions.yaml"
DEFAULT_CHECKOV = REPO_ROOT / ".venv-scan" / "bin" / "checkov"


@dataclass(frozen=True)
class Finding:
    framework: str
    check: str
    name: str
    resource: str

    def line(self) -> str:
        return f"[{self.framework}] {self.check} {self.resource}: {self.name}"


@dataclass(frozen=True)
class Suppression:
    check: str
    resources: tuple[str, ...]
    reason: str

    def covers(self, finding: Finding) -> bool:
        return finding.check == self.check and any(
            fnmatch.fnmatchcase(finding.resource, pattern) for pattern in self.resources
        )


def load_suppressions(path: Path | None = None) -> list[Suppression]:
    path = path or SUPPRESSIONS
    entries = (yaml.safe_load(path.read_text()) or []) if path.exists() else []
    suppressions = []
    for index, entry in enumerate(entries):
        reason = str(entry.get("reason", "")).strip()
        if not reason or "\n" in reason:
            raise ValueError(
                f"{path}: entry {index} ({entry.get('check')}) needs a one-line reason"
            )
        suppressions.append(
            Suppression(str(entry["check"]), tuple(entry.get("resources", ["*"])), reason)
        )
    return suppressions


def write_inputs(recorded: Any, out: Path) -> tuple[Path, Path]:
    manifests = out / "kubernetes"
    manifests.mkdir(parents=True, exist_ok=True)
    for old in manifests.glob("*.yaml"):
        old.unlink()
    for file_name, manifest in kubernetes_manifests(recorded):
        (manifests / file_name).write_text(yaml.safe_dump(manifest, sort_keys=False))
    plan = out / "plan.json"
    plan.write_text(json.dumps(terraform_plan(recorded), indent=1))
    return manifests, plan


def run_checkov(checkov: Path, framework: str, target: Path) -> dict[str, Any]:
    flag = "-d" if target.is_dir() else "-f"
    command = [str(checkov), flag, str(target), "--framework", framework]
    command += ["-o", "json", "--quiet", "--compact", "--skip-download"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1):
        raise RuntimeError(f"checkov failed on {target}:\n{result.stderr}")
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report


def findings_of(framework: str, report: dict[str, Any]) -> tuple[int, list[Finding]]:
    """Passed count (`--quiet` leaves passed checks out of the results, not the summary) and the
    failed checks."""
    failed = [
        Finding(framework, f["check_id"], f["check_name"], f["resource"])
        for f in report.get("results", {}).get("failed_checks", [])
    ]
    return int(report.get("summary", {}).get("passed", 0)), failed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.scan", description=__doc__)
    parser.add_argument("--stack", default=None)
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--checkov", type=Path, default=DEFAULT_CHECKOV)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build" / "scan")
    args = parser.parse_args(argv)
    path = stack_file_of(args.stack, args.config)
    try:
        recorded, _ = record_stack_file(path, stack=args.stack)
        suppressions = load_suppressions()
    except (StackFileError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    manifests, plan = write_inputs(recorded, args.out)
    used: set[Suppression] = set()
    open_findings: list[Finding] = []
    for framework, target in (("kubernetes", manifests), ("terraform_plan", plan)):
        passed, failed = findings_of(framework, run_checkov(args.checkov, framework, target))
        suppressed = 0
        for finding in failed:
            match = next((s for s in suppressions if s.covers(finding)), None)
            if match is None:
                open_findings.append(finding)
            else:
                used.add(match)
                suppressed += 1
        print(
            f"{framework}: {passed} passed, {len(failed) - suppressed} failed, "
            f"{suppressed} suppressed"
        )
    for finding in open_findings:
        print(f"  {finding.line()}")
    stale = [s for s in suppressions if s not in used]
    for s in stale:
        where = ", ".join(s.resources)
        print(
            f"error: suppression of {s.check} ({where}) matches nothing; remove it", file=sys.stderr
        )
    if stale:
        return 2
    return 1 if open_findings else 0


if __name__ == "__main__":
    sys.exit(main())
