"""The AlarmSet component: alarms and EventBridge rules of one region, named with the caller's
prefix, each publishing to one of that region's topics; and how an NLB made by the AWS Load
Balancer Controller is found for its unhealthy-targets alarm."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from components.alarms import (
    Alarm,
    AlarmSet,
    AlarmSetArgs,
    EventRule,
    InsightsQuery,
    MaxOf,
    Metric,
    max_of_queries,
    nlb_dimension,
    unhealthy_targets_query,
)
from offline.mocks import ACCOUNT_ID
from offline.recorder import RecordedStack

REGION = "eu-west-1"
PREFIX = f"erlmcp-prod-{REGION}-"
TOPICS = {
    "page": f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:erlmcp-prod-{REGION}-page",
    "ticket": f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:erlmcp-prod-{REGION}-ticket",
}
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"

LAG = Alarm(
    what="replica-lag",
    description="lag",
    route="page",
    source=Metric("AWS/RDS", "ReplicaLag", {"DBInstanceIdentifier": "db-1"}, "Maximum"),
    comparison="GreaterThanThreshold",
    threshold=300,
    treat_missing_data="breaching",
)
QUERY = Alarm(
    what="rpo-lag",
    description="rpo",
    route="page",
    source=InsightsQuery('SELECT MAX(AuroraGlobalDBRPOLag) FROM "AWS/RDS"'),
    comparison="GreaterThanThreshold",
    threshold=60_000,
    evaluation_periods=3,
)
CACHE = Alarm(
    what="cache-lag",
    description="cache",
    route="ticket",
    source=MaxOf(
        "AWS/ElastiCache",
        "GlobalDatastoreReplicationLag",
        "Maximum",
        [{"CacheClusterId": "g-001", "CacheNodeId": "0001"}, {"CacheClusterId": "g-002"}],
    ),
    comparison="GreaterThanThreshold",
    threshold=60,
)
RULE_SPEC = EventRule(
    what="backup-jobs-failed",
    description="failed jobs",
    route="ticket",
    pattern={"source": ["aws.backup"], "detail": {"state": ["FAILED"]}},
)


def build(record: Callable[..., RecordedStack], **overrides: Any) -> RecordedStack:
    fields: dict[str, Any] = {
        "region": REGION,
        "name_prefix": PREFIX,
        "topic_arns": TOPICS,
        "alarms": [LAG, QUERY, CACHE],
        "event_rules": [RULE_SPEC],
        "tags": {"service": "erlmcp"},
    }
    fields.update(overrides)
    return record(lambda: AlarmSet(f"{REGION}-alarms", AlarmSetArgs(**fields)))


@pytest.fixture
def stack(record: Callable[..., RecordedStack]) -> RecordedStack:
    return build(record)


def alarm(stack: RecordedStack, what: str) -> dict[str, Any]:
    return stack.one(ALARM, f"{REGION}-alarms-{what}").plain_inputs


def test_every_alarm_is_named_with_the_prefix_in_the_region(stack):
    alarms = stack.of_type(ALARM)
    assert sorted(a.plain_inputs["name"] for a in alarms) == [
        f"{PREFIX}cache-lag",
        f"{PREFIX}replica-lag",
        f"{PREFIX}rpo-lag",
    ]
    assert {a.region for a in [*alarms, *stack.of_type(RULE), *stack.of_type(TARGET)]} == {REGION}


def test_an_alarm_notifies_its_routes_topic_on_alarm_and_on_ok(stack):
    lag, cache = alarm(stack, "replica-lag"), alarm(stack, "cache-lag")
    assert lag["alarmActions"] == lag["okActions"] == [TOPICS["page"]]
    assert cache["alarmActions"] == cache["okActions"] == [TOPICS["ticket"]]
    assert lag["actionsEnabled"] is True
    assert lag["tags"] == {"service": "erlmcp", "route": "page"}


def test_a_metric_alarm_states_its_metric_and_every_period_must_breach(stack):
    lag = alarm(stack, "replica-lag")
    assert (lag["namespace"], lag["metricName"], lag["statistic"]) == (
        "AWS/RDS",
        "ReplicaLag",
        "Maximum",
    )
    assert lag["dimensions"] == {"DBInstanceIdentifier": "db-1"}
    assert (lag["period"], lag["evaluationPeriods"], lag["datapointsToAlarm"]) == (60, 5, 5)
    assert (lag["comparisonOperator"], lag["threshold"]) == ("GreaterThanThreshold", 300)
    assert lag["treatMissingData"] == "breaching"
    assert "metricQueries" not in lag


def test_an_insights_alarm_is_its_single_query_with_its_own_period(stack):
    query = alarm(stack, "rpo-lag")
    assert query["metricQueries"] == [
        {
            "id": "q",
            "expression": QUERY.source.sql,
            "period": 60,
            "returnData": True,
        }
    ]
    assert "metricName" not in query and "period" not in query
    assert query["datapointsToAlarm"] == 3


def test_a_max_of_alarm_judges_the_largest_series(stack):
    queries = alarm(stack, "cache-lag")["metricQueries"]
    *metrics, expression = queries
    assert expression == {"id": "e", "expression": "MAX([m0, m1])", "returnData": True}
    assert [m["id"] for m in metrics] == ["m0", "m1"]
    assert all(m["returnData"] is False for m in metrics)
    assert metrics[0]["metric"] == {
        "namespace": "AWS/ElastiCache",
        "metricName": "GlobalDatastoreReplicationLag",
        "dimensions": {"CacheClusterId": "g-001", "CacheNodeId": "0001"},
        "stat": "Maximum",
        "period": 60,
    }


def test_an_event_rule_sends_matching_events_to_its_topic(stack):
    [rule] = stack.of_type(RULE)
    [target] = stack.of_type(TARGET)
    assert rule.plain_inputs["name"] == f"{PREFIX}backup-jobs-failed"
    assert json.loads(rule.plain_inputs["eventPattern"]) == RULE_SPEC.pattern
    assert rule.plain_inputs["state"] == "ENABLED"
    assert target.plain_inputs["rule"] == rule.outputs["name"]
    assert target.plain_inputs["arn"] == TOPICS["ticket"]
    assert "roleArn" not in target.plain_inputs  # SNS: the topic policy admits the rule


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"alarms": [replace(LAG, route="sms")]}, "route 'sms' has no topic"),
        ({"alarms": [LAG, replace(QUERY, what=LAG.what)]}, "repeated"),
        ({"alarms": [replace(LAG, what="Replica Lag")]}, "lowercase"),
        ({"alarms": [replace(LAG, what="x" * 250)]}, "longer than 255"),
        ({"alarms": [replace(LAG, comparison="Above")]}, "comparison"),
        ({"alarms": [replace(LAG, treat_missing_data="zero")]}, "treat_missing_data"),
        ({"alarms": [replace(LAG, period_seconds=90)]}, "period must be"),
        ({"alarms": [replace(LAG, period_seconds=86_400, evaluation_periods=8)]}, "604800"),
        ({"alarms": [replace(LAG, period_seconds=60, evaluation_periods=1441)]}, "86400"),
        ({"alarms": [replace(QUERY, period_seconds=60, evaluation_periods=181)]}, "10800"),
        ({"alarms": [replace(LAG, evaluation_periods=0)]}, "at least 1"),
        ({"alarms": [replace(LAG, datapoints_to_alarm=6)]}, "datapoints_to_alarm"),
        ({"alarms": [replace(QUERY, source=InsightsQuery("S" * 1025))]}, "1 to 1024"),
        ({"event_rules": [replace(RULE_SPEC, what="x" * 60)]}, "1-64"),
        ({"event_rules": [replace(RULE_SPEC, description="x" * 513)]}, "longer than 512"),
        ({"region": ""}, "region"),
    ],
)
def test_bad_alarms_are_refused(record, overrides, message):
    with pytest.raises(ValueError, match=message):
        build(record, **overrides)


def test_an_alarm_takes_at_most_ten_metrics():
    source = replace(CACHE.source, dimension_sets=[])
    many = [{"CacheClusterId": f"g-{i:03d}"} for i in range(11)]
    with pytest.raises(ValueError, match="1 to 10"):
        max_of_queries(source, many, 60)
    with pytest.raises(ValueError, match="1 to 10"):
        max_of_queries(source, [], 60)
    assert len(max_of_queries(source, many[:10], 60)) == 11


# -- the NLB a controller made ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hostname", "region", "dimension"),
    [
        # AWS's own example (aws/aws-cli awscli/examples/elbv2/create-load-balancer.rst).
        (
            "my-network-load-balancer-5d1b75f4f1cee11e.elb.us-west-2.amazonaws.com",
            "us-west-2",
            "net/my-network-load-balancer/5d1b75f4f1cee11e",
        ),
        # The AWS Load Balancer Controller's default name: k8s-<ns>-<svc>-<hash>.
        (
            "k8s-erlmcppr-erlmcp-0a1b2c3d4e-8a64fd762757025b.elb.eu-west-1.amazonaws.com",
            "eu-west-1",
            "net/k8s-erlmcppr-erlmcp-0a1b2c3d4e/8a64fd762757025b",
        ),
        ("k8s-a-b-1-8a64fd762757025b.elb.eu-west-1.amazonaws.com", "us-east-1", None),
        ("my-alb-1234567890.eu-west-1.elb.amazonaws.com", "eu-west-1", None),  # an ALB's form
        ("", "eu-west-1", None),
    ],
)
def test_the_load_balancer_dimension_comes_from_the_dns_name(hostname, region, dimension):
    assert nlb_dimension(hostname, region) == dimension


def test_the_unhealthy_targets_query_takes_every_target_group_of_that_nlb():
    query = unhealthy_targets_query(
        "my-network-load-balancer-5d1b75f4f1cee11e.elb.us-west-2.amazonaws.com", "us-west-2"
    )
    assert query == (
        'SELECT MIN(UnHealthyHostCount) FROM SCHEMA("AWS/NetworkELB", LoadBalancer, TargetGroup) '
        "WHERE LoadBalancer = 'net/my-network-load-balancer/5d1b75f4f1cee11e'"
    )


def test_an_unknown_hostname_widens_the_query_to_the_regions_nlbs():
    query = unhealthy_targets_query("example.com", "us-west-2")
    assert query == (
        'SELECT MAX(UnHealthyHostCount) FROM SCHEMA("AWS/NetworkELB", LoadBalancer, TargetGroup)'
    )
