"""rds-enhanced-monitoring, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "rds-enhanced-monitoring"
INSTANCE = "aws:rds/instance:Instance"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
ROLE = "arn:aws:iam::123456789012:role/rds-monitoring-role"


def check(analyze_resource, type_=INSTANCE, config=None, **props) -> list[str]:
    return messages(analyze_resource(type_, props, config=config), POLICY)


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_every_prod_database_host_is_monitored_by_the_one_role(prod_stack):
    hosts = prod_stack.of_type(INSTANCE) + prod_stack.of_type(CLUSTER_INSTANCE)
    [role] = [r for r in prod_stack.of_type("aws:iam/role:Role") if "rds-monitoring" in r.name]
    assert len(hosts) >= 8
    for host in hosts:
        assert host.plain_inputs["monitoringInterval"] == 60, host.name
        assert host.plain_inputs["monitoringRoleArn"] == role.outputs["arn"], host.name
    trust = role.plain_inputs["assumeRolePolicy"]
    assert '"Service": "monitoring.rds.amazonaws.com"' in trust


@pytest.mark.parametrize("type_", [INSTANCE, CLUSTER_INSTANCE])
def test_sixty_seconds_with_a_role_passes(analyze_resource, type_):
    assert check(analyze_resource, type_, monitoringInterval=60, monitoringRoleArn=ROLE) == []


@pytest.mark.parametrize("interval", [None, 0])
def test_monitoring_off_is_a_mandatory_violation(analyze_resource, interval):
    props = {"monitoringRoleArn": ROLE} if interval is None else {"monitoringInterval": 0}
    [found] = only(analyze_resource(INSTANCE, props), POLICY)
    assert found.detail.startswith("Enhanced Monitoring is off")
    assert found.enforcement_level == "mandatory"


def test_an_interval_longer_than_allowed_is_a_violation(analyze_resource):
    config = {POLICY: {"max_monitoring_interval_seconds": 30}}
    found = check(analyze_resource, config=config, monitoringInterval=60, monitoringRoleArn=ROLE)
    assert found == ["monitoringInterval 60 s is longer than 30 s."]


def test_an_interval_without_a_role_is_a_violation(analyze_resource):
    assert check(analyze_resource, monitoringInterval=60) == [
        "monitoringRoleArn is not set: RDS needs a role to publish the metrics."
    ]


def test_unknown_values_are_not_violations(analyze_resource):
    assert check(analyze_resource, monitoringInterval=60, monitoringRoleArn=UNKNOWN) == []
