"""alerts-publish-to-own-region-encrypted-topic: every alarm, alert-sending rule and alert
manager publishes to an SNS topic of this stack, in its own region, encrypted with a KMS key.

A publisher is a CloudWatch alarm (its alarm, OK and insufficient-data actions), an EventBridge
target that sends to SNS, or an Amazon Managed Prometheus alert manager (the `topic_arn` of its
SNS receivers). A topic in another region would carry the alert across a region, so the loss of
that region would silence this one; a topic outside the stack cannot be shown to be encrypted or
to page anyone. An alarm with no action notifies nobody. Unknown values are never violations.

Except a signal: an alarm with actions disabled that a machine reads, namely one an ARC Region
switch plan associates as a trigger alarm or one a composite alarm's rule names (the automatic
failover's probes and interlocks, regions/auto_failover.py). Its reader is the plan, not a pager.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from erlmcp_policies.stack.graph import UNKNOWN, StackIndex, list_at, prop

NAME = "alerts-publish-to-own-region-encrypted-topic"
TOPIC = "aws:sns/topic:Topic"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
ALERT_MANAGER = "aws:amp/alertManagerDefinition:AlertManagerDefinition"
ALARM_ACTIONS = ("alarmActions", "okActions", "insufficientDataActions")
_SNS_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+")


def _topics_named(
    by_arn: dict[Any, PolicyResource],
    publisher: PolicyResource,
    keys: Iterable[str],
    arns: list[Any],
) -> tuple[list[PolicyResource], list[str], bool]:
    """(the stack's topics the publisher names, SNS ARNs it names that are not the stack's,
    whether anything is still unknown); `by_arn`: the stack's topics by ARN."""
    found = {
        d.urn: d
        for key in keys
        for d in publisher.property_dependencies.get(key, [])
        if d.resource_type == TOPIC
    }
    strangers, unknown = [], False
    for arn in arns:
        if arn is UNKNOWN:
            unknown = True
        elif isinstance(arn, str) and _SNS_ARN.fullmatch(arn):
            if arn in by_arn:
                found[by_arn[arn].urn] = by_arn[arn]
            elif not found:
                strangers.append(arn)
    return list(found.values()), strangers, unknown


PLAN = "aws:arcregionswitch/plan:Plan"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"


def _signals(index: StackIndex) -> tuple[set[Any], str]:
    """The ARNs plans read as trigger alarms, and every composite alarm rule (to find names)."""
    arns = {
        prop(alarm, "resourceIdentifier")
        for plan in index.of_type(PLAN)
        for alarm in list_at(plan.props, "associatedAlarms")
    }
    rules = " ".join(str(prop(c.props, "alarmRule")) for c in index.of_type(COMPOSITE))
    return arns, rules


def _is_signal(alarm: PolicyResource, arns: set[Any], rules: str) -> bool:
    if prop(alarm.props, "actionsEnabled") is not False:
        return False
    return prop(alarm.props, "arn") in arns or f'"{prop(alarm.props, "name")}"' in rules


def _publishers(index: StackIndex) -> Iterable[tuple[PolicyResource, str, list[Any], tuple]]:
    """(publisher, what it is, the ARNs it sends to, the input keys that hold them)."""
    arns, rules = _signals(index)
    for alarm in index.of_type(ALARM):
        if _is_signal(alarm, arns, rules):
            continue
        arns = [a for key in ALARM_ACTIONS for a in list_at(alarm.props, key)]
        yield alarm, f"alarm {prop(alarm.props, 'name')!r}", arns, ALARM_ACTIONS
    for target in index.of_type(EVENT_TARGET):
        arn = prop(target.props, "arn")
        sends_to_sns = any(
            d.resource_type == TOPIC for d in target.property_dependencies.get("arn", [])
        )
        if sends_to_sns or (isinstance(arn, str) and _SNS_ARN.fullmatch(arn)):
            yield target, "EventBridge target", [arn], ("arn",)
    for manager in index.of_type(ALERT_MANAGER):
        definition = prop(manager.props, "definition")
        arns = _SNS_ARN.findall(definition) if isinstance(definition, str) else [UNKNOWN]
        yield manager, "Prometheus alert manager", arns, ("definition",)


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    index = StackIndex(args.resources)
    by_arn = {prop(t.props, "arn"): t for t in index.of_type(TOPIC)}
    for publisher, what, arns, keys in _publishers(index):
        topics, strangers, unknown = _topics_named(by_arn, publisher, keys, arns)
        region = index.region_of(publisher)
        for arn in strangers:
            report_violation(
                f"The {what} publishes to {arn}, a topic outside this stack.", publisher.urn
            )
        if not topics and not strangers and not unknown:
            report_violation(
                f"The {what} publishes to no SNS topic: it notifies nobody.", publisher.urn
            )
        for topic in topics:
            topic_region, key = index.region_of(topic), prop(topic.props, "kmsMasterKeyId")
            name = prop(topic.props, "name")
            if isinstance(region, str) and isinstance(topic_region, str) and topic_region != region:
                report_violation(
                    f"The {what} in {region} publishes to topic {name!r} in {topic_region}: "
                    "an alert must not depend on another region.",
                    publisher.urn,
                )
            if key is not UNKNOWN and not key:
                report_violation(
                    f"The {what} publishes to topic {name!r}, which no KMS key encrypts.",
                    publisher.urn,
                )


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "Alerts stay in their region and stay private: every alarm, alerting rule and alert "
        "manager publishes to an encrypted SNS topic of its own region [CKV_AWS_26; erlmcp]"
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=validate,
)
