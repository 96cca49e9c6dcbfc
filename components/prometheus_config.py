"""The texts a Prometheus workspace is configured with: the managed collector's scrape
configuration and the alert manager definition. Pure functions of plain values (the component,
components/prometheus.py, resolves its Outputs first), so tests and `amtool` read exactly what
AWS is sent.

Sources
-------
* Scrape configuration: the Prometheus `<scrape_config>` format with the limits of AWS managed
  collectors (AMP user guide, "Using an AWS managed collector", "Scraper configuration"): only
  `kubernetes_sd_configs` discover targets, the scrape interval is at least 30 seconds, and
  `global.external_labels` are allowed (the guide's sample sets one).
* Pod labels reach relabelling as `__meta_kubernetes_pod_label_<name>`, the name with every
  character outside `[a-zA-Z0-9_]` made `_` (Prometheus docs, `kubernetes_sd_config`, role
  `pod`; `strutil.SanitizeLabelName`). A `pod` target exists per declared container port, with
  `__meta_kubernetes_pod_container_port_number`.
* Alert manager definition: AMP takes an Alertmanager configuration under an
  `alertmanager_config:` key (AMP user guide, "Creating an alert manager configuration"); its
  only receiver is SNS, `sigv4` must name the region and `api_url` must not be set (AMP user
  guide, "Configure alert manager to send messages to your Amazon SNS topic"). The routing tree
  and `matchers` are Alertmanager's (`amtool check-config` runs on the unwrapped text in
  tests/test_prometheus_config.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

# libyaml's emitter when PyYAML has it: the same YAML, written in C at every render.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

MIN_SCRAPE_INTERVAL_SECONDS = 30
"""AWS managed collectors refuse a shorter scrape interval (AMP user guide, "Scraper
configuration", limitations)."""
WRAPPER_KEY = "alertmanager_config"

# How long Alertmanager waits before it sends the first notification of a new group, between
# notifications of a group that changed, and before it repeats one that has not: a page repeats
# every hour until resolved or silenced, a ticket once a day.
GROUP_WAIT = "30s"
GROUP_INTERVAL = "5m"
REPEAT_INTERVAL = {"page": "1h", "ticket": "24h"}
DEFAULT_REPEAT_INTERVAL = "4h"
GROUP_BY = ("alertname", "region", "slo")
# SNS subjects are at most 100 printable ASCII characters; AMP truncates longer ones (AMP user
# guide, "SNS receiver message validation and truncation rules"). Alertmanager's default subject
# lists every label and would be cut mid-word.
SUBJECT = "[{{ .Status | toUpper }}] {{ .GroupLabels.alertname }} {{ .CommonLabels.region }}"

_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_JOB_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass(frozen=True)
class PodScrapeJob:
    """Scrape the pods that carry all of `pod_labels` on container port `port`."""

    job_name: str
    pod_labels: Mapping[str, str]
    port: int
    keep_labels: Mapping[str, str] = field(default_factory=dict)
    """Pod label -> the series label it becomes (e.g. `controller-revision-hash` ->
    `controller_revision_hash`, which tells a canary's pods from the stable ones)."""
    path: str = "/metrics"
    namespaces: Sequence[str] = ()
    """Where to look for the pods (empty: every namespace)."""
    exporter: bool = False
    """The pods export series about other objects (kube-state-metrics) whose own `namespace`
    and `pod` labels must win: `honor_labels`, and no target labels of the exporter's pod
    (Prometheus docs, `honor_labels`)."""

    def __post_init__(self) -> None:
        if not _JOB_NAME.match(self.job_name):
            raise ValueError(f"job_name {self.job_name!r}: lowercase letters, digits, '_', '-'")
        if not self.pod_labels:
            raise ValueError(f"job {self.job_name}: pod_labels must select the pods to scrape")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"job {self.job_name}: port {self.port} is not a port number")
        if not self.path.startswith("/"):
            raise ValueError(f"job {self.job_name}: path {self.path!r} must start with '/'")
        for series_label in self.keep_labels.values():
            if not _LABEL_NAME.match(series_label) or series_label.startswith("__"):
                raise ValueError(
                    f"job {self.job_name}: {series_label!r} is not a Prometheus label name"
                )


def meta_label(pod_label: str) -> str:
    """The relabelling source of a pod label (`erlmcp.io/region` -> `..._erlmcp_io_region`)."""
    return "__meta_kubernetes_pod_label_" + re.sub(r"[^a-zA-Z0-9_]", "_", pod_label)


def literal(value: str) -> str:
    """`value` as a relabelling regex (RE2, anchored by Prometheus) that matches only itself."""
    return re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", value)


def _keep(source: str, value: str) -> dict[str, Any]:
    return {"source_labels": [source], "regex": literal(value), "action": "keep"}


def _copy(source: str, target: str) -> dict[str, Any]:
    return {"source_labels": [source], "target_label": target, "action": "replace"}


def pod_job(job: PodScrapeJob) -> dict[str, Any]:
    """A `<scrape_config>` for `job`: the pods with the labels and port are kept, and each
    series says which namespace and pod it came from (unless the pods are exporters)."""
    discovery: dict[str, Any] = {"role": "pod"}
    if job.namespaces:
        discovery["namespaces"] = {"names": list(job.namespaces)}
    relabel = [_keep(meta_label(k), v) for k, v in sorted(job.pod_labels.items())]
    relabel.append(_keep("__meta_kubernetes_pod_container_port_number", str(job.port)))
    if not job.exporter:
        relabel.append(_copy("__meta_kubernetes_namespace", "namespace"))
        relabel.append(_copy("__meta_kubernetes_pod_name", "pod"))
    relabel += [_copy(meta_label(k), v) for k, v in sorted(job.keep_labels.items())]
    config: dict[str, Any] = {
        "job_name": job.job_name,
        "metrics_path": job.path,
        "kubernetes_sd_configs": [discovery],
        "relabel_configs": relabel,
    }
    if job.exporter:
        config["honor_labels"] = True
    return config


def scrape_configuration(
    jobs: Sequence[dict[str, Any]],
    interval_seconds: int,
    external_labels: Mapping[str, str],
) -> str:
    """The collector's configuration file (YAML, the format `promtool check config` reads)."""
    if interval_seconds < MIN_SCRAPE_INTERVAL_SECONDS:
        raise ValueError(
            f"scrape interval {interval_seconds}s: AWS managed collectors need at least "
            f"{MIN_SCRAPE_INTERVAL_SECONDS}s"
        )
    names = [job["job_name"] for job in jobs]
    if len(set(names)) != len(names):
        raise ValueError(f"scrape job names must be unique, got {names}")
    document: dict[str, Any] = {
        "global": {
            "scrape_interval": f"{interval_seconds}s",
            "external_labels": dict(sorted(external_labels.items())),
        },
        "scrape_configs": list(jobs),
    }
    return yaml.dump(document, Dumper=_DUMPER, sort_keys=False)


# --- alert manager ------------------------------------------------------------------------------


def alertmanager_config(
    region: str, topic_arns: Mapping[str, str], default_severity: str
) -> dict[str, Any]:
    """Alerts go by their `severity` label to that severity's SNS topic; an alert without a
    known severity goes to `default_severity`'s. Every topic must be in `region`: the
    notifications are signed for it (`sigv4.region`), and nothing crosses a region."""
    if default_severity not in topic_arns:
        raise ValueError(
            f"default severity {default_severity!r} has no topic; severities: {sorted(topic_arns)}"
        )
    for severity, arn in topic_arns.items():
        if arn.split(":")[3:4] != [region]:
            raise ValueError(f"the {severity} topic {arn} is not in {region}")
    return {
        "route": {
            "receiver": default_severity,
            "group_by": list(GROUP_BY),
            "group_wait": GROUP_WAIT,
            "group_interval": GROUP_INTERVAL,
            "repeat_interval": DEFAULT_REPEAT_INTERVAL,
            "routes": [
                {
                    "receiver": severity,
                    "matchers": [f'severity="{severity}"'],
                    "repeat_interval": REPEAT_INTERVAL.get(severity, DEFAULT_REPEAT_INTERVAL),
                }
                for severity in topic_arns
            ],
        },
        "receivers": [
            {
                "name": severity,
                "sns_configs": [
                    {
                        "topic_arn": arn,
                        "sigv4": {"region": region},
                        "subject": SUBJECT,
                        "attributes": {"severity": severity},
                    }
                ],
            }
            for severity, arn in topic_arns.items()
        ],
    }


def alert_manager_definition(
    region: str, topic_arns: Mapping[str, str], default_severity: str
) -> str:
    """The definition AMP takes: the Alertmanager configuration as a block string under
    `alertmanager_config`."""
    config = yaml.dump(
        alertmanager_config(region, topic_arns, default_severity), Dumper=_DUMPER, sort_keys=False
    )
    body = "".join(f"  {line}" if line.strip() else line for line in config.splitlines(True))
    return f"{WRAPPER_KEY}: |\n{body}"


def unwrap_definition(definition: str) -> str:
    """The Alertmanager configuration inside an AMP alert manager definition."""
    document = yaml.safe_load(definition)
    if not isinstance(document, dict) or not isinstance(document.get(WRAPPER_KEY), str):
        raise ValueError(f"not an AMP alert manager definition: no {WRAPPER_KEY} string")
    return document[WRAPPER_KEY]
