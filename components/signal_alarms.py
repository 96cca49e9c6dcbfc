"""CloudWatch alarms that a machine reads (an ARC Region switch trigger), not people: metric
alarms and composite alarms of one region, with no notification actions.

Reusable: the caller gives the region, the prefix every name starts with, and the alarms
(`Signal`, the metric source and evaluation of components/alarms.py's `Alarm`, without a route)
and composite alarms (`Composite`, whose rule names the signals by their `what` in braces:
`ALARM({lag}) OR NOT OK({probe})`; they are replaced by the full names, quoted).

Composite alarm rules: `ALARM(...)`, `OK(...)`, `INSUFFICIENT_DATA(...)`, `AND`, `OR`, `NOT`,
`TRUE`, `FALSE`, at most 10240 characters, over alarms of the same region and account
(PutCompositeAlarm, AlarmRule: botocore cloudwatch service-2.json; terraform-provider-aws
internal/service/cloudwatch/composite_alarm.go: alarm_rule 1-10240, alarm_name 1-255).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.alarms import (
    MAX_ALARM_NAME,
    MAX_DESCRIPTION,
    Alarm,
    InsightsQuery,
    MaxOf,
    Metric,
    source_args,
    validate_alarm,
)

MAX_RULE = 10_240
# A route is required by Alarm; signals notify nobody.
_NO_ROUTE = "none"


@dataclass(frozen=True)
class Signal:
    what: str
    description: str
    source: Metric | InsightsQuery | MaxOf
    comparison: str
    threshold: float
    period_seconds: int = 60
    evaluation_periods: int = 1
    treat_missing_data: str = "missing"

    def as_alarm(self) -> Alarm:
        return Alarm(
            what=self.what,
            description=self.description,
            route=_NO_ROUTE,
            source=self.source,
            comparison=self.comparison,
            threshold=self.threshold,
            period_seconds=self.period_seconds,
            evaluation_periods=self.evaluation_periods,
            treat_missing_data=self.treat_missing_data,
        )


@dataclass(frozen=True)
class Composite:
    what: str
    description: str
    rule: str
    """Over this set's signals, each written `{what}`."""


@dataclass(frozen=True)
class SignalAlarmsArgs:
    region: str
    name_prefix: str
    signals: Sequence[Signal] = ()
    composites: Sequence[Composite] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        whats = [s.what for s in self.signals] + [c.what for c in self.composites]
        repeated = sorted({w for w in whats if whats.count(w) > 1})
        if repeated:
            raise ValueError(f"names repeated: {repeated}")
        for signal in self.signals:
            validate_alarm(self.name_prefix, signal.as_alarm())
        for composite in self.composites:
            name = f"{self.name_prefix}{composite.what}"
            if len(name) > MAX_ALARM_NAME or len(composite.description) > MAX_DESCRIPTION:
                raise ValueError(f"{name}: name or description too long")
            rule = expand_rule(composite.rule, self.full_names)
            if not 1 <= len(rule) <= MAX_RULE:
                raise ValueError(f"{name}: a rule is 1 to {MAX_RULE} characters")

    @property
    def full_names(self) -> dict[str, str]:
        return {s.what: f"{self.name_prefix}{s.what}" for s in self.signals}


def expand_rule(rule: str, names: Mapping[str, str]) -> str:
    """`{what}` -> `"<full name>"`; a name the set does not have is an error."""
    try:
        return rule.format_map({what: f'"{name}"' for what, name in names.items()})
    except KeyError as missing:
        raise ValueError(f"rule {rule!r} names {missing}, not a signal of this set") from None


class SignalAlarms(pulumi.ComponentResource):
    """Alarm names and ARNs by `what`."""

    names: dict[str, str]
    arns: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: SignalAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp:components:SignalAlarms", name, None, opts)
        self.names = {}
        self.arns = {}
        signals = []
        for signal in args.signals:
            alarm = signal.as_alarm()
            resource = aws.cloudwatch.MetricAlarm(
                f"{name}-{signal.what}",
                region=args.region,
                name=f"{args.name_prefix}{signal.what}",
                alarm_description=signal.description,
                # Read by a trigger, never sent anywhere: no actions to enable.
                actions_enabled=False,
                comparison_operator=signal.comparison,
                threshold=signal.threshold,
                evaluation_periods=signal.evaluation_periods,
                datapoints_to_alarm=signal.evaluation_periods,
                treat_missing_data=signal.treat_missing_data,
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
                **source_args(alarm),
            )
            signals.append(resource)
            self._keep(signal.what, f"{args.name_prefix}{signal.what}", resource.arn)
        for composite in args.composites:
            resource = aws.cloudwatch.CompositeAlarm(
                f"{name}-{composite.what}",
                region=args.region,
                alarm_name=f"{args.name_prefix}{composite.what}",
                alarm_description=composite.description,
                alarm_rule=expand_rule(composite.rule, args.full_names),
                actions_enabled=False,
                tags=dict(args.tags),
                # The alarms a rule names must exist first (PutCompositeAlarm refuses others).
                opts=pulumi.ResourceOptions(parent=self, depends_on=signals),
            )
            self._keep(composite.what, f"{args.name_prefix}{composite.what}", resource.arn)
        self.register_outputs({"names": self.names})

    def _keep(self, what: str, name: str, arn: pulumi.Output[str]) -> None:
        self.names[what] = name
        self.arns[what] = arn
