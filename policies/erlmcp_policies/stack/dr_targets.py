"""dr-budget-meets-targets: every DR pair's design recovers within its RTO and RPO.

The budget itself (the figures, their sources and the formula) lives with the program, in
regions/dr_budget.py; the offline runner, and `--print-policy-config` for the Pulumi CLI, pass each
pair's computed budget in this policy's `budgets` config, with the settings it assumed. The policy
reports:
- a pair whose design RTO or RPO exceeds its target;
- a pair whose resources do not match what its budget assumed, so that a budget cannot pass while
  the stack deploys something slower: the primary's health check must be at least as frequent,
  the standby must hold the assumed kind of database copy, and the release behind the pair's
  failover name (`standby-<primary>.`) must run at least the assumed warm pods.
Failed-over pairs (`failed_over`) are not judged, nor pairs whose primary's data is being restored
to a point in time (`restoring`): both releases of the pair are stopped or rebuilt on purpose
until the restore's last stage gives the pair its next generation (docs/restore.md). Unknown
values are never violations.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from erlmcp_policies.stack.dr_standby import (
    RDS_INSTANCE,
    Pair,
    configured_pairs,
    has_aurora_secondary,
    has_database_replica,
    pair_list,
)
from erlmcp_policies.stack.graph import UNKNOWN, StackIndex, prop
from erlmcp_policies.stack.workloads import (
    HEALTH_CHECK,
    RECORD,
    normalize_host,
    pods_behind_service,
    resolve_aliases,
    service_with_hostname,
)

NAME = "dr-budget-meets-targets"


def _target_misses(budget: dict[str, Any]) -> list[str]:
    misses = []
    if budget["rtoMinutes"] > budget["rtoTargetMinutes"]:
        misses.append(
            f"design RTO {budget['rtoMinutes']:g} min exceeds the target "
            f"{budget['rtoTargetMinutes']:g} min"
        )
    if budget["rpoMinutes"] > budget["rpoTargetMinutes"]:
        misses.append(
            f"design RPO {budget['rpoMinutes']:g} min exceeds the target "
            f"{budget['rpoTargetMinutes']:g} min"
        )
    return misses


def _slowest_check_seconds(index: StackIndex, region: str) -> Any:
    """The longest request interval among the health checks of `<region>.<domain>`."""
    intervals = []
    for check in index.of_type(HEALTH_CHECK):
        fqdn = prop(check.props, "fqdn")
        if fqdn is UNKNOWN:
            return UNKNOWN
        if isinstance(fqdn, str) and fqdn.split(".")[0] == region:
            interval = prop(check.props, "requestInterval", default=30)
            if interval is UNKNOWN:
                return UNKNOWN
            intervals.append(int(interval))
    return max(intervals) if intervals else None


def _warm_pods(index: StackIndex, primary: str) -> Any:
    """Pods behind the standby name of a primary's failover pair (None: no such name)."""
    names = [
        normalize_host(prop(r.props, "name"))
        for r in index.of_type(RECORD)
        if isinstance(prop(r.props, "name"), str)
        and prop(r.props, "name").startswith(f"standby-{primary}.")
    ]
    if not names:
        return None
    total = 0
    for hostname in resolve_aliases(index, names, primary_only=True):
        if hostname is UNKNOWN:
            return UNKNOWN
        service = service_with_hostname(index, hostname)
        if service is None:
            continue
        pods = pods_behind_service(index, service)
        if not isinstance(pods, int):
            return UNKNOWN
        total += pods
    return total


def _assumption_mismatches(index: StackIndex, budget: dict[str, Any]) -> list[str]:
    pair = Pair(budget["primary"], budget["standby"])
    found = []
    assumed_interval = int(budget["healthCheckIntervalSeconds"])
    slowest = _slowest_check_seconds(index, pair.primary)
    if isinstance(slowest, int) and slowest > assumed_interval:
        found.append(
            f"the budget assumes {assumed_interval} s health checks of {pair.primary} but the "
            f"stack checks every {slowest} s"
        )
    copy = (
        has_aurora_secondary(index, pair)
        if budget["database"] == "aurora-global"
        else has_database_replica(index, pair)
    )
    if copy is False:
        kind = (
            "an Aurora Global Database secondary"
            if budget["database"] == "aurora-global"
            else (f"an RDS read replica ({RDS_INSTANCE})")
        )
        found.append(f"the budget assumes {kind} in {pair.standby}, which the stack does not hold")
    warm, assumed_warm = _warm_pods(index, pair.primary), int(budget["standbyPods"])
    if isinstance(warm, int) and warm < assumed_warm:
        found.append(
            f"the budget assumes {assumed_warm} warm pods behind "
            f"standby-{pair.primary}, but {warm} run there"
        )
    return found


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    not_judged = configured_pairs(config, "failed_over") | configured_pairs(config, "restoring")
    index = StackIndex(args.resources)
    for budget in config.get("budgets") or []:
        pair = Pair(budget["primary"], budget["standby"])
        if pair in not_judged:
            continue
        for problem in _target_misses(budget) + _assumption_mismatches(index, budget):
            report_violation(f"DR pair {pair}: {problem}.", None)


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "Every DR pair's design, as deployed, recovers within its RTO and RPO targets "
        "(runbook §3.1; budget in regions/dr_budget.py) [erlmcp]"
    ),
    validate=validate,
    config_schema=PolicyConfigSchema(
        properties={
            "budgets": {
                "type": "array",
                "description": "Each pair's budget and assumed settings (from the stack file)",
                "items": {
                    "type": "object",
                    "required": [
                        "primary",
                        "standby",
                        "database",
                        "healthCheckIntervalSeconds",
                        "standbyPods",
                        "rtoMinutes",
                        "rtoTargetMinutes",
                        "rpoMinutes",
                        "rpoTargetMinutes",
                    ],
                },
                "default": [],
            },
            "failed_over": pair_list("DR pairs in failover: not judged"),
            "restoring": pair_list(
                "DR pairs whose primary's data is being restored to a point in time: not judged"
            ),
        }
    ),
)
