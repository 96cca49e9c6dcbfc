"""Which checkov checks apply to which resource type, from checkov's own registries.

Loaded by scan/checkov_run.py under checkov's interpreter, not the program's: it imports only
checkov and the standard library. `registry()` gives `{framework: {resource type: {check id:
check name}}}` for the two frameworks `make scan` runs:

- `terraform_plan`: the resource checks the plan runner runs on each block
  (`checkov/terraform/plan_runner.py`, `block_type_registries['resource']`, i.e.
  `checkov.terraform.checks.resource.registry.resource_registry.get_checks(type)`), and the
  graph checks of the `terraform` graph registry the plan runner takes
  (`get_graph_checks_registry(CheckType.TERRAFORM)`);
- `kubernetes`: the kubernetes resource registry by kind, and the `kubernetes` graph registry.

A graph check lists in `resource_types` every type its conditions touch, companions included
(CKV2_AWS_6 names `aws_s3_bucket_public_access_block` but reports on the bucket alone). The
types it reports on are read from its condition tree instead (`reported_types`).
"""

from __future__ import annotations

from typing import Any

from checkov.common.bridgecrew.check_type import CheckType
from checkov.common.checks_infra.registry import get_graph_checks_registry
from checkov.kubernetes.checks.resource.registry import registry as kubernetes_registry
from checkov.kubernetes.runner import Runner as KubernetesRunner  # noqa: F401  (loads its checks)
from checkov.terraform.plan_runner import Runner as PlanRunner
from checkov.version import version

# A condition that restricts nothing: the check's own `resource_types` decide.
ANY = None


def reported_types(check: Any) -> set[str] | None:
    """The resource types a graph check (or one of its conditions) reports on.

    A filter on `resource_type` names them. An attribute condition holds for its own types, a
    connection for both ends. `and` keeps what every part allows, `or` what any part does, but a
    condition with a connection in it (checkov's ComplexConnectionSolver) reports on either end
    and then applies its filters to the results, whatever its operator
    (`checkov/common/checks_infra/solvers/connections_solvers/complex_connection_solver.py`,
    `filter_results`). A filter on another attribute (a record's type, an engine) is left to
    `scan/not_applicable.yaml`: it depends on values."""
    kind = _kind(check)
    if kind == "FILTER":
        return _filtered_types(check) if _is_type_filter(check) else ANY
    if kind in ("ATTRIBUTE", "CONNECTION", "RESOURCE") or not check.sub_checks:
        types = set(check.resource_types) | set(check.connected_resources_types or ())
        return types or ANY
    filters = [_filtered_types(sub) for sub in check.sub_checks if _is_type_filter(sub)]
    parts = [reported_types(sub) for sub in check.sub_checks if _kind(sub) != "FILTER"]
    if kind == "COMPLEX_CONNECTION" or check.operator == "or":
        types = ANY if ANY in parts or not parts else set().union(*parts)
    else:
        known = [p for p in parts if p is not ANY]
        types = set.intersection(*known) if known else ANY
    for allowed in filters:
        types = allowed if types is ANY else types & allowed
    return types


def _kind(check: Any) -> str:
    return str(getattr(check.type, "value", check.type))


def _is_type_filter(check: Any) -> bool:
    return _kind(check) == "FILTER" and check.attribute == "resource_type"


def _filtered_types(check: Any) -> set[str]:
    value = check.attribute_value
    return set(value if isinstance(value, list) else [value])


def graph_checks(check_type: str) -> dict[str, dict[str, str]]:
    registry = get_graph_checks_registry(check_type)
    registry.load_checks()
    by_type: dict[str, dict[str, str]] = {}
    for check in registry.checks:
        types = reported_types(check)
        for resource_type in types if types is not ANY else check.resource_types:
            by_type.setdefault(resource_type, {})[check.id] = check.name
    return by_type


def resource_checks(registry: Any) -> dict[str, dict[str, str]]:
    if registry.wildcard_checks:
        # None in 3.3.30; a pattern is not a type `make scan` could look up.
        raise SystemExit(
            f"checkov registers wildcard checks now: {sorted(registry.wildcard_checks)}"
        )
    return {t: {c.id: c.name for c in registry.get_checks(t)} for t in sorted(registry.checks)}


def merged(*maps: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for one in maps:
        for resource_type, checks in one.items():
            out.setdefault(resource_type, {}).update(checks)
    return out


def registry() -> dict[str, Any]:
    terraform = PlanRunner.block_type_registries["resource"]
    return {
        "checkov": version,
        "terraform_plan": merged(resource_checks(terraform), graph_checks(CheckType.TERRAFORM)),
        "kubernetes": merged(
            resource_checks(kubernetes_registry), graph_checks(CheckType.KUBERNETES)
        ),
    }
