"""alerts-publish-to-own-region-encrypted-topic, through AnalyzeStack."""

from __future__ import annotations

import pytest

from offline.mocks import ACCOUNT_ID
from tests.policies.conftest import UNKNOWN, fake_resource, messages, only

POLICY = "alerts-publish-to-own-region-encrypted-topic"
TOPIC = "aws:sns/topic:Topic"


def topic(region: str, *, key: object = "arn:aws:kms:k") -> object:
    name = f"erlmcp-prod-{region}-page"
    arn = f"arn:aws:sns:{region}:{ACCOUNT_ID}:{name}"
    props = {"name": name, "region": region, "kmsMasterKeyId": key}
    return fake_resource(TOPIC, props, name=f"{region}-page", outputs={**props, "arn": arn})


def alarm(region: str, actions: list) -> object:
    props = {"name": f"erlmcp-prod-{region}-lag", "region": region, "alarmActions": actions}
    return fake_resource("aws:cloudwatch/metricAlarm:MetricAlarm", props, name=f"{region}-lag")


def manager(region: str, arn: str) -> object:
    definition = (
        "alertmanager_config: |\n  receivers:\n    - name: page\n      sns_configs:\n"
        f"        - topic_arn: {arn}\n          sigv4:\n            region: {region}\n"
    )
    props = {"region": region, "workspaceId": "ws-1", "definition": definition}
    return fake_resource(
        "aws:amp/alertManagerDefinition:AlertManagerDefinition", props, name=f"{region}-am"
    )


def arn_of(resource) -> str:
    return resource.outputs["arn"]


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_an_alarm_to_its_own_regions_encrypted_topic_passes(analyze_stack):
    page = topic("us-east-1")
    assert only(analyze_stack([page, alarm("us-east-1", [arn_of(page)])]), POLICY) == []


def test_a_topic_in_another_region_is_refused(analyze_stack):
    page = topic("us-west-2")
    [found] = only(analyze_stack([page, alarm("us-east-1", [arn_of(page)])]), POLICY)
    assert "in us-east-1 publishes to topic 'erlmcp-prod-us-west-2-page' in us-west-2" in (
        found.detail
    )
    assert found.enforcement_level == "mandatory"


def test_an_unencrypted_topic_is_refused(analyze_stack):
    page = topic("us-east-1", key=None)
    [found] = only(analyze_stack([page, alarm("us-east-1", [arn_of(page)])]), POLICY)
    assert "which no KMS key encrypts" in found.detail


def test_an_alarm_without_actions_or_to_a_stranger_is_refused(analyze_stack):
    stranger = f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:someone-elses"
    found = messages(
        analyze_stack([alarm("us-east-1", []), alarm("eu-west-1", [stranger])]), POLICY
    )
    assert any("notifies nobody" in m for m in found)
    assert any("a topic outside this stack" in m for m in found)


def test_an_alert_manager_is_judged_by_its_sns_receivers(analyze_stack):
    home, away = topic("eu-west-1"), topic("eu-central-1")
    assert only(analyze_stack([home, manager("eu-west-1", arn_of(home))]), POLICY) == []
    [found] = only(analyze_stack([away, manager("eu-west-1", arn_of(away))]), POLICY)
    assert "Prometheus alert manager in eu-west-1" in found.detail


@pytest.mark.parametrize("actions", [[UNKNOWN]])
def test_unknown_actions_are_not_violations(analyze_stack, actions):
    assert only(analyze_stack([topic("us-east-1"), alarm("us-east-1", actions)]), POLICY) == []


def test_a_signal_a_machine_reads_needs_no_topic_but_only_with_actions_disabled(
    analyze_stack, prod_stack
):
    # The automatic failover's interlocks (regions/region_switch.py): named in a composite
    # alarm's rule, actions disabled. Turning their actions on makes them alerts again.
    signal = prod_stack.named("us-west-2-autofailover-signals-lag-of-us-east-1")
    composite = prod_stack.named("us-west-2-autofailover-signals-blocked-for-us-east-1")
    assert signal.outputs["actionsEnabled"] is False
    assert only(analyze_stack([signal, composite], policies=[POLICY]), POLICY) == []
    loud = fake_resource(signal.type, {**signal.outputs, "actionsEnabled": True}, name=signal.name)
    [found] = only(analyze_stack([loud, composite], policies=[POLICY]), POLICY)
    assert "notifies nobody" in found.detail
