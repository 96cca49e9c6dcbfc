"""The Prometheus component: a workspace with its retention, a managed collector on the cluster,
kube-state-metrics, rule groups and an alert manager, all in the cluster's region."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest
import yaml

from components.prometheus import (
    KSM_CHART_REPO,
    KSM_CHART_VERSION,
    SCRAPER_TAG,
    Prometheus,
    PrometheusArgs,
)
from components.prometheus_config import PodScrapeJob, unwrap_definition
from offline.mocks import ACCOUNT_ID
from offline.recorder import RecordedStack
from tests.conftest import assert_parented_under, k8s_provider

REGION = "eu-west-1"
NAME = f"{REGION}-prometheus"
CLUSTER_ARN = f"arn:aws:eks:{REGION}:{ACCOUNT_ID}:cluster/erlmcp-prod-{REGION}"
TOPICS = {
    severity: f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:erlmcp-prod-{REGION}-{severity}"
    for severity in ("page", "ticket")
}
RULES = "groups:\n- name: slo\n  rules:\n  - record: x\n    expr: vector(1)\n"
WORKSPACE = "aws:amp/workspace:Workspace"
SCRAPER = "aws:amp/scraper:Scraper"
RELEASE = "kubernetes:helm.sh/v3:Release"
ALERT_MANAGER = "aws:amp/alertManagerDefinition:AlertManagerDefinition"
RULE_GROUPS = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
RETENTION = "aws:amp/workspaceConfiguration:WorkspaceConfiguration"


def build(record: Callable[..., RecordedStack], **overrides: Any) -> RecordedStack:
    def program() -> None:
        values: dict[str, Any] = {
            "region": REGION,
            "alias": f"erlmcp-prod-{REGION}",
            "retention_days": 90,
            "cluster_arn": CLUSTER_ARN,
            "subnet_ids": ["subnet-a", "subnet-b"],
            "security_group_ids": ["sg-cluster"],
            "provider": k8s_provider(f"erlmcp-prod-{REGION}", REGION),
            "alert_topic_arns": TOPICS,
            "default_severity": "ticket",
            "pod_jobs": [PodScrapeJob("erlmcp", {"app.kubernetes.io/name": "erlmcp"}, 9090)],
            "rule_namespaces": {"slo": RULES},
            "external_labels": {"region": REGION},
            "pod_label_allowlist": ["controller-revision-hash"],
            "tags": {"service": "erlmcp", "region": REGION},
        }
        values.update(overrides)
        metrics = Prometheus(NAME, PrometheusArgs(**values))
        pulumi.export("query_endpoint", metrics.query_endpoint)
        pulumi.export("scraper_role_arn", metrics.scraper_role_arn)

    return record(program)


@pytest.fixture
def stack(record) -> RecordedStack:
    return build(record)


def test_everything_sits_in_the_component_and_the_region(stack):
    assert_parented_under(stack, "erlmcp:components:Prometheus", NAME)
    placed = [r for r in stack.resources if r.custom and not r.is_provider]
    assert {r.type for r in placed} == {
        WORKSPACE,
        RETENTION,
        SCRAPER,
        RELEASE,
        RULE_GROUPS,
        ALERT_MANAGER,
    }
    assert {r.region for r in placed} == {REGION}


def test_the_workspace_keeps_samples_as_long_as_asked(stack):
    [workspace] = stack.of_type(WORKSPACE)
    assert workspace.plain_inputs["alias"] == f"erlmcp-prod-{REGION}"
    # The tag AMP's collector adds: stated, so Pulumi does not remove it at every update.
    assert workspace.plain_inputs["tags"][SCRAPER_TAG] == ""
    [retention] = stack.of_type(RETENTION)
    assert retention.plain_inputs["retentionPeriodInDays"] == 90
    assert retention.property_dependencies["workspaceId"] == [workspace.urn]


def test_the_collector_scrapes_the_cluster_into_the_workspace(stack):
    [workspace], [scraper] = stack.of_type(WORKSPACE), stack.of_type(SCRAPER)
    inputs = scraper.plain_inputs
    assert inputs["source"]["eks"] == {
        "clusterArn": CLUSTER_ARN,
        "subnetIds": ["subnet-a", "subnet-b"],
        "securityGroupIds": ["sg-cluster"],
    }
    assert inputs["destination"]["amp"]["workspaceArn"] == workspace.outputs["arn"]
    assert scraper.property_dependencies["destination"] == [workspace.urn]
    config = yaml.safe_load(inputs["scrapeConfiguration"])
    assert [job["job_name"] for job in config["scrape_configs"]] == [
        "erlmcp",
        "kube-state-metrics",
    ]
    assert config["global"]["external_labels"] == {"region": REGION}


def test_kube_state_metrics_is_a_pinned_chart_the_collector_finds(stack):
    [release], [scraper] = stack.of_type(RELEASE), stack.of_type(SCRAPER)
    inputs = release.plain_inputs
    assert (inputs["chart"], inputs["version"]) == ("kube-state-metrics", KSM_CHART_VERSION)
    assert inputs["repositoryOpts"] == {"repo": KSM_CHART_REPO}
    assert inputs["values"]["metricLabelsAllowlist"] == ["pods=[controller-revision-hash]"]
    [ksm] = [
        job
        for job in yaml.safe_load(scraper.plain_inputs["scrapeConfiguration"])["scrape_configs"]
        if job["job_name"] == "kube-state-metrics"
    ]
    keeps = {r["source_labels"][0]: r["regex"] for r in ksm["relabel_configs"]}
    assert keeps["__meta_kubernetes_pod_label_app_kubernetes_io_instance"] == inputs["name"]
    # Helm values travel as JSON numbers: 8080 arrives as 8080.0.
    port = int(inputs["values"]["service"]["port"])
    assert keeps["__meta_kubernetes_pod_container_port_number"] == str(port)
    assert ksm["kubernetes_sd_configs"][0]["namespaces"]["names"] == [inputs["namespace"]]


def test_rules_are_evaluated_in_the_workspace_as_given(stack):
    [workspace], [rules] = stack.of_type(WORKSPACE), stack.of_type(RULE_GROUPS)
    assert rules.plain_inputs["name"] == "slo"
    assert rules.plain_inputs["data"] == RULES
    assert rules.property_dependencies["workspaceId"] == [workspace.urn]


def test_no_rules_no_rule_group(record):
    assert build(record, rule_namespaces={}).of_type(RULE_GROUPS) == []


def test_the_alert_manager_routes_to_the_given_topics(stack):
    [definition] = stack.of_type(ALERT_MANAGER)
    config = yaml.safe_load(unwrap_definition(definition.plain_inputs["definition"]))
    topics = {r["name"]: r["sns_configs"][0]["topic_arn"] for r in config["receivers"]}
    assert topics == TOPICS
    assert config["route"]["receiver"] == "ticket"


def test_outputs_name_the_query_endpoint_and_the_collectors_role(stack):
    [workspace] = stack.of_type(WORKSPACE)
    assert stack.outputs["query_endpoint"] == workspace.outputs["prometheusEndpoint"]
    assert stack.outputs["query_endpoint"].startswith(f"https://aps-workspaces.{REGION}.")
    assert "AWSServiceRoleForAmazonPrometheusScraper" in stack.outputs["scraper_role_arn"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"retention_days": 0}, "retention_days"),
        ({"retention_days": 1096}, "retention_days"),
        ({"ksm_chart_version": "latest"}, "exact chart version"),
        ({"subnet_ids": ["subnet-a"]}, "two zones"),
        ({"security_group_ids": []}, "security group"),
        ({"default_severity": "urgent"}, "default_severity"),
        ({"rule_namespaces": {"slo rules": RULES}}, "rule namespace"),
        ({"scrape_interval_seconds": 10}, "at least 30s"),
    ],
)
def test_bad_arguments_are_refused_before_anything_exists(record, overrides, message):
    with pytest.raises(Exception, match=message):
        build(record, **overrides)
