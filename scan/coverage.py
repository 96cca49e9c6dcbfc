"""A scan sees every check it claims: each check checkov registers for a resource's type was
evaluated on that resource, or `scan/not_applicable.yaml` says why it cannot apply.

checkov reports a check on a resource only when the check returns PASSED or FAILED; a check
that cannot read what it needs (a value missing from the export, a number it cannot compare, a
policy it cannot parse) returns UNKNOWN and is left out of the report, so a zero-failure scan
can hide checks that never ran. What "applies" is taken from checkov's own registries
(scan/checkov_registry.py, run under checkov's interpreter by scan/checkov_run.py); what was
evaluated, from the report's passed, failed and skipped checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline.stacks import REPO_ROOT

NOT_APPLICABLE = REPO_ROOT / "scan" / "not_applicable.yaml"
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
