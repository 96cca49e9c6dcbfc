"""slo-alerts-page-in-every-serving-region: every region that serves traffic has SLO burn-rate
alerts that page, and an alert manager in the region that routes a page to an SNS topic.

A serving region is one that a latency DNS record sends its users to, with pods behind the
record's primary target (workloads.py `target_of`; a warm standby's pods wait behind a failover
record and get their rules when its pair fails over). Its
Prometheus rule groups (`aws.amp.RuleGroupNamespace`, region-local) must hold an alert labelled
`severity: page` on the SLO recording rules (sloth's `slo:sli_error:ratio_rate<window>`), and its
alert manager (`aws.amp.AlertManagerDefinition`, one per workspace) must route `severity="page"`
to a receiver with an SNS topic. A region that serves without them burns its error budget
unseen. Unknown values are never violations.
"""

from __future__ import annotations

from typing import Any

import yaml
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from erlmcp_policies.stack.graph import UNKNOWN, StackIndex, prop
from erlmcp_policies.stack.workloads import latency_records, target_of

NAME = "slo-alerts-page-in-every-serving-region"
RULE_GROUPS = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
ALERT_MANAGER = "aws:amp/alertManagerDefinition:AlertManagerDefinition"
SLI_RECORDING = "slo:sli_error:ratio_rate"
# libyaml's loader when PyYAML has it: a rules file is ~30 KB and the pack reads one per region.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(text: Any) -> Any:
    if not isinstance(text, str):
        return UNKNOWN
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError:
        return None


def _pages_on_burn_rate(data: Any) -> Any:
    document = _yaml(data)
    if document is UNKNOWN:
        return UNKNOWN
    rules = [
        rule for group in (document or {}).get("groups") or [] for rule in group.get("rules") or []
    ]
    return any(
        "alert" in rule
        and (rule.get("labels") or {}).get("severity") == "page"
        and SLI_RECORDING in str(rule.get("expr", ""))
        for rule in rules
    )


def _routes_pages_to_sns(definition: Any) -> Any:
    wrapper = _yaml(definition)
    if wrapper is UNKNOWN:
        return UNKNOWN
    config = _yaml((wrapper or {}).get("alertmanager_config"))
    if not isinstance(config, dict):
        return False
    receivers = {r.get("name"): r for r in config.get("receivers") or []}
    route = config.get("route") or {}
    page_receivers = [
        child.get("receiver")
        for child in route.get("routes") or []
        if 'severity="page"' in [str(m).replace(" ", "") for m in child.get("matchers") or []]
        or (child.get("match") or {}).get("severity") == "page"
    ]
    return any(
        (sns.get("topic_arn") for sns in (receivers.get(name) or {}).get("sns_configs") or [])
        for name in page_receivers
    )


def _verdict(verdicts: list[Any]) -> Any:
    if True in verdicts:
        return True
    return UNKNOWN if UNKNOWN in verdicts else False


def _serving(index: StackIndex) -> dict[str, Any]:
    """Region -> the Service its latency record sends users to, where pods answer."""
    serving = {}
    for record in latency_records(index):
        target = target_of(index, record)
        if isinstance(target.region, str) and isinstance(target.pods, int) and target.pods > 0:
            serving.setdefault(target.region, target.service or record.resource)
    return serving


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    index = StackIndex(args.resources)
    for region, service in sorted(_serving(index).items()):
        alerts = _verdict(
            [
                _pages_on_burn_rate(prop(g.props, "data"))
                for g in index.in_region(RULE_GROUPS, region)
            ]
        )
        if alerts is False:
            report_violation(
                f"Region {region} serves traffic but no Prometheus rule group of the region pages "
                f"on an SLO burn rate (an alert with severity page on {SLI_RECORDING}*).",
                service.urn,
            )
        route = _verdict(
            [
                _routes_pages_to_sns(prop(m.props, "definition"))
                for m in index.in_region(ALERT_MANAGER, region)
            ]
        )
        if route is False:
            report_violation(
                f'Region {region} serves traffic but its alert manager routes no severity="page" '
                "alert to an SNS topic: a page would reach nobody.",
                service.urn,
            )


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "Every serving region pages on its SLO burn rate through its own alert manager "
        "[SRE Workbook multi-window burn rates; erlmcp]"
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=validate,
)
