"""dr-auto-failover-interlocked: every DR pair has an ARC Region switch plan that activates its
standby, triggered from outside the primary, behind every interlock.

For each pair of the policy config's `pairs` ({primary, standby, rtoMinutes, database, armed,
standbyServes}), the stack must have an `aws:arcregionswitch/plan:Plan` whose `regions` are the
pair and `primaryRegion` the primary, with:

* the pair's RTO as `recoveryTimeObjectiveMinutes` (rounded up to whole minutes);
* an `activate` workflow for the standby with the database step of the pair's mechanism
  (`AuroraGlobalDatabase` with behavior `failover`, or `RdsPromoteReadReplica`), a
  `CustomActionLambda` run in the activating region (the cache) and `EKSResourceScaling`;
* a trigger activating the standby, `minDelayMinutesBetweenExecutions` at least 1, none of whose
  alarms lives in the primary region, which needs:
  - the primary down: `red` on probe alarms (`erlmcp/Probe` `Up{Target=<primary>}`) of at
    least two regions;
  - `green` on a composite alarm in the standby whose rule holds the switch while the
    "automatic failover ran" marker (`erlmcp/AutoFailover`) is in ALARM, while the standby copy's
    lag (ReplicaLag, AuroraGlobalDBRPOLag) is above the pair's RPO, and while the standby's own
    probe is not OK; and that ends in `OR TRUE` exactly when config disarms the pair
    (`armed: false`: autoFailover off, a rollout in progress, already failed over);
  - for a standby that serves its own traffic (the mutual pair), `green` on a third region's
    probe of the standby, so that the plan for each direction needs the other's primary up.

Unknown values (a first preview) are never violations.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from erlmcp_policies.stack.graph import UNKNOWN, StackIndex, list_at, prop

NAME = "dr-auto-failover-interlocked"
PLAN = "aws:arcregionswitch/plan:Plan"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
PROBE_NAMESPACE = "erlmcp/Probe"
MARKER_NAMESPACE = "erlmcp/AutoFailover"
DATABASE_BLOCKS = {"aurora-global": "AuroraGlobalDatabase", "rds": "RdsPromoteReadReplica"}
LAG_METRICS = {"aurora-global": ("AuroraGlobalDBRPOLag", 0.001), "rds": ("ReplicaLag", 1.0)}
_ALARM_ARN = re.compile(r"^arn:aws[a-z-]*:cloudwatch:([a-z0-9-]+):\d{12}:alarm:(.+)$")


def _plan_of(index: StackIndex, primary: str, standby: str) -> Any:
    found = None
    for plan in index.of_type(PLAN):
        regions = prop(plan.props, "regions")
        if regions is UNKNOWN:
            return UNKNOWN
        if sorted(regions or []) == sorted([primary, standby]) and prop(
            plan.props, "primaryRegion"
        ) in (primary, UNKNOWN):
            found = plan
    return found


def _steps(workflow: Any) -> list[Any]:
    """Every step of a workflow, the steps inside Parallel ones included."""
    found = []
    for step in list_at(workflow, "steps"):
        found.append(step)
        for parallel in list_at(step, "parallelConfigs"):
            found.extend(list_at(parallel, "steps"))
    return found


def _workflow_problems(plan: PolicyResource, pair: dict[str, Any]) -> list[str]:
    standby, database = pair["standby"], pair["database"]
    workflows = [
        w
        for w in list_at(plan.props, "workflows")
        if prop(w, "workflowTargetAction") == "activate"
        and prop(w, "workflowTargetRegion") in (standby, UNKNOWN)
    ]
    if not workflows:
        return [f"no activate workflow for {standby}"]
    steps = [s for w in workflows for s in _steps(w)]
    blocks = {prop(s, "executionBlockType") for s in steps}
    if UNKNOWN in blocks:
        return []
    problems = []
    wanted = DATABASE_BLOCKS[database]
    if wanted not in blocks:
        problems.append(f"no {wanted} step (the pair's database is {database})")
    aurora = [c for s in steps for c in list_at(s, "globalAuroraConfigs")]
    if any(prop(c, "behavior") not in ("failover", UNKNOWN) for c in aurora):
        problems.append("the Aurora step must fail over (switchoverOnly needs a live primary)")
    lambdas = [c for s in steps for c in list_at(s, "customActionLambdaConfigs")]
    if not any(prop(c, "regionToRun") == "activatingRegion" for c in lambdas):
        problems.append("no cache step (a CustomActionLambda run in the activating region)")
    if "EKSResourceScaling" not in blocks:
        problems.append("no EKSResourceScaling step for the standby's pods")
    return problems


class _Alarms:
    """The stack's alarms by ARN, and what a plan's trigger conditions point at."""

    def __init__(self, index: StackIndex) -> None:
        self.by_arn: dict[Any, PolicyResource] = {}
        self.by_name: dict[Any, PolicyResource] = {}
        for alarm in index.of_type(ALARM):
            self.by_arn[prop(alarm.props, "arn")] = alarm
            self.by_name[prop(alarm.props, "name")] = alarm
        for alarm in index.of_type(COMPOSITE):
            self.by_arn[prop(alarm.props, "arn")] = alarm
            self.by_name[prop(alarm.props, "alarmName")] = alarm


def _dimension(alarm: PolicyResource, name: str) -> Any:
    return prop(alarm.props, "dimensions", name)


def _is_probe(alarm: PolicyResource, target: str) -> bool:
    return (
        alarm.resource_type == ALARM
        and prop(alarm.props, "namespace") == PROBE_NAMESPACE
        and _dimension(alarm, "Target") == target
        and prop(alarm.props, "statistic") != "SampleCount"
    )


def _reads_lag(alarm: PolicyResource, metric: str) -> bool:
    if prop(alarm.props, "metricName") == metric:
        return True
    return any(
        isinstance(prop(q, "expression"), str) and metric in prop(q, "expression")
        for q in list_at(alarm.props, "metricQueries")
    )


def _interlock_problems(
    composite: PolicyResource, alarms: _Alarms, pair: dict[str, Any]
) -> list[str]:
    rule = prop(composite.props, "alarmRule")
    if not isinstance(rule, str):
        return []
    held = re.findall(r'(?<!NOT )ALARM\("([^"]+)"\)', rule)
    not_ok = re.findall(r'NOT OK\("([^"]+)"\)', rule)
    holders = [a for a in (alarms.by_name.get(name) for name in held) if a is not None]
    problems = []
    primary = pair["primary"]
    if not any(
        prop(a.props, "namespace") == MARKER_NAMESPACE and _dimension(a, "Primary") == primary
        for a in holders
    ):
        problems.append("nothing holds it once it ran (the erlmcp/AutoFailover marker)")
    metric, unit = LAG_METRICS[pair["database"]]
    limit = float(pair["rpoMinutes"]) * 60 / unit
    lag = [a for a in holders if _reads_lag(a, metric)]
    if not lag:
        problems.append(f"nothing holds it while the copy's {metric} is above the RPO")
    elif all(
        isinstance(prop(a.props, "threshold"), int | float) and prop(a.props, "threshold") > limit
        for a in lag
    ):
        problems.append(f"its {metric} interlock is above the pair's RPO")
    probes = [alarms.by_name.get(name) for name in not_ok]
    if not any(p is not None and prop(p.props, "namespace") == PROBE_NAMESPACE for p in probes):
        problems.append("nothing holds it while the standby's own probe is not running")
    forced = bool(re.search(r"\bOR TRUE\s*$", rule))
    if not pair["armed"] and not forced:
        problems.append(
            "config disarms the pair (autoFailover off, a rollout, or failed over) "
            "but the rule does not end in OR TRUE"
        )
    if pair["armed"] and forced:
        problems.append("the rule is forced (OR TRUE) though config arms the pair")
    return problems


def _trigger_problems(
    index: StackIndex, plan: PolicyResource, alarms: _Alarms, pair: dict[str, Any]
) -> list[str]:
    primary, standby = pair["primary"], pair["standby"]
    keys = {
        prop(a, "mapBlockKey"): prop(a, "resourceIdentifier")
        for a in list_at(plan.props, "associatedAlarms")
    }
    triggers = [
        t
        for t in list_at(plan.props, "triggers")
        if prop(t, "action") == "activate" and prop(t, "targetRegion") in (standby, UNKNOWN)
    ]
    if not triggers:
        return [f"no trigger activates {standby}"]
    problems: list[str] = []
    for trigger in triggers:
        delay = prop(trigger, "minDelayMinutesBetweenExecutions")
        if isinstance(delay, int | float) and delay < 1:
            problems.append("minDelayMinutesBetweenExecutions below 1 minute")
        conditions = []
        unknown = False
        for condition in list_at(trigger, "conditions"):
            arn = keys.get(prop(condition, "associatedAlarmName"))
            if arn is UNKNOWN or (
                isinstance(arn, str) and arn not in alarms.by_arn and UNKNOWN in alarms.by_arn
            ):
                unknown = True
                continue
            if arn is None:
                problems.append("a condition names no associated alarm")
                continue
            match = _ALARM_ARN.match(str(arn))
            region = match.group(1) if match else None
            if region == primary:
                problems.append(f"a condition's alarm lives in the primary region ({arn})")
            conditions.append((region, alarms.by_arn.get(arn), prop(condition, "condition")))
        if unknown:
            continue  # a first preview: the alarms' ARNs are not known yet
        down_from = {
            region
            for region, alarm, state in conditions
            if state == "red" and alarm is not None and _is_probe(alarm, primary)
        }
        if len(down_from - {primary}) < 2:
            problems.append(
                f"it needs {primary} down as seen from two other regions (red on their probes); "
                f"it has {sorted(down_from) or 'none'}"
            )
        composites = [
            a
            for region, a, state in conditions
            if state == "green"
            and a is not None
            and a.resource_type == COMPOSITE
            and region == standby
        ]
        if not composites:
            problems.append(f"no interlock (a green composite alarm in {standby})")
        for composite in composites:
            problems += _interlock_problems(composite, alarms, pair)
        if pair.get("standbyServes"):
            witnessed = [
                region
                for region, a, state in conditions
                if state == "green"
                and a is not None
                and _is_probe(a, standby)
                and region not in (primary, standby)
            ]
            if not witnessed:
                problems.append(
                    f"{standby} serves traffic of its own: the trigger must need a third region "
                    f"to see {standby} up, or the two plans of the pair could both fire"
                )
    return problems


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    index = StackIndex(args.resources)
    alarms = _Alarms(index)
    for pair in config.get("pairs") or []:
        name = f"{pair['primary']} -> {pair['standby']}"
        plan = _plan_of(index, pair["primary"], pair["standby"])
        if plan is UNKNOWN:
            continue
        if plan is None:
            report_violation(f"DR pair {name} has no ARC Region switch plan.", None)
            continue
        problems = []
        rto = prop(plan.props, "recoveryTimeObjectiveMinutes")
        if isinstance(rto, int | float) and rto != math.ceil(float(pair["rtoMinutes"])):
            problems.append(f"its RTO is {rto:g} min, the pair's is {pair['rtoMinutes']:g}")
        problems += _workflow_problems(plan, pair)
        problems += _trigger_problems(index, plan, alarms, pair)
        for problem in problems:
            report_violation(f"The Region switch plan of {name}: {problem}.", plan.urn)


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "Every DR pair fails over by itself only when its primary is gone: an ARC Region switch "
        "plan per pair, triggered from outside the primary, behind every interlock [erlmcp]"
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=validate,
    config_schema=PolicyConfigSchema(
        properties={
            "pairs": {
                "type": "array",
                "description": "Each DR pair: primary, standby, rtoMinutes, rpoMinutes, "
                "database, armed, standbyServes",
                "items": {"type": "object"},
                "default": [],
            }
        }
    ),
)
