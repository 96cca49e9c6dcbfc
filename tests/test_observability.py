"""Every region's own metrics backend, in the prod stack: each region, standbys included, has a
workspace filled from its own cluster, kube-state-metrics and an alert manager that pages
through its own topics; serving regions evaluate the SLO rules. Nothing crosses a region."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from components.prometheus_config import meta_label, unwrap_definition
from offline.recorder import RecordedResource, RecordedStack
from offline.stacks import project_values
from regions.config import parse_stack_config
from regions.observability import SLO_RULES_NAMESPACE, serves_traffic
from regions.slo_rules import rules_yaml
from tests.conftest import dr_stage_config

WORKSPACE = "aws:amp/workspace:Workspace"
RETENTION = "aws:amp/workspaceConfiguration:WorkspaceConfiguration"
SCRAPER = "aws:amp/scraper:Scraper"
RULE_GROUPS = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
ALERT_MANAGER = "aws:amp/alertManagerDefinition:AlertManagerDefinition"
RELEASE = "kubernetes:helm.sh/v3:Release"
CLUSTER = "aws:eks/cluster:Cluster"
TOPIC = "aws:sns/topic:Topic"
SUBNET = "aws:ec2/subnet:Subnet"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def by_region(stack: RecordedStack, type_: str) -> dict[str, list[RecordedResource]]:
    found: dict[str, list[RecordedResource]] = defaultdict(list)
    for resource in stack.of_type(type_):
        found[resource.region].append(resource)
    return found


@pytest.fixture(scope="module")
def regions(prod_stack) -> set[str]:
    return {cluster.region for cluster in prod_stack.of_type(CLUSTER)}


def private_cidrs(stack: RecordedStack, region: str) -> set[str]:
    return {
        s.plain_inputs["cidrBlock"]
        for s in by_region(stack, SUBNET)[region]
        if re.search(r"-private-\d+$", s.name)
    }


def test_every_region_standbys_included_has_its_own_backend(prod_stack, regions):
    for type_ in (WORKSPACE, RETENTION, SCRAPER, ALERT_MANAGER):
        placed = by_region(prod_stack, type_)
        assert set(placed) == regions, type_
        assert all(len(found) == 1 for found in placed.values()), type_
    charts = {
        r.region
        for r in prod_stack.of_type(RELEASE)
        if r.plain_inputs["chart"] == "kube-state-metrics"
    }
    assert charts == regions


def test_retention_comes_from_the_stack_file(prod_stack, prod_values):
    days = parse_stack_config(prod_values).observability.retention_days
    assert {r.plain_inputs["retentionPeriodInDays"] for r in prod_stack.of_type(RETENTION)} == {
        days
    }


def test_each_collector_scrapes_its_own_regions_cluster_from_its_private_subnets(
    prod_stack, regions
):
    clusters = {c.region: c for c in prod_stack.of_type(CLUSTER)}
    subnets = {s.id: s for s in prod_stack.of_type(SUBNET)}
    for region in regions:
        [scraper] = by_region(prod_stack, SCRAPER)[region]
        source = scraper.plain_inputs["source"]["eks"]
        assert source["clusterArn"] == clusters[region].outputs["arn"]
        assert {subnets[s].region for s in source["subnetIds"]} == {region}
        assert {subnets[s].plain_inputs["cidrBlock"] for s in source["subnetIds"]} == (
            private_cidrs(prod_stack, region)
        )
        [workspace] = by_region(prod_stack, WORKSPACE)[region]
        assert (
            scraper.plain_inputs["destination"]["amp"]["workspaceArn"] == workspace.outputs["arn"]
        )


def test_amp_creates_the_collectors_access_entry_because_clusters_allow_api_access(prod_stack):
    """AMP makes the scraper's EKS access entry itself when the cluster's authentication mode
    is API or API_AND_CONFIG_MAP (components/prometheus.py): with CONFIG_MAP alone the collector
    could not read the cluster."""
    for cluster in prod_stack.of_type(CLUSTER):
        mode = cluster.plain_inputs["accessConfig"]["authenticationMode"]
        assert mode in ("API", "API_AND_CONFIG_MAP"), cluster.name
    # The program makes none for the collector (a second one for its role would fail); the
    # only access entries are the Region switch plans' (regions/region_switch.py).
    entries = prod_stack.of_type("aws:eks/accessEntry:AccessEntry")
    assert all(e.plain_inputs["principalArn"].endswith("-arc") for e in entries)


def test_alerts_page_through_the_regions_own_topics(prod_stack, regions):
    topics = by_region(prod_stack, TOPIC)
    for region in regions:
        [definition] = by_region(prod_stack, ALERT_MANAGER)[region]
        config = yaml.safe_load(unwrap_definition(definition.plain_inputs["definition"]))
        sent_to = {
            receiver["name"]: (sns["topic_arn"], sns["sigv4"]["region"])
            for receiver in config["receivers"]
            for sns in receiver["sns_configs"]
        }
        own = {t.plain_inputs["name"].rsplit("-", 1)[1]: t.outputs["arn"] for t in topics[region]}
        assert sent_to == {severity: (arn, region) for severity, arn in own.items()}
        [page] = [r for r in config["route"]["routes"] if r["receiver"] == "page"]
        assert page["matchers"] == ['severity="page"']


def test_serving_regions_evaluate_the_slo_rules_and_pure_standbys_do_not(prod_stack, prod_values):
    stack = parse_stack_config(prod_values)
    rules = by_region(prod_stack, RULE_GROUPS)
    serving = {name for name, config in stack.regions.items() if config.serving}
    assert set(rules) == serving and serving != set(stack.regions)
    for region in serving:
        [group] = rules[region]
        assert group.plain_inputs["name"] == SLO_RULES_NAMESPACE
        assert group.plain_inputs["data"] == rules_yaml(stack.observability.slo, region, "prod")


def test_promtool_accepts_the_rules_each_region_is_sent(prod_stack, tmp_path: Path):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is not installed: apt-get install prometheus")
    groups = prod_stack.of_type(RULE_GROUPS)
    for group in groups:
        path = tmp_path / f"{group.region}.yml"
        path.write_text(group.plain_inputs["data"])
    result = subprocess.run(
        [promtool, "check", "rules", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert groups and result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("stage", "serves"),
    [("normal", False), ("failover", True), ("resync", True), ("drain", False), ("cutover", False)],
)
def test_a_standby_evaluates_the_slo_rules_while_it_serves_its_primary(stage, serves):
    stack = parse_stack_config(project_values(dr_stage_config("us-east-1", stage)))
    assert not stack.regions["us-west-2"].serving
    assert serves_traffic(stack, "us-west-2") is serves
    assert serves_traffic(stack, "us-east-1")  # a fenced primary keeps its rules


def test_the_scrape_job_selects_what_the_releases_run(prod_stack, regions):
    """The erlmcp job keeps the pods the StatefulSets label, on the port their container
    declares as `metrics`, and copies the region and revision labels they carry."""
    for region in regions:
        [scraper] = by_region(prod_stack, SCRAPER)[region]
        config = yaml.safe_load(scraper.plain_inputs["scrapeConfiguration"])
        [job] = [j for j in config["scrape_configs"] if j["job_name"] == "erlmcp"]
        keeps = {
            r["source_labels"][0]: r["regex"]
            for r in job["relabel_configs"]
            if r["action"] == "keep"
        }
        copies = {
            r["target_label"]: r["source_labels"][0]
            for r in job["relabel_configs"]
            if "target_label" in r
        }
        assert copies["region"] == meta_label("erlmcp.io/region")
        assert copies["controller_revision_hash"] == meta_label("controller-revision-hash")
        for statefulset in by_region(prod_stack, STATEFULSET)[region]:
            template = statefulset.plain_inputs["spec"]["template"]
            labels = template["metadata"]["labels"]
            assert labels["erlmcp.io/region"] == region
            for pod_label, value in labels.items():
                if meta_label(pod_label) in keeps:
                    assert re.fullmatch(keeps[meta_label(pod_label)], value)
            ports = {
                p["name"]: int(p["containerPort"])
                for c in template["spec"]["containers"]
                for p in c["ports"]
            }
            assert keeps["__meta_kubernetes_pod_container_port_number"] == str(ports["metrics"])
        assert config["global"]["external_labels"] == {"region": region}


def test_every_release_lets_its_regions_collector_reach_the_metrics_port(prod_stack, regions):
    for region in regions:
        policies = [
            p
            for p in by_region(prod_stack, NETWORK_POLICY)[region]
            if p.name.endswith("-erlmcp-network-policy")
        ]
        assert policies
        for policy in policies:
            metrics = policy.plain_inputs["spec"]["ingress"][1]
            blocks = {peer["ipBlock"]["cidr"] for peer in metrics["from"] if "ipBlock" in peer}
            assert blocks == private_cidrs(prod_stack, region), policy.name


def test_each_region_exports_its_query_endpoint(prod_stack, regions):
    for region in regions:
        [workspace] = by_region(prod_stack, WORKSPACE)[region]
        endpoint = prod_stack.outputs["regions"][region]["prometheusEndpoint"]
        assert endpoint == workspace.outputs["prometheusEndpoint"]
        assert endpoint.startswith(f"https://aps-workspaces.{region}.amazonaws.com/workspaces/")
