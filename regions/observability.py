"""Every region's own metrics backend (docs/observability.md, "Metrics and alert routing").

Each region, standbys included, gets a Prometheus workspace filled by a managed collector on its
own EKS cluster, kube-state-metrics, and an alert manager that routes alerts by severity to the
region's own `page` and `ticket` topics (components/paging.py). A region that serves traffic
also evaluates the SLO rules (regions/slo_rules.py). Every piece lives in the region it watches,
on that region's provider: no alert path depends on another region being up.
"""

from __future__ import annotations

import pulumi

from components.prometheus import Prometheus, PrometheusArgs
from components.prometheus_config import PodScrapeJob
from components.release_names import APP
from components.release_network import METRICS_PORT
from regions.config import StackConfig
from regions.region import REGION_LABEL, ErlmcpRegion
from regions.slo_rules import rules_yaml
from regions.standby import SERVING_STANDBY_STAGES

SLO_RULES_NAMESPACE = "slo"
DEFAULT_SEVERITY = "ticket"
"""An alert whose `severity` is missing or unknown opens a ticket: seen, but nobody is woken
for a rule that forgot to say how urgent it is."""
REVISION_LABEL = "controller-revision-hash"
"""The StatefulSet controller labels each pod with the revision it runs (Kubernetes API
`apps/v1` `ControllerRevisionHashLabelKey`): a canary's pods carry the update revision, the
stable ones the current revision, so a query can tell them apart."""
SERIES_LABELS = {REGION_LABEL: "region", REVISION_LABEL: "controller_revision_hash"}
"""Pod label -> the label every erlmcp series carries."""


def serves_traffic(stack: StackConfig, region: str) -> bool:
    """A serving region, or a standby whose release serves its failed-over primary's users."""
    if stack.regions[region].serving:
        return True
    return any(
        pair.standby == region and stack.dr_stage(pair) in SERVING_STANDBY_STAGES
        for pair in stack.dr_pairs
    )


def erlmcp_scrape_job() -> PodScrapeJob:
    """Every erlmcp pod of the cluster (its own release and any standby one) on its metrics
    port (components/release_pod.py declares it as container port `metrics`)."""
    return PodScrapeJob(
        job_name=APP,
        pod_labels={"app.kubernetes.io/name": APP},
        port=METRICS_PORT,
        keep_labels=SERIES_LABELS,
    )


def watch_region(region: ErlmcpRegion) -> Prometheus:
    """The region's workspace, collector, kube-state-metrics, rules and alert manager."""
    stack = region.stack
    settings = stack.observability
    rules: dict[str, pulumi.Input[str]] = {}
    if serves_traffic(stack, region.region):
        rules[SLO_RULES_NAMESPACE] = rules_yaml(settings.slo, region.region, stack.environment)
    return Prometheus(
        f"{region.region}-prometheus",
        PrometheusArgs(
            region=region.region,
            alias=region.cluster_name,
            retention_days=settings.retention_days,
            cluster_arn=region.eks.cluster_arn,
            subnet_ids=region.network.private_subnet_ids,
            security_group_ids=[region.eks.cluster_security_group_id],
            provider=region.eks.provider,
            alert_topic_arns=region.paging.topic_arns,
            default_severity=DEFAULT_SEVERITY,
            pod_jobs=[erlmcp_scrape_job()],
            rule_namespaces=rules,
            # kube-state-metrics' series (restarts, waiting reasons) carry the region too.
            external_labels={"region": region.region},
            pod_label_allowlist=list(SERIES_LABELS),
            tags=region.tags,
        ),
        opts=pulumi.ResourceOptions(parent=region),
    )
