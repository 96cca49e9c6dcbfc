"""The texts a Prometheus workspace is configured with, judged by Prometheus' own tools:
`promtool check config` reads the collector's scrape configuration and `amtool check-config`
the Alertmanager configuration inside the alert manager definition; `amtool config routes test`
shows where an alert with given labels goes. A missing tool fails these tests (.ci/run installs
Debian's `prometheus` and `prometheus-alertmanager`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from components.prometheus_config import (
    PodScrapeJob,
    alert_manager_definition,
    alertmanager_config,
    literal,
    meta_label,
    pod_job,
    scrape_configuration,
    unwrap_definition,
)

REGION = "eu-west-1"
TOPICS = {
    "page": f"arn:aws:sns:{REGION}:123456789012:erlmcp-prod-{REGION}-page",
    "ticket": f"arn:aws:sns:{REGION}:123456789012:erlmcp-prod-{REGION}-ticket",
}
JOB = PodScrapeJob(
    job_name="erlmcp",
    pod_labels={"app.kubernetes.io/name": "erlmcp"},
    port=9090,
    keep_labels={
        "erlmcp.io/region": "region",
        "controller-revision-hash": "controller_revision_hash",
    },
)


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: apt-get install prometheus prometheus-alertmanager")
    return path


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


# --- scrape configuration -------------------------------------------------------------------


def relabel_of(job: dict, target: str) -> dict:
    [rule] = [r for r in job["relabel_configs"] if r.get("target_label") == target]
    return rule


def test_pod_labels_reach_relabelling_sanitised():
    assert meta_label("erlmcp.io/region") == "__meta_kubernetes_pod_label_erlmcp_io_region"
    assert meta_label("controller-revision-hash") == (
        "__meta_kubernetes_pod_label_controller_revision_hash"
    )


def test_erlmcp_pods_are_kept_on_their_metrics_port_only():
    job = pod_job(JOB)
    keeps = {
        r["source_labels"][0]: r["regex"] for r in job["relabel_configs"] if r["action"] == "keep"
    }
    assert keeps == {
        "__meta_kubernetes_pod_label_app_kubernetes_io_name": "erlmcp",
        "__meta_kubernetes_pod_container_port_number": "9090",
    }
    assert job["kubernetes_sd_configs"] == [{"role": "pod"}]
    assert job["metrics_path"] == "/metrics"


def test_each_series_says_its_region_and_revision_so_canary_and_stable_differ():
    job = pod_job(JOB)
    assert relabel_of(job, "region")["source_labels"] == [
        "__meta_kubernetes_pod_label_erlmcp_io_region"
    ]
    assert relabel_of(job, "controller_revision_hash")["source_labels"] == [
        "__meta_kubernetes_pod_label_controller_revision_hash"
    ]
    assert relabel_of(job, "pod")["source_labels"] == ["__meta_kubernetes_pod_name"]


def test_an_exporter_keeps_the_labels_of_what_it_describes():
    job = pod_job(
        PodScrapeJob("ksm", {"app": "ksm"}, 8080, namespaces=("kube-system",), exporter=True)
    )
    assert job["honor_labels"] is True
    assert not [r for r in job["relabel_configs"] if r.get("target_label") in ("pod", "namespace")]
    assert job["kubernetes_sd_configs"] == [
        {"role": "pod", "namespaces": {"names": ["kube-system"]}}
    ]


def promtool_readable(text: str) -> str:
    """Debian's Prometheus is built without Kubernetes service discovery (promtool answers
    "field kubernetes_sd_configs not found"): each job's discovery is swapped for a static
    target, so promtool still checks everything else (global settings, relabelling)."""
    document = yaml.safe_load(text)
    for job in document["scrape_configs"]:
        assert job.pop("kubernetes_sd_configs")
        job["static_configs"] = [{"targets": ["10.0.0.1:9090"]}]
    return yaml.safe_dump(document)


def test_promtool_accepts_the_scrape_configuration(tmp_path: Path):
    text = scrape_configuration([pod_job(JOB)], 30, {"region": REGION})
    path = tmp_path / "prometheus.yml"
    path.write_text(promtool_readable(text))
    result = run(tool("promtool"), "check", "config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert yaml.safe_load(text)["global"] == {
        "scrape_interval": "30s",
        "external_labels": {"region": REGION},
    }


def test_promtool_refuses_a_broken_scrape_configuration(tmp_path: Path):
    """The check above can fail: a relabel rule with an unknown action is refused."""
    job = pod_job(JOB)
    job["relabel_configs"][0]["action"] = "keepit"
    path = tmp_path / "prometheus.yml"
    path.write_text(promtool_readable(scrape_configuration([job], 30, {})))
    assert run(tool("promtool"), "check", "config", str(path)).returncode != 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"job_name": "Erl MCP"}, "job_name"),
        ({"pod_labels": {}}, "pod_labels"),
        ({"port": 0}, "port"),
        ({"path": "metrics"}, "path"),
        ({"keep_labels": {"a": "__reserved"}}, "label name"),
    ],
)
def test_bad_scrape_jobs_are_refused(fields, message):
    values = {"job_name": "erlmcp", "pod_labels": {"app": "erlmcp"}, "port": 9090, **fields}
    with pytest.raises(ValueError, match=message):
        PodScrapeJob(**values)


def test_a_managed_collector_scrapes_at_most_every_30_seconds():
    with pytest.raises(ValueError, match="at least 30s"):
        scrape_configuration([pod_job(JOB)], 15, {})


def test_job_names_are_unique():
    with pytest.raises(ValueError, match="unique"):
        scrape_configuration([pod_job(JOB), pod_job(JOB)], 30, {})


# --- alert manager --------------------------------------------------------------------------


@pytest.fixture
def alertmanager_file(tmp_path: Path) -> Path:
    """The Alertmanager configuration inside the definition AMP is sent."""
    path = tmp_path / "alertmanager.yml"
    path.write_text(unwrap_definition(alert_manager_definition(REGION, TOPICS, "ticket")))
    return path


def test_the_definition_is_wrapped_as_amp_takes_it():
    definition = alert_manager_definition(REGION, TOPICS, "ticket")
    assert definition.startswith("alertmanager_config: |\n")
    assert yaml.safe_load(unwrap_definition(definition)) == alertmanager_config(
        REGION, TOPICS, "ticket"
    )


def test_amtool_accepts_the_alert_manager_configuration(alertmanager_file: Path):
    result = run(tool("amtool"), "check-config", str(alertmanager_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 receivers" in result.stdout


def test_amtool_refuses_a_route_to_a_missing_receiver(alertmanager_file: Path):
    """The check above can fail: a route naming no receiver is refused."""
    config = yaml.safe_load(alertmanager_file.read_text())
    config["route"]["routes"][0]["receiver"] = "nobody"
    alertmanager_file.write_text(yaml.safe_dump(config))
    assert run(tool("amtool"), "check-config", str(alertmanager_file)).returncode != 0


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["severity=page", "slo=availability"], "page"),
        (["severity=ticket", "slo=latency"], "ticket"),
        (["alertname=Forgotten"], "ticket"),
        (["severity=critical"], "ticket"),
    ],
)
def test_alerts_go_to_the_topic_of_their_severity(alertmanager_file: Path, labels, receiver):
    result = run(
        tool("amtool"), "config", "routes", "test", f"--config.file={alertmanager_file}", *labels
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [receiver]


def test_each_receiver_publishes_signed_for_the_region_to_its_topic():
    receivers = {r["name"]: r for r in alertmanager_config(REGION, TOPICS, "ticket")["receivers"]}
    for severity, topic in TOPICS.items():
        [sns] = receivers[severity]["sns_configs"]
        assert sns["topic_arn"] == topic
        assert sns["sigv4"] == {"region": REGION}
        assert "api_url" not in sns  # AMP sets it; a definition with one is refused


def test_a_topic_of_another_region_is_refused():
    topics = {**TOPICS, "page": TOPICS["page"].replace(REGION, "us-east-1")}
    with pytest.raises(ValueError, match="not in eu-west-1"):
        alertmanager_config(REGION, topics, "ticket")


def test_the_default_severity_needs_a_topic():
    with pytest.raises(ValueError, match="no topic"):
        alertmanager_config(REGION, TOPICS, "urgent")


def test_only_a_definition_unwraps():
    with pytest.raises(ValueError, match="alertmanager_config"):
        unwrap_definition("route: {}\n")


@pytest.mark.parametrize("value", ["kube-state-metrics", "erlmcp.io", "a+b(c)*", "x|y"])
def test_a_kept_value_matches_itself_only(value):
    pattern = re.compile(literal(value))
    assert pattern.fullmatch(value)
    assert not pattern.fullmatch(value + "x") and not pattern.fullmatch(value[:-1])
    assert not pattern.fullmatch(value.replace(value[1], "Z", 1))


def test_a_dot_in_a_kept_value_is_a_dot():
    assert not re.fullmatch(literal("erlmcp.io"), "erlmcpXio")
