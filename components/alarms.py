"""A region's CloudWatch alarms and EventBridge rules, each publishing to one of that region's
SNS topics.

Reusable: it knows nothing of erlmcp's regions. The caller gives the region, the prefix every
name starts with, the topics by route (`page`, `ticket`, ...), and what to watch:

* `Alarm` with a `Metric` source: one metric, one statistic (`aws.cloudwatch.MetricAlarm`'s own
  `namespace`/`metric_name`/`dimensions`);
* `Alarm` with an `InsightsQuery` source: a CloudWatch Metrics Insights query. Alarms accept a
  query as their single metric query when it returns one time series (CloudWatch user guide,
  "Create a CloudWatch alarm based on a Metrics Insights query"; the query is the query's
  `expression` and carries its own `period`, as AWS's CloudFormation example shows). A query
  without `SCHEMA(...)` matches a metric under any set of dimensions that contains the `WHERE`
  labels ("Metrics Insights query components and syntax": `FROM "AWS/EC2"` matches all
  CPUUtilization metrics "no matter their dimensions"), which is what makes it the tool for a
  metric whose dimension set the documentation leaves unclear. `WHERE` matches whole values
  only (`=`, `!=`, `AND`: awsdocs/amazon-cloudwatch-user-guide
  doc_source/cloudwatch-metrics-insights-querylanguage.md). At most 200 such alarms per region
  (the same guide, "Metrics Insights quotas");
* `Alarm` with a `MaxOf` source: the largest of several series of one metric (metric math
  `MAX([m0, m1, ...])`, at most 10 metrics an alarm), for a metric published per node;
* `EventRule`: an EventBridge rule whose matching events go to a topic as they are.

Every alarm notifies its topic on ALARM and on OK (a pager resolves the incident it opened). The
topics' policy must admit the publishers (components/paging.py admits alarms named with the
prefix, and the region's EventBridge rules). Names: `<prefix><what>`; logical names
`<component>-<what>`, so an alarm keeps its URN whatever the others do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

# terraform-provider-aws internal/service/cloudwatch/metric_alarm.go: alarm_name 1-255,
# alarm_description 0-1024, expression 1-1024 characters.
MAX_ALARM_NAME = 255
MAX_DESCRIPTION = 1024
MAX_EXPRESSION = 1024
# CloudWatch: an alarm's metric math may use at most 10 metrics (user guide, "Alarm data
# queries": "A math expression used for an alarm can include as many as 10 metrics").
MAX_MATH_METRICS = 10
# internal/service/events/rule.go: name 1-64 of [.\-_A-Za-z0-9], description 0-512.
MAX_RULE_DESCRIPTION = 512
_RULE_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
_WHAT = re.compile(r"^[a-z0-9][a-z0-9-]*$")
COMPARISONS = (
    "GreaterThanThreshold",
    "GreaterThanOrEqualToThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)
MISSING_DATA = ("breaching", "notBreaching", "ignore", "missing")
# PutMetricAlarm, Period: "Period multiplied by EvaluationPeriods can't be more than 604,800
# seconds. For alarms with a period of less than one hour (3,600 seconds), the total evaluation
# period can't be longer than one day (86,400 seconds)." Metrics Insights alarms evaluate "the
# most recent three hours of data" (CloudWatch user guide, "Metrics Insights quotas").
MAX_EVALUATION_SECONDS = 604_800
MAX_SHORT_PERIOD_EVALUATION_SECONDS = 86_400
MAX_INSIGHTS_EVALUATION_SECONDS = 3 * 3_600


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: Mapping[str, pulumi.Input[str]]
    stat: str
    """Maximum, Minimum, Sum, Average or SampleCount."""


@dataclass(frozen=True)
class InsightsQuery:
    sql: pulumi.Input[str]
    """A query returning one time series (no GROUP BY)."""


@dataclass(frozen=True)
class MaxOf:
    """The largest of one metric's series, one per dimension set."""

    namespace: str
    name: str
    stat: str
    dimension_sets: pulumi.Input[Sequence[Mapping[str, str]]]


@dataclass(frozen=True)
class Alarm:
    what: str
    """What is watched: the end of the alarm's name and of its logical name."""
    description: str
    route: str
    """The topic it publishes to (a key of `AlarmSetArgs.topic_arns`)."""
    source: Metric | InsightsQuery | MaxOf
    comparison: str
    threshold: float
    period_seconds: int = 60
    evaluation_periods: int = 5
    datapoints_to_alarm: int | None = None
    """None: every evaluated period must breach."""
    treat_missing_data: str = "missing"
    depends_on: Sequence[pulumi.Resource] = ()


@dataclass(frozen=True)
class EventRule:
    what: str
    description: str
    route: str
    pattern: Mapping[str, Any]


@dataclass(frozen=True)
class AlarmSetArgs:
    region: str
    name_prefix: str
    """Every alarm and rule name starts with it (`erlmcp-prod-eu-west-1-`)."""
    topic_arns: Mapping[str, pulumi.Input[str]]
    """Route -> an SNS topic of `region`."""
    alarms: Sequence[Alarm] = ()
    event_rules: Sequence[EventRule] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _validate(self)


class AlarmSet(pulumi.ComponentResource):
    """Alarms and rules of one region; `alarm_names` and `rule_names` by `what`."""

    alarm_names: dict[str, str]
    rule_names: dict[str, str]

    def __init__(
        self, name: str, args: AlarmSetArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp:components:AlarmSet", name, None, opts)
        self._name = name
        self._args = args
        self.alarm_names = {}
        self.rule_names = {}
        for alarm in args.alarms:
            self._alarm(alarm)
        for rule in args.event_rules:
            self._rule(rule)
        self.register_outputs({"alarm_names": self.alarm_names, "rule_names": self.rule_names})

    def _alarm(self, alarm: Alarm) -> aws.cloudwatch.MetricAlarm:
        args = self._args
        name = f"{args.name_prefix}{alarm.what}"
        topic = args.topic_arns[alarm.route]
        resource = aws.cloudwatch.MetricAlarm(
            f"{self._name}-{alarm.what}",
            region=args.region,
            name=name,
            alarm_description=alarm.description,
            actions_enabled=True,
            alarm_actions=[topic],
            ok_actions=[topic],
            comparison_operator=alarm.comparison,
            threshold=alarm.threshold,
            evaluation_periods=alarm.evaluation_periods,
            datapoints_to_alarm=alarm.datapoints_to_alarm or alarm.evaluation_periods,
            treat_missing_data=alarm.treat_missing_data,
            tags={**args.tags, "route": alarm.route},
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(alarm.depends_on)),
            **source_args(alarm),
        )
        self.alarm_names[alarm.what] = name
        return resource

    def _rule(self, rule: EventRule) -> None:
        args = self._args
        name = f"{args.name_prefix}{rule.what}"
        event_rule = aws.cloudwatch.EventRule(
            f"{self._name}-{rule.what}",
            region=args.region,
            name=name,
            description=rule.description,
            event_pattern=json.dumps(rule.pattern, sort_keys=True),
            state="ENABLED",
            tags={**args.tags, "route": rule.route},
            opts=pulumi.ResourceOptions(parent=self),
        )
        # SNS needs no role: the topic's resource policy admits this region's rules.
        aws.cloudwatch.EventTarget(
            f"{self._name}-{rule.what}-target",
            region=args.region,
            rule=event_rule.name,
            target_id=rule.route,
            arn=args.topic_arns[rule.route],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.rule_names[rule.what] = name


def source_args(alarm: Alarm) -> dict[str, Any]:
    source = alarm.source
    if isinstance(source, Metric):
        return {
            "namespace": source.namespace,
            "metric_name": source.name,
            "dimensions": dict(source.dimensions),
            "statistic": source.stat,
            "period": alarm.period_seconds,
        }
    if isinstance(source, InsightsQuery):
        return {
            "metric_queries": [
                {
                    "id": "q",
                    "expression": source.sql,
                    "period": alarm.period_seconds,
                    "return_data": True,
                }
            ]
        }
    return {
        "metric_queries": pulumi.Output.from_input(source.dimension_sets).apply(
            lambda sets: max_of_queries(source, list(sets), alarm.period_seconds)
        )
    }


def max_of_queries(
    source: MaxOf, dimension_sets: Sequence[Mapping[str, str]], period_seconds: int
) -> list[dict[str, Any]]:
    """`m0..mN` (not returned) and `MAX([m0, ...])`, the series the alarm judges."""
    if not 1 <= len(dimension_sets) <= MAX_MATH_METRICS:
        raise ValueError(
            f"{source.name}: {len(dimension_sets)} series; an alarm takes 1 to "
            f"{MAX_MATH_METRICS} metrics"
        )
    ids = [f"m{index}" for index in range(len(dimension_sets))]
    metrics = [
        {
            "id": metric_id,
            "return_data": False,
            "metric": {
                "namespace": source.namespace,
                "metric_name": source.name,
                "dimensions": dict(dimensions),
                "stat": source.stat,
                "period": period_seconds,
            },
        }
        for metric_id, dimensions in zip(ids, dimension_sets, strict=True)
    ]
    expression = {"id": "e", "expression": f"MAX([{', '.join(ids)}])", "return_data": True}
    return [*metrics, expression]


def _validate(args: AlarmSetArgs) -> None:
    if not args.region:
        raise ValueError("region must be given")
    whats = [a.what for a in args.alarms] + [r.what for r in args.event_rules]
    repeated = sorted({w for w in whats if whats.count(w) > 1})
    if repeated:
        raise ValueError(f"names repeated: {repeated}; each alarm and rule needs its own")
    for item in (*args.alarms, *args.event_rules):
        if not _WHAT.match(item.what):
            raise ValueError(f"{item.what!r}: lowercase letters, digits and '-' only")
        if item.route not in args.topic_arns:
            raise ValueError(
                f"{item.what}: route {item.route!r} has no topic (have {sorted(args.topic_arns)})"
            )
        if len(item.description) > MAX_DESCRIPTION:
            raise ValueError(f"{item.what}: description longer than {MAX_DESCRIPTION}")
    for alarm in args.alarms:
        validate_alarm(args.name_prefix, alarm)
    for rule in args.event_rules:
        if len(rule.description) > MAX_RULE_DESCRIPTION:
            raise ValueError(f"{rule.what}: description longer than {MAX_RULE_DESCRIPTION}")
        if not _RULE_NAME.match(f"{args.name_prefix}{rule.what}"):
            raise ValueError(
                f"rule {args.name_prefix}{rule.what}: EventBridge allows 1-64 of [.-_A-Za-z0-9]"
            )


def _evaluation_limit(alarm: Alarm) -> int:
    if isinstance(alarm.source, InsightsQuery):
        return MAX_INSIGHTS_EVALUATION_SECONDS
    if alarm.period_seconds < 3_600:
        return MAX_SHORT_PERIOD_EVALUATION_SECONDS
    return MAX_EVALUATION_SECONDS


def validate_alarm(prefix: str, alarm: Alarm) -> None:
    name = f"{prefix}{alarm.what}"
    if len(name) > MAX_ALARM_NAME:
        raise ValueError(f"alarm name {name!r} is longer than {MAX_ALARM_NAME} characters")
    if alarm.comparison not in COMPARISONS:
        raise ValueError(f"{alarm.what}: comparison {alarm.comparison!r} not in {COMPARISONS}")
    if alarm.treat_missing_data not in MISSING_DATA:
        raise ValueError(f"{alarm.what}: treat_missing_data not in {MISSING_DATA}")
    if alarm.evaluation_periods < 1:
        raise ValueError(f"{alarm.what}: evaluation_periods must be at least 1")
    if alarm.period_seconds not in (10, 20, 30) and alarm.period_seconds % 60:
        raise ValueError(f"{alarm.what}: period must be 10, 20, 30 or a multiple of 60 seconds")
    if alarm.evaluation_periods * alarm.period_seconds > _evaluation_limit(alarm):
        raise ValueError(
            f"{alarm.what}: periods x period over {_evaluation_limit(alarm)} s (PutMetricAlarm)"
        )
    wanted = alarm.datapoints_to_alarm
    if wanted is not None and not 1 <= wanted <= alarm.evaluation_periods:
        raise ValueError(f"{alarm.what}: datapoints_to_alarm must be 1..evaluation_periods")
    sql = alarm.source.sql if isinstance(alarm.source, InsightsQuery) else None
    if isinstance(sql, str) and not 1 <= len(sql) <= MAX_EXPRESSION:
        raise ValueError(f"{alarm.what}: a query is 1 to {MAX_EXPRESSION} characters")


# -- Network Load Balancers ----------------------------------------------------------------------

# A Network Load Balancer's DNS name is `<name>-<id>.elb.<region>.amazonaws.com`, its ARN ends in
# `loadbalancer/net/<name>/<id>`, and the `LoadBalancer` dimension of AWS/NetworkELB is that
# final portion, `net/<name>/<id>` (Network Load Balancers guide, "CloudWatch metrics for your
# Network Load Balancer", dimensions table). AWS does not document the DNS name's form as a
# contract; the same <name> and <id> appear in both in AWS's own CLI example
# (aws/aws-cli awscli/examples/elbv2/create-load-balancer.rst: DNSName
# "my-network-load-balancer-5d1b75f4f1cee11e.elb.us-west-2.amazonaws.com", LoadBalancerArn
# ".../net/my-network-load-balancer/5d1b75f4f1cee11e") and in real ones. Names are 1-32
# characters of letters, digits and '-' (CreateLoadBalancer).
_NLB_HOSTNAME = re.compile(
    r"^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?)-(?P<id>[0-9a-f]{16})"
    r"\.elb\.(?P<region>[a-z0-9-]+)\.amazonaws\.com$"
)


def nlb_dimension(hostname: str, region: str) -> str | None:
    """`net/<name>/<id>` of the NLB behind `hostname` in `region`, or None for a hostname that
    does not have the NLB form."""
    found = _NLB_HOSTNAME.match(hostname or "")
    if found is None or found.group("region") != region:
        return None
    return f"net/{found.group('name')}/{found.group('id')}"


def unhealthy_targets_query(hostname: str, region: str) -> str:
    """A Metrics Insights query of the unhealthy targets behind the NLB of `hostname`.

    UnHealthyHostCount is published per target group (dimensions LoadBalancer, TargetGroup, and
    with AvailabilityZone), whose ids a controller-made NLB does not tell Pulumi: the query
    takes every target group of the load balancer. MIN over the load balancer's nodes, as the
    Network Load Balancers guide advises ("monitor ... the minimum of UnHealthyHostCount":
    each node reports its own view). A hostname without the NLB form (which would mean AWS
    changed it) widens the query to every NLB of the region with MAX, and says so: an alarm
    that watches too much beats one that watches nothing."""
    dimension = nlb_dimension(hostname, region)
    schema = 'SCHEMA("AWS/NetworkELB", LoadBalancer, TargetGroup)'
    if dimension is None:
        pulumi.log.warn(
            f"{hostname!r} is not a Network Load Balancer DNS name of {region}: the "
            "unhealthy-targets alarm watches every NLB of the region"
        )
        return f"SELECT MAX(UnHealthyHostCount) FROM {schema}"
    return f"SELECT MIN(UnHealthyHostCount) FROM {schema} WHERE LoadBalancer = '{dimension}'"
