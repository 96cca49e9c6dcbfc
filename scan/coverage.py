"""A scan sees every check it claims: each check checkov registers for a resource's type was
evaluated on that resource, or `scan/not_applicable.yaml` says why it cannot apply.

checkov reports a check on a resource only when the check returns PASSED or FAILED; a check
that cannot read what it needs (a value missing from the export, a number it cannot compare, a
policy it cannot parse) returns UNKNOWN and is left out of the report, so a zero-failure scan
can hide checks that never ran. What "applies" is taken from checkov's own registries
(scan/checkov_registry.py, run under checkov's interpreter); what was evaluated, from the
report's passed, failed and skipped checks.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline.stacks import REPO_ROOT

NOT_APPLICABLE = REPO_ROOT / "scan" / "not_applicable.yaml"
REGISTRY_SCRIPT = REPO_ROOT / "scan" / "checkov_registry.py"
# {framework: {resource type: {check id: check name}}}
Registry = Mapping[str, Mapping[str, Mapping[str, str]]]


# A resource as checkov reports it: the file it was read from, and its id. Kubernetes ids
# (Kind.namespace.name) repeat from one cluster to the next; the file tells them apart.
Resource = tuple[str, str]


@dataclass(frozen=True)
class Unevaluated:
    framework: str
    check: str
    name: str
    resource: str
    file: str

    def line(self) -> str:
        return (
            f"[{self.framework}] {self.check} was never evaluated on {self.resource} "
            f"(in {self.file}) "
            f"({self.name}): make what it reads visible in the export (scan/terraform_plan.py)"
            " or fix the resource; if it cannot apply, list it in scan/not_applicable.yaml with"
            " the reason"
        )


def checkov_registry(checkov: Path) -> dict[str, Any]:
    """checkov's checks per resource type, read by checkov's own interpreter (the one beside the
    `checkov` script in its virtualenv)."""
    python = checkov.with_name("python")
    result = subprocess.run(
        # -I: the script's own folder (scan/, whose modules are named like the things they do,
        # `coverage`, `scan`) is not put on checkov's sys.path, where it could shadow a package.
        [str(python), "-I", str(REGISTRY_SCRIPT)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"reading checkov's registry with {python} failed:\n{result.stderr}")
    return json.loads(result.stdout)


def evaluations(report: Mapping[str, Any]) -> set[tuple[str, Resource]]:
    """(check id, resource) of every check checkov evaluated: passed, failed or skipped."""
    results = report.get("results", {})
    return {
        (record["check_id"], (Path(record["file_path"]).name, record["resource"]))
        for kind in ("passed_checks", "failed_checks", "skipped_checks")
        for record in results.get(kind, [])
    }


def unevaluated(
    framework: str,
    resources: Mapping[Resource, str],
    checks_by_type: Mapping[str, Mapping[str, str]],
    evaluated: Iterable[tuple[str, Resource]],
) -> list[Unevaluated]:
    """Every (check, resource) where the check applies to the resource's type but was not
    evaluated on it. `resources` maps each exported resource to its type."""
    seen = set(evaluated)
    return [
        Unevaluated(framework, check, name, resource[1], resource[0])
        for resource, resource_type in sorted(resources.items())
        for check, name in sorted(checks_by_type.get(resource_type, {}).items())
        if (check, resource) not in seen
    ]
