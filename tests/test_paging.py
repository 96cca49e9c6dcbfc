"""The Paging component: a region's page and ticket topics, encrypted, publishable only by the
region's own alarms, rules and Prometheus workspaces; subscriptions keep their URL secret."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from components.paging import Paging, PagingArgs
from offline.mocks import ACCOUNT_ID
from offline.recorder import RecordedStack, is_secret
from planning.plan import redact

REGION = "eu-west-1"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/k"
URL = "https://events.pagerduty.com/integration/s3cr3t/enqueue"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


def build(record: Callable[..., RecordedStack], **overrides: Any) -> RecordedStack:
    fields: dict[str, Any] = {
        "region": REGION,
        "topic_name_prefix": f"erlmcp-prod-{REGION}",
        "kms_key_arn": KEY,
        "account_id": ACCOUNT_ID,
        "alarm_name_prefix": f"erlmcp-prod-{REGION}-",
        "endpoints": {"page": {"pagerduty": URL}},
    }
    fields.update(overrides)
    return record(lambda: Paging(f"{REGION}-paging", PagingArgs(**fields)))


@pytest.fixture
def stack(record: Callable[..., RecordedStack]) -> RecordedStack:
    return build(record)


def test_a_topic_per_severity_in_the_region_encrypted_with_its_key(stack):
    topics = {t.plain_inputs["name"]: t for t in stack.of_type(TOPIC)}
    assert set(topics) == {f"erlmcp-prod-{REGION}-page", f"erlmcp-prod-{REGION}-ticket"}
    for topic in topics.values():
        assert topic.region == REGION
        assert topic.plain_inputs["kmsMasterKeyId"] == KEY


def test_each_topic_carries_its_own_policy(stack):
    topics = {t.urn: t for t in stack.of_type(TOPIC)}
    for policy in stack.of_type("aws:sns/topicPolicy:TopicPolicy"):
        [topic_urn] = policy.property_dependencies["arn"]
        assert policy.plain_inputs["arn"].endswith(f":{topics[topic_urn].plain_inputs['name']}")


def test_only_this_regions_publishers_of_this_account_may_publish(stack):
    [policy, _] = stack.of_type("aws:sns/topicPolicy:TopicPolicy")
    statements = {s["Sid"]: s for s in json.loads(policy.plain_inputs["policy"])["Statement"]}
    alarms = statements["CloudWatchAlarmsOfThisRegion"]
    assert alarms["Condition"]["ArnLike"]["aws:SourceArn"] == (
        f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:erlmcp-prod-{REGION}-*"
    )
    for sid in ("EventBridgeRulesOfThisRegion", "PrometheusWorkspacesOfThisRegion"):
        assert statements[sid]["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}
        assert (
            f":{REGION}:{ACCOUNT_ID}:" in statements[sid]["Condition"]["ArnLike"]["aws:SourceArn"]
        )
    assert statements["DenyPlainHttp"]["Effect"] == "Deny"


def test_the_alert_manager_may_read_the_topic_as_well_as_publish(stack):
    """AMP user guide, "Giving Amazon Managed Service for Prometheus permission to send alert
    messages to your Amazon SNS topic": sns:Publish and sns:GetTopicAttributes."""
    [policy, _] = stack.of_type("aws:sns/topicPolicy:TopicPolicy")
    statements = {s["Sid"]: s for s in json.loads(policy.plain_inputs["policy"])["Statement"]}
    prometheus = statements["PrometheusWorkspacesOfThisRegion"]
    assert prometheus["Action"] == ["sns:Publish", "sns:GetTopicAttributes"]
    assert prometheus["Principal"] == {"Service": "aps.amazonaws.com"}
    for sid in ("CloudWatchAlarmsOfThisRegion", "EventBridgeRulesOfThisRegion"):
        assert statements[sid]["Action"] == "sns:Publish"


def test_a_subscription_is_named_by_its_endpoint_and_its_url_stays_secret(stack):
    [subscription] = stack.of_type(SUBSCRIPTION)
    assert subscription.name == f"{REGION}-paging-page-pagerduty"
    assert subscription.plain_inputs["protocol"] == "https"
    assert is_secret(subscription.inputs["endpoint"])
    assert URL not in json.dumps(redact(subscription.inputs))


def test_no_endpoint_makes_topics_without_subscriptions(record):
    stack = build(record, endpoints={})
    assert len(stack.of_type(TOPIC)) == 2 and stack.of_type(SUBSCRIPTION) == []


@pytest.mark.parametrize(
    ("endpoints", "message"),
    [({"urgent": {"pd": URL}}, "unknown severities"), ({"page": {"PD 1": URL}}, "endpoint name")],
)
def test_bad_endpoints_are_refused(record, endpoints, message):
    with pytest.raises(Exception, match=message):
        build(record, endpoints=endpoints)


def test_every_prod_region_has_its_own_topics(prod_stack):
    regions = {t.region for t in prod_stack.of_type(TOPIC)}
    assert regions == {r.region for r in prod_stack.of_type("aws:eks/cluster:Cluster")}
    assert len(prod_stack.of_type(TOPIC)) == 2 * len(regions)
