"""The database connections alarm (regions/database_alarms.py): one per database that takes
writes, in its region, on the ticket topic, at a share of the max_connections its instance
class gives it (regions/db_instance_classes.py); replicas and standbys get none, and a class
without a known memory is refused by the config."""

from __future__ import annotations

import copy
from typing import Any

import pulumi_aws as aws
import pytest

from offline.recorder import RecordedStack
from regions import database_alarms
from regions.config import ConfigError, parse_stack_config
from regions.database_alarms import connections_alarm, connections_threshold
from regions.db_instance_classes import default_max_connections
from regions.lineage import lineage

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
# The serving primaries and the database each one writes to (Pulumi.prod.yaml).
WRITERS = {
    "us-east-1": ({"DBClusterIdentifier": "erlmcp-prod-us-east-1", "Role": "WRITER"}, 3604),
    "eu-west-1": ({"DBClusterIdentifier": "erlmcp-prod-eu-west-1", "Role": "WRITER"}, 1802),
    "ap-southeast-1": ({"DBInstanceIdentifier": "erlmcp-prod-ap-southeast-1"}, 1802),
    "ap-northeast-1": ({"DBInstanceIdentifier": "erlmcp-prod-ap-northeast-1"}, 1802),
}


def connection_alarms(stack: RecordedStack) -> dict[str, list[dict[str, Any]]]:
    """Region -> its database connections alarms."""
    found: dict[str, list[dict[str, Any]]] = {}
    for alarm in stack.of_type(ALARM):
        if alarm.plain_inputs.get("metricName") == "DatabaseConnections":
            found.setdefault(alarm.region, []).append(alarm.plain_inputs)
    return found


def ticket_topic(stack: RecordedStack, region: str) -> str:
    [topic] = [
        t.outputs["arn"]
        for t in stack.of_type(TOPIC)
        if t.region == region and t.plain_inputs["name"].endswith("-ticket")
    ]
    return topic


def test_every_writing_database_has_one_alarm_in_its_region_on_its_ticket_topic(prod_stack):
    alarms = connection_alarms(prod_stack)
    assert set(alarms) == set(WRITERS)
    for region, (dimensions, limit) in WRITERS.items():
        [alarm] = alarms[region]
        assert alarm["name"] == f"erlmcp-prod-{region}-database-connections"
        assert alarm["namespace"] == "AWS/RDS"
        assert alarm["dimensions"] == dimensions
        assert alarm["statistic"] == "Maximum"
        assert alarm["comparisonOperator"] == "GreaterThanThreshold"
        assert alarm["threshold"] == limit * 80 // 100
        assert alarm["alarmActions"] == [ticket_topic(prod_stack, region)]
        assert alarm["tags"]["route"] == "ticket"


def test_a_standby_copy_gets_no_connections_alarm(prod_stack):
    watched = [
        value
        for alarms in connection_alarms(prod_stack).values()
        for alarm in alarms
        for value in alarm["dimensions"].values()
    ]
    assert not [v for v in watched if v.endswith(("-replica", "-secondary"))]
    for standby in ("us-west-2", "eu-central-1"):
        assert standby not in connection_alarms(prod_stack)


def test_a_promoted_standby_takes_writes_and_gets_its_own_alarm(dr_stage_stack):
    alarms = connection_alarms(dr_stage_stack("ap-southeast-1", "failover"))
    names = {a["name"]: a["dimensions"] for a in alarms["ap-northeast-1"]}
    assert names == {
        "erlmcp-prod-ap-northeast-1-database-connections": {
            "DBInstanceIdentifier": "erlmcp-prod-ap-northeast-1"
        },
        "erlmcp-prod-ap-northeast-1-database-connections-of-ap-southeast-1": {
            "DBInstanceIdentifier": "erlmcp-prod-ap-southeast-1-replica"
        },
    }


# -- the threshold ------------------------------------------------------------------------------


def _threshold(prod_values: dict[str, Any], instance_class: str, percent: int) -> float:
    """The eu-west-1 writer's threshold with its class and the alarm percentage set so in the
    stack's config."""
    values = copy.deepcopy(prod_values)
    values["regions"]["eu-west-1"]["database"]["instanceClass"] = instance_class
    values["observability"]["alarms"]["databaseConnectionsPercent"] = percent
    stack = parse_stack_config(values)
    pair = stack.pair_of_primary("eu-west-1")
    writer = lineage("eu-west-1", stack.environment, pair, "normal").primary_uses
    database = stack.regions["eu-west-1"].database
    assert database is not None
    alarm = connections_alarm(
        writer, "database-connections", database.instance_class, stack.observability.alarms
    )
    return alarm.threshold


def test_the_threshold_follows_the_instance_class_and_the_percentage(prod_values):
    assert _threshold(prod_values, "db.r6g.large", 80) == 1441  # 80 % of 16 GiB / 9531392
    assert _threshold(prod_values, "db.r6g.large", 50) == 901
    assert _threshold(prod_values, "db.r6g.xlarge", 80) == 2883
    assert _threshold(prod_values, "db.r6g.4xlarge", 80) == 4000  # capped at 5000


def test_the_default_max_connections_is_least_of_memory_over_9531392_and_5000():
    assert default_max_connections("db.r6g.large") == 16 * 1024**3 // 9_531_392 == 1802
    assert default_max_connections("db.t4g.medium") == 450
    assert default_max_connections("db.r6g.2xlarge") == 5000


def test_a_max_connections_set_by_the_parameter_group_wins(monkeypatch, prod_values):
    parameters = [aws.rds.ParameterGroupParameterArgs(name="max_connections", value="500")]
    monkeypatch.setattr(database_alarms, "postgres_parameters", lambda: parameters)
    assert _threshold(prod_values, "db.r6g.xlarge", 80) == 400


def test_an_instance_class_without_a_known_memory_is_refused(prod_values):
    values = copy.deepcopy(prod_values)
    values["regions"]["eu-west-1"]["database"]["instanceClass"] = "db.r7g.large"
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(values)
    message = str(caught.value)
    assert "erlmcp-infra:regions.eu-west-1.database.instanceClass" in message
    assert "db.r7g.large has no memory" in message


def test_the_percentage_is_a_share_below_the_whole(prod_values):
    values = copy.deepcopy(prod_values)
    values["observability"]["alarms"]["databaseConnectionsPercent"] = 100
    with pytest.raises(ConfigError, match="databaseConnectionsPercent"):
        parse_stack_config(values)
    config = parse_stack_config(prod_values).observability.alarms
    assert config.database_connections_percent == 80
    assert connections_threshold("db.r6g.large", config) == 1441
