"""The "Alerts" section of `build/plan.md`: per region, what pages or opens a ticket, at what
threshold, and to whom (the pager endpoints by name; their URLs are secrets and never shown).

Read from the plan's resources alone:
- CloudWatch alarms (`aws.cloudwatch.MetricAlarm`): the metric (or the query) and threshold, and
  the topics of their alarm actions;
- EventBridge rules whose targets are topics (`aws.cloudwatch.EventRule` + `EventTarget`);
- Prometheus alerting rules (`aws.amp.RuleGroupNamespace` `data`), routed by their `severity`
  label through the region's alert manager;
- the topics' subscriptions, which name the endpoints (`<region>-paging-<severity>-<name>`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from planning.reading import number, resources_in

# libyaml's loader: a region's rules file is ~30 KB, ten times faster to read than in Python.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
RULE_GROUPS = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
COMPARISONS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def _severity(topic: dict[str, Any]) -> str:
    return str(topic["inputs"].get("name", "")).rsplit("-", 1)[-1]


def _recipients(plan: dict[str, Any], topic: dict[str, Any]) -> str:
    """The endpoints a topic delivers to, by name (`<component>-<severity>-<endpoint>`)."""
    names = sorted(
        s["name"].rsplit("-", 1)[-1]
        for s in resources_in(plan, SUBSCRIPTION, topic["region"])
        if topic["urn"] in s["dependencies"]
    )
    return ", ".join(names) if names else "**nobody** (no pagerEndpoints)"


def _named_topics(plan: dict[str, Any], resource: dict[str, Any], region: str) -> list[dict]:
    """The region's topics a resource depends on (its actions or target)."""
    topics = resources_in(plan, TOPIC, region)
    return [t for t in topics if t["urn"] in resource["dependencies"]]


def _alarm_rows(plan: dict[str, Any], region: str) -> Iterable[list[str]]:
    for alarm in resources_in(plan, ALARM, region):
        inputs = alarm["inputs"]
        metric = inputs.get("metricName") or "metric query"
        comparison = COMPARISONS.get(inputs.get("comparisonOperator", ""), "?")
        threshold = f"{metric} {comparison} {number(inputs.get('threshold'))}"
        for topic in _named_topics(plan, alarm, region) or [None]:
            yield [
                f"alarm `{inputs.get('name', alarm['name'])}`",
                _severity(topic) if topic else "**none**",
                threshold,
                _recipients(plan, topic) if topic else "**nobody**",
            ]


def _event_rows(plan: dict[str, Any], region: str) -> Iterable[list[str]]:
    rules = {r["urn"]: r for r in resources_in(plan, EVENT_RULE, region)}
    for target in resources_in(plan, EVENT_TARGET, region):
        rule = next((rules[d] for d in target["dependencies"] if d in rules), None)
        for topic in _named_topics(plan, target, region):
            yield [
                f"event rule `{rule['inputs'].get('name', rule['name']) if rule else '?'}`",
                _severity(topic),
                "on every matching event",
                _recipients(plan, topic),
            ]


def _prometheus_rows(plan: dict[str, Any], region: str) -> Iterable[list[str]]:
    topics = {_severity(t): t for t in resources_in(plan, TOPIC, region)}
    for namespace in resources_in(plan, RULE_GROUPS, region):
        data = namespace["inputs"].get("data")
        document = yaml.load(data, Loader=_LOADER) if isinstance(data, str) else None
        for group in (document or {}).get("groups", []):
            for rule in group.get("rules", []):
                if "alert" not in rule:
                    continue
                severity = str(rule.get("labels", {}).get("severity", "none"))
                topic = topics.get(severity)
                wait = f" for {rule['for']}" if rule.get("for") else ""
                yield [
                    f"Prometheus `{rule['alert']}`",
                    severity,
                    f"`{_short(rule.get('expr', ''))}`{wait}",
                    _recipients(plan, topic) if topic else "**nobody**",
                ]


def _short(expr: Any, limit: int = 90) -> str:
    text = " ".join(str(expr).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def alert_rows(plan: dict[str, Any], region: str) -> list[list[str]]:
    rows = [*_alarm_rows(plan, region), *_event_rows(plan, region)]
    rows += _prometheus_rows(plan, region)
    # Pages first: they are what wakes someone up.
    return sorted(rows, key=lambda row: (row[1] != "page", row[0]))


def alerts_section(plan: dict[str, Any], regions: Iterable[str]) -> list[str]:
    out = ["## Alerts", ""]
    for region in regions:
        rows = alert_rows(plan, region)
        out += [f"### {region}", ""]
        if not rows:
            out += ["No alert watches this region.", ""]
            continue
        out += ["| what | severity | threshold | to whom |", "|---|---|---|---|"]
        out += ["| " + " | ".join(row) + " |" for row in rows]
        out.append("")
    return out
