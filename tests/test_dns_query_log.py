"""Query logging of the public zone: a us-east-1 log group Route 53 alone may write to."""

from __future__ import annotations

import json

import pytest

from components.dns_query_log import ZoneQueryLog, ZoneQueryLogArgs
from tests.conftest import assert_parented_under

ZONE_ID = "Z0123456789ABC"
KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-8444-555555555555"
GROUP = "aws:cloudwatch/logGroup:LogGroup"
POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
QUERY_LOG = "aws:route53/queryLog:QueryLog"


@pytest.fixture
def stack(record):
    return record(
        lambda: ZoneQueryLog(
            "dns-query-log",
            ZoneQueryLogArgs(zone_id=ZONE_ID, domain="erlmcp.io", kms_key_arn=KEY, tags={"a": "b"}),
        )
    )


def test_the_log_group_is_where_route53_writes_query_logs(stack):
    [group] = stack.of_type(GROUP)
    assert group.region == "us-east-1"
    inputs = group.plain_inputs
    assert inputs["name"] == "/aws/route53/erlmcp.io"
    assert inputs["retentionInDays"] == 30
    assert inputs["kmsKeyId"] == KEY


def test_only_route53_may_write_and_only_this_zones_logs(stack):
    [group] = stack.of_type(GROUP)
    [policy] = stack.of_type(POLICY)
    assert policy.region == "us-east-1"
    [statement] = json.loads(policy.plain_inputs["policyDocument"])["Statement"]
    assert statement["Principal"] == {"Service": "route53.amazonaws.com"}
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == f"{group.outputs['arn']}:*"
    assert statement["Condition"] == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:route53:::hostedzone/{ZONE_ID}"}
    }


def test_the_configuration_waits_for_the_permission(stack):
    [group] = stack.of_type(GROUP)
    [policy] = stack.of_type(POLICY)
    [config] = stack.of_type(QUERY_LOG)
    assert config.plain_inputs == {"zoneId": ZONE_ID, "cloudwatchLogGroupArn": group.outputs["arn"]}
    assert policy.urn in config.dependencies
    assert_parented_under(stack, "erlmcp:components:ZoneQueryLog", "dns-query-log")


@pytest.mark.parametrize(
    ("change", "message"),
    [({"domain": ""}, "domain must be given"), ({"retention_days": 0}, "at least 1")],
)
def test_bad_arguments_are_rejected(change, message):
    with pytest.raises(ValueError, match=message):
        ZoneQueryLogArgs(**{"zone_id": ZONE_ID, "domain": "erlmcp.io", **change})


def test_prod_logs_its_zone_with_us_east_1s_key(prod_stack):
    [config] = prod_stack.of_type(QUERY_LOG)
    [zone] = prod_stack.of_type("aws:route53/zone:Zone")
    assert config.plain_inputs["zoneId"] == zone.outputs["zoneId"]
    [group] = [g for g in prod_stack.of_type(GROUP) if g.name == "dns-query-log-group"]
    key = prod_stack.named("us-east-1-key-key")  # us-east-1's region key
    assert group.region == "us-east-1"
    assert group.plain_inputs["kmsKeyId"] == key.outputs["arn"]
