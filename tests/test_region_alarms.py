"""erlmcp's alarms (regions/alarms.py): named so that the rollout driver finds them, each in the
region whose metric it reads, publishing to that region's own topics, with the DR lag
thresholds taken from each pair's RPO."""

from __future__ import annotations

import json
from fnmatch import fnmatch
from typing import Any

import pytest

from offline.recorder import RecordedResource, RecordedStack
from operations.health import HealthReader
from regions.alarms import (
    PAGE,
    TICKET,
    cache_lag_alarm,
    database_lag_alarm,
    replicating,
)
from regions.config import parse_stack_config
from regions.lineage import lineage

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
TOPIC = "aws:sns/topic:Topic"
REGIONS = (
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
)


def alerting(stack: RecordedStack, type_: str) -> list[RecordedResource]:
    """The alarms, rules and targets of regions/alarms.py (AlarmSet components): not the
    automatic failover's signals and probe schedules (regions/region_switch.py), which page
    nobody and have their own tests."""
    return [r for r in stack.of_type(type_) if "$erlmcp:components:AlarmSet$" in r.urn]


def alarms_of(stack: RecordedStack, region: str) -> dict[str, dict[str, Any]]:
    """The region's alarms by name."""
    return {
        a.plain_inputs["name"]: a.plain_inputs for a in alerting(stack, ALARM) if a.region == region
    }


def topic_arns(stack: RecordedStack, region: str) -> dict[str, str]:
    """severity -> the region's topic ARN."""
    return {
        t.plain_inputs["name"].rsplit("-", 1)[-1]: t.outputs["arn"]
        for t in stack.of_type(TOPIC)
        if t.region == region
    }


def only(stack: RecordedStack, region: str, name: str) -> dict[str, Any]:
    return alarms_of(stack, region)[f"erlmcp-prod-{region}-{name}"]


def query(alarm: dict[str, Any]) -> str:
    [q] = alarm["metricQueries"]
    return q["expression"]


# -- what the rollout driver and the topics need ----------------------------------------------


def test_every_alarm_and_rule_carries_the_prefix_the_driver_reads_in_its_region(prod_stack):
    alarms, rules = alerting(prod_stack, ALARM), alerting(prod_stack, RULE)
    assert {a.region for a in alarms} == set(REGIONS)
    for resource in (*alarms, *rules):
        prefix = HealthReader("prod").alarm_prefix(resource.region)
        assert resource.plain_inputs["name"].startswith(f"{prefix}-"), resource.name


def test_every_alarm_publishes_to_its_own_regions_topics_only(prod_stack):
    for alarm in alerting(prod_stack, ALARM):
        topics = topic_arns(prod_stack, alarm.region)
        actions = alarm.plain_inputs["alarmActions"]
        assert actions == alarm.plain_inputs["okActions"]
        assert len(actions) == 1 and actions[0] in topics.values(), alarm.name
        assert alarm.plain_inputs["tags"]["route"] == next(
            route for route, arn in topics.items() if arn == actions[0]
        )


def test_every_rule_targets_its_own_regions_ticket_topic(prod_stack):
    targets = {t.plain_inputs["rule"]: t for t in alerting(prod_stack, TARGET)}
    for rule in alerting(prod_stack, RULE):
        target = targets[rule.outputs["name"]]
        assert target.region == rule.region
        assert target.plain_inputs["arn"] == topic_arns(prod_stack, rule.region)["ticket"]


def test_each_topic_policy_admits_its_regions_alarms(prod_stack):
    """The topic policy (components/paging.py) admits alarms by ARN pattern: every alarm's
    ARN matches the pattern of the topic it publishes to."""
    policies = {
        p.plain_inputs["arn"]: json.loads(p.plain_inputs["policy"])
        for p in prod_stack.of_type("aws:sns/topicPolicy:TopicPolicy")
    }
    for alarm in alerting(prod_stack, ALARM):
        [topic] = alarm.plain_inputs["alarmActions"]
        statement = next(
            s
            for s in policies[topic]["Statement"]
            if s.get("Sid") == "CloudWatchAlarmsOfThisRegion"
        )
        assert fnmatch(alarm.outputs["arn"], statement["Condition"]["ArnLike"]["aws:SourceArn"])


# -- disaster recovery: lag past the pair's RPO pages in the copy's region ----------------------


@pytest.mark.parametrize(
    ("primary", "standby", "expression", "threshold"),
    [
        # Aurora Global Database: AuroraGlobalDBRPOLag is in milliseconds.
        ("us-east-1", "us-west-2", "erlmcp-prod-us-east-1-secondary", 1 * 60_000),
        ("eu-west-1", "eu-central-1", "erlmcp-prod-eu-west-1-secondary", 5 * 60_000),
        # RDS read replicas: ReplicaLag is in seconds.
        ("ap-southeast-1", "ap-northeast-1", None, 5 * 60),
        ("ap-northeast-1", "ap-southeast-1", None, 5 * 60),
    ],
)
def test_each_standby_copy_pages_in_its_region_past_its_pairs_rpo(
    prod_stack, primary, standby, expression, threshold
):
    alarm = only(prod_stack, standby, f"database-lag-of-{primary}")
    assert alarm["threshold"] == threshold
    assert alarm["comparisonOperator"] == "GreaterThanThreshold"
    assert alarm["treatMissingData"] == "breaching"
    assert alarm["alarmActions"] == [topic_arns(prod_stack, standby)[PAGE]]
    if expression is None:
        assert (alarm["namespace"], alarm["metricName"]) == ("AWS/RDS", "ReplicaLag")
        assert alarm["dimensions"] == {"DBInstanceIdentifier": f"erlmcp-prod-{primary}-replica"}
    else:
        assert query(alarm) == (
            'SELECT MAX(AuroraGlobalDBRPOLag) FROM "AWS/RDS" '
            f"WHERE DBClusterIdentifier = '{expression}'"
        )


@pytest.mark.parametrize(
    ("standby", "primary", "type_", "key", "identifier"),
    [
        ("ap-northeast-1", "ap-southeast-1", "aws:rds/instance:Instance", "identifier", "replica"),
        ("us-west-2", "us-east-1", "aws:rds/cluster:Cluster", "clusterIdentifier", "secondary"),
    ],
)
def test_a_lag_alarm_is_created_after_the_copy_it_watches(
    prod_stack, standby, primary, type_, key, identifier
):
    """Missing data breaches: an alarm made before its copy reports would page at once."""
    [copy] = [
        r
        for r in prod_stack.of_type(type_)
        if r.plain_inputs[key] == f"erlmcp-prod-{primary}-{identifier}"
    ]
    [alarm] = [
        a
        for a in alerting(prod_stack, ALARM)
        if a.plain_inputs["name"] == f"erlmcp-prod-{standby}-database-lag-of-{primary}"
    ]
    assert copy.region == alarm.region == standby
    assert copy.urn in alarm.dependencies


def test_each_cache_secondary_pages_past_its_pairs_rpo_on_every_member(prod_stack):
    alarm = only(prod_stack, "us-west-2", "cache-lag-of-us-east-1")
    *metrics, expression = alarm["metricQueries"]
    assert expression["expression"] == "MAX([m0, m1])"
    assert [m["metric"]["dimensions"] for m in metrics] == [
        {"CacheClusterId": f"erlmcp-prod-us-east-1-dr-{n:03d}", "CacheNodeId": "0001"}
        for n in (1, 2)
    ]
    assert metrics[0]["metric"]["metricName"] == "GlobalDatastoreReplicationLag"
    assert alarm["threshold"] == 60  # seconds: the us pair's RPO of 1 minute
    assert alarm["alarmActions"] == [topic_arns(prod_stack, "us-west-2")[PAGE]]


def _pair_alarms(prod_values: dict[str, Any], rpo_minutes: float) -> tuple[float, float]:
    """The database and cache lag thresholds of the eu pair, with its RPO set to
    `rpo_minutes` in the stack's config."""
    values = {**prod_values, "drPairs": [dict(p) for p in prod_values["drPairs"]]}
    next(p for p in values["drPairs"] if p["primary"] == "eu-west-1")["rpoMinutes"] = rpo_minutes
    stack = parse_stack_config(values)
    pair = stack.pair_of_primary("eu-west-1")
    assert pair is not None
    [copy] = [
        c for c in lineage("eu-west-1", stack.environment, pair, "normal").copies if replicating(c)
    ]
    config = stack.observability.alarms
    return (
        database_lag_alarm(copy, pair, config).threshold,
        cache_lag_alarm(pair, ["g-001"], config).threshold,
    )


def test_changing_a_pairs_rpo_moves_its_lag_thresholds(prod_values):
    assert _pair_alarms(prod_values, 5) == (300_000, 300)
    assert _pair_alarms(prod_values, 2) == (120_000, 120)


# -- backups ------------------------------------------------------------------------------------


def test_every_backup_replication_rule_has_metrics_on(prod_stack):
    configs = prod_stack.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert len(configs) == 4
    for config in configs:
        for rule in config.plain_inputs["rules"]:
            assert rule["destination"]["metrics"]["status"] == "Enabled"


def _replication(prod_stack: RecordedStack, source: str) -> dict[str, Any]:
    [config] = [
        c
        for c in prod_stack.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
        if c.region == source
    ]
    return config.plain_inputs


@pytest.mark.parametrize(
    ("source", "destination"),
    [
        ("us-east-1", "us-west-2"),
        ("eu-west-1", "eu-central-1"),
        ("ap-southeast-1", "ap-northeast-1"),
        ("ap-northeast-1", "ap-southeast-1"),
    ],
)
def test_replication_failures_ticket_at_the_source_and_latency_at_the_destination(
    prod_stack, source, destination
):
    """S3 publishes OperationsFailedReplication in the source bucket's region and
    ReplicationLatency in the destination's (S3 user guide, "Using S3 Replication metrics")."""
    replication = _replication(prod_stack, source)
    [rule] = replication["rules"]
    destination_bucket = rule["destination"]["bucket"].removeprefix("arn:aws:s3:::")
    dimensions = {
        "SourceBucket": replication["bucket"],
        "DestinationBucket": destination_bucket,
        "RuleId": rule["id"],
    }
    failed = only(prod_stack, source, f"backup-replication-to-{destination}-failed")
    latency = only(prod_stack, destination, f"backup-replication-from-{source}-latency")
    assert failed["dimensions"] == latency["dimensions"] == dimensions
    assert (failed["metricName"], failed["statistic"], failed["threshold"]) == (
        "OperationsFailedReplication",
        "Sum",
        0,
    )
    assert failed["treatMissingData"] == "notBreaching"
    assert (latency["metricName"], latency["threshold"]) == ("ReplicationLatency", 900)
    assert failed["alarmActions"] == [topic_arns(prod_stack, source)[TICKET]]
    assert latency["alarmActions"] == [topic_arns(prod_stack, destination)[TICKET]]


def test_every_region_tickets_failed_backup_and_copy_jobs(prod_stack):
    rules = {
        r.region: json.loads(r.plain_inputs["eventPattern"]) for r in alerting(prod_stack, RULE)
    }
    assert set(rules) == set(REGIONS)
    for pattern in rules.values():
        assert pattern == {
            "detail": {"state": ["FAILED", "ABORTED", "EXPIRED"]},
            "detail-type": ["Backup Job State Change", "Copy Job State Change"],
            "source": ["aws.backup"],
        }


# -- each region's own: its NLBs and its certificate ---------------------------------------------


def _service_dimension(service: RecordedResource) -> str:
    hostname = service.outputs["status"]["loadBalancer"]["ingress"][0]["hostname"]
    name, lb_id = hostname.split(".elb.")[0].rsplit("-", 1)
    return f"net/{name}/{lb_id}"


def test_every_release_nlb_has_an_unhealthy_targets_alarm_in_its_region(prod_stack):
    services = [
        s
        for s in prod_stack.of_type("kubernetes:core/v1:Service")
        if (s.outputs.get("status") or {}).get("loadBalancer")
    ]
    queries = {
        (a.region, query(a.plain_inputs))
        for a in alerting(prod_stack, ALARM)
        if a.name.endswith("nlb-unhealthy-targets")
    }
    assert len(queries) == len(services) == 8
    for service in services:
        region = service.region
        assert (
            region,
            'SELECT MIN(UnHealthyHostCount) FROM SCHEMA("AWS/NetworkELB", LoadBalancer, '
            f"TargetGroup) WHERE LoadBalancer = '{_service_dimension(service)}'",
        ) in queries
    standby = only(prod_stack, "us-west-2", "standby-of-us-east-1-nlb-unhealthy-targets")
    assert (standby["threshold"], standby["treatMissingData"]) == (1, "notBreaching")
    assert standby["alarmActions"] == [topic_arns(prod_stack, "us-west-2")[TICKET]]


def test_every_regions_certificate_tickets_before_it_expires(prod_stack):
    validations = {
        v.region: v.outputs["certificateArn"]
        for v in prod_stack.of_type("aws:acm/certificateValidation:CertificateValidation")
    }
    for region in REGIONS:
        alarm = only(prod_stack, region, "certificate-days-to-expiry")
        assert alarm["dimensions"] == {"CertificateArn": validations[region]}
        assert (alarm["namespace"], alarm["metricName"]) == (
            "AWS/CertificateManager",
            "DaysToExpiry",
        )
        assert (alarm["comparisonOperator"], alarm["threshold"]) == ("LessThanThreshold", 30)
        assert (alarm["period"], alarm["treatMissingData"]) == (86_400, "breaching")


# -- Route 53: us-east-1 only, an extra --------------------------------------------------------


def test_health_check_alarms_live_in_us_east_1_one_per_serving_region(prod_stack):
    health = [a for a in alerting(prod_stack, ALARM) if "-route53-health-" in a.name]
    assert {a.region for a in health} == {"us-east-1"}
    checks = {
        c.plain_inputs["fqdn"].split(".")[0]: c.id
        for c in prod_stack.of_type("aws:route53/healthCheck:HealthCheck")
    }
    by_region = {a.plain_inputs["name"].rsplit("-health-", 1)[1]: a.plain_inputs for a in health}
    assert set(by_region) == {"us-east-1", "eu-west-1", "ap-southeast-1", "ap-northeast-1"}
    for region, alarm in by_region.items():
        assert alarm["dimensions"] == {"HealthCheckId": checks[region]}
        assert (alarm["namespace"], alarm["metricName"]) == ("AWS/Route53", "HealthCheckStatus")
        assert alarm["alarmActions"] == [topic_arns(prod_stack, "us-east-1")[PAGE]]
