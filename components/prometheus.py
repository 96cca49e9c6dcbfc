"""A metrics backend for one EKS cluster, all of it in the cluster's region: an Amazon Managed
Service for Prometheus workspace, the AWS managed collector (scraper) that fills it from the
cluster, kube-state-metrics for the cluster's object states, the workspace's rule groups, and
its alert manager, which sends each alert to the SNS topic of its severity.

Reusable: it knows nothing about erlmcp or its regions. The caller says which pods to scrape
(`PodScrapeJob`), which rules to evaluate, and which topics receive alerts.

Sources
-------
* Workspace retention: `aws.amp.WorkspaceConfiguration.retention_period_in_days` (pulumi-aws
  7.x, `pulumi_aws/amp/workspace_configuration.py`; `aws.amp.Workspace` has no retention
  argument). AMP keeps samples 150 days unless told otherwise (AMP user guide, "Ingest metrics",
  up to 1095 days). Deleting the configuration changes nothing in AWS (terraform-provider-aws
  `internal/service/amp/workspace_configuration.go`, `framework.WithNoOpDelete`).
* The managed collector: AMP user guide, "Using an AWS managed collector". It places a network
  interface in each subnet it is given, with the security groups it is given ("the security
  group and subnets should be set to the security group and subnets for the cluster"), reaches
  the API server through the cluster's private endpoint, and remote-writes to the workspace.
  Changing its source replaces it (its `source` is `RequiresReplace`, terraform-provider-aws
  `internal/service/amp/scraper.go`).
* The collector's access to the cluster: with the cluster's authentication mode `API` or
  `API_AND_CONFIG_MAP`, AMP creates the EKS access entry of the scraper's role, with the
  permissions it needs (get/list/watch on pods, endpoints, services, nodes; `/metrics`), when the
  scraper is created (AMP user guide, "Configuring your Amazon EKS cluster" -> "Configure Amazon
  EKS for scraper access with access entries"; aws-solutions-library-samples
  guidance-for-automated-provisioning-of-application-ready-amazon-eks-clusters#8: "AMP Scraper
  will automatically create access entries when cluster authentication mechanism is set to API
  or API and ConfigMap"). So this component creates neither an `aws.eks.AccessEntry` (a second
  entry for the same role fails with ResourceInUseException) nor the guide's
  `aps-collector-role` ClusterRole and binding for user `aps-collector-user`, which belong to the
  other, `aws-auth` ConfigMap path. The cluster must use one of those modes (the caller's
  duty; tests/test_observability.py checks the stack's clusters).
* The workspace's key: AMP's own. A workspace encrypted with a customer managed key can be
  filled by a managed collector only through a `role_configuration` of two IAM roles (AMP user
  guide, "Creating scraper for workspaces enabled with customer managed keys"; an earlier
  version of the encryption page said it cannot be at all), and the choice is fixed at creation
  (AMP user guide, "Encryption at rest": "can't be converted"). Metrics here hold request rates
  and latencies, no customer data; AMP encrypts them at rest with an AWS owned key.
* kube-state-metrics: the `kube-state-metrics` chart of
  https://prometheus-community.github.io/helm-charts, 8.4.0 (kube-state-metrics v2.20.0;
  prometheus-community/helm-charts commit 1982f1c5828920f5d4ea5d04956169e81f8c5129). Values are
  the chart's keys (`charts/kube-state-metrics/values.yaml`): `metricLabelsAllowlist` puts the
  allowed pod labels on `kube_pod_labels`, and the container port is named `http` on
  `service.port` (`templates/deployment.yaml`). Installed as `helm.v3.Release` for the reasons
  components/lb_controller.py gives.
* Alerts: AMP's alert manager publishes only to SNS (components/prometheus_config.py has the
  definition's sources); each topic's policy must admit `aps.amazonaws.com` for this account's
  workspaces (components/paging.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.prometheus_config import (
    MIN_SCRAPE_INTERVAL_SECONDS,
    PodScrapeJob,
    alert_manager_definition,
    pod_job,
    scrape_configuration,
)

KSM_CHART = "kube-state-metrics"
KSM_CHART_REPO = "https://prometheus-community.github.io/helm-charts"
KSM_CHART_VERSION = "8.4.0"
"""kube-state-metrics v2.20.0."""
KSM_RELEASE_NAME = "kube-state-metrics"
KSM_NAMESPACE = "kube-system"
KSM_PORT = 8080
"""The chart's `service.port`: the exporter's container port `http`."""
KSM_RESOURCES = {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}
RELEASE_TIMEOUT_SECONDS = 600
RELEASE_MAX_HISTORY = 10
MAX_RETENTION_DAYS = 1095
SCRAPER_TAG = "AMPAgentlessScraper"
"""A managed collector tags its destination workspace with this (pulumi-aws `aws.amp.Scraper`
docs, "Ignoring changes to Prometheus Workspace destination"): stated here, Pulumi does not
remove it at every update."""

_CHART_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_NAMESPACE_NAME = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,63}$")


@dataclass(frozen=True)
class PrometheusArgs:
    region: str
    alias: str
    """Names the workspace and the scraper, e.g. `erlmcp-prod-us-east-1`."""
    retention_days: int
    cluster_arn: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """The cluster's subnets, in at least two availability zones."""
    security_group_ids: Sequence[pulumi.Input[str]]
    """Groups that let the collector reach the API server and the pods (the cluster's)."""
    provider: k8s.Provider
    """The cluster's Kubernetes provider: kube-state-metrics is installed through it."""
    alert_topic_arns: Mapping[str, pulumi.Input[str]]
    """Severity (the alerts' `severity` label) -> the SNS topic in `region` that receives it."""
    default_severity: str
    """Where an alert without a known severity goes."""
    pod_jobs: Sequence[PodScrapeJob] = ()
    rule_namespaces: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Rule group namespace name -> its rules file (the plain Prometheus `groups:` format)."""
    external_labels: Mapping[str, str] = field(default_factory=dict)
    """Labels the collector adds to every series it writes (e.g. the region)."""
    pod_label_allowlist: Sequence[str] = ()
    """Pod labels kube-state-metrics puts on `kube_pod_labels` (as `label_<name>`)."""
    scrape_interval_seconds: int = MIN_SCRAPE_INTERVAL_SECONDS
    ksm_chart_version: str = KSM_CHART_VERSION
    tags: Mapping[str, str] = field(default_factory=dict)


class Prometheus(pulumi.ComponentResource):
    """The workspace and what fills, evaluates and routes it, in one region."""

    workspace_id: pulumi.Output[str]
    workspace_arn: pulumi.Output[str]
    query_endpoint: pulumi.Output[str]
    """The workspace's Prometheus-compatible endpoint (`.../workspaces/ws-.../`); queries go
    to `<endpoint>api/v1/query`, signed with SigV4 for service `aps` in `region`."""
    scraper_role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: PrometheusArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate(args)
        super().__init__("erlmcp:components:Prometheus", name, None, opts)
        self._name = name
        self._args = args
        workspace = aws.amp.Workspace(
            f"{name}-workspace",
            region=args.region,
            alias=args.alias,
            tags={**args.tags, SCRAPER_TAG: ""},
            # The region's metrics history (retention_days of it) dies with the workspace.
            opts=self._child(protect=True),
        )
        aws.amp.WorkspaceConfiguration(
            f"{name}-retention",
            region=args.region,
            workspace_id=workspace.id,
            retention_period_in_days=args.retention_days,
            opts=self._child(),
        )
        self._kube_state_metrics()
        scraper = self._scraper(workspace)
        for namespace, rules in sorted(args.rule_namespaces.items()):
            aws.amp.RuleGroupNamespace(
                f"{name}-rules-{namespace}",
                region=args.region,
                workspace_id=workspace.id,
                name=namespace,
                data=rules,
                tags=dict(args.tags),
                opts=self._child(),
            )
        aws.amp.AlertManagerDefinition(
            f"{name}-alert-manager",
            region=args.region,
            workspace_id=workspace.id,
            definition=self._definition(),
            opts=self._child(),
        )
        self.workspace_id = workspace.id
        self.workspace_arn = workspace.arn
        self.query_endpoint = workspace.prometheus_endpoint
        self.scraper_role_arn = scraper.role_arn
        self.register_outputs(
            {
                "workspace_id": self.workspace_id,
                "workspace_arn": self.workspace_arn,
                "query_endpoint": self.query_endpoint,
                "scraper_role_arn": self.scraper_role_arn,
            }
        )

    def _child(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _kube_state_metrics(self) -> k8s.helm.v3.Release:
        args = self._args
        return k8s.helm.v3.Release(
            f"{self._name}-kube-state-metrics",
            name=KSM_RELEASE_NAME,
            namespace=KSM_NAMESPACE,
            chart=KSM_CHART,
            version=args.ksm_chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=KSM_CHART_REPO),
            values=ksm_values(args.pod_label_allowlist),
            atomic=True,
            skip_await=False,
            timeout=RELEASE_TIMEOUT_SECONDS,
            max_history=RELEASE_MAX_HISTORY,
            opts=self._child(provider=args.provider),
        )

    def _scraper(self, workspace: aws.amp.Workspace) -> aws.amp.Scraper:
        args = self._args
        return aws.amp.Scraper(
            f"{self._name}-scraper",
            region=args.region,
            alias=args.alias,
            source=aws.amp.ScraperSourceArgs(
                eks=aws.amp.ScraperSourceEksArgs(
                    cluster_arn=args.cluster_arn,
                    subnet_ids=list(args.subnet_ids),
                    security_group_ids=list(args.security_group_ids),
                )
            ),
            destination=aws.amp.ScraperDestinationArgs(
                amp=aws.amp.ScraperDestinationAmpArgs(workspace_arn=workspace.arn)
            ),
            scrape_configuration=scrape_config_text(args),
            tags=dict(args.tags),
            opts=self._child(),
        )

    def _definition(self) -> pulumi.Output[str]:
        args = self._args
        severities = list(args.alert_topic_arns)
        return pulumi.Output.all(*(args.alert_topic_arns[s] for s in severities)).apply(
            lambda arns: alert_manager_definition(
                args.region, dict(zip(severities, arns, strict=True)), args.default_severity
            )
        )


def scrape_config_text(args: PrometheusArgs) -> str:
    """The collector's configuration: the caller's pod jobs and kube-state-metrics."""
    ksm = PodScrapeJob(
        job_name="kube-state-metrics",
        pod_labels={
            "app.kubernetes.io/name": KSM_CHART,
            "app.kubernetes.io/instance": KSM_RELEASE_NAME,
        },
        port=KSM_PORT,
        namespaces=(KSM_NAMESPACE,),
        exporter=True,
    )
    jobs = [pod_job(job) for job in (*args.pod_jobs, ksm)]
    return scrape_configuration(jobs, args.scrape_interval_seconds, args.external_labels)


def ksm_values(pod_label_allowlist: Sequence[str]) -> dict[str, Any]:
    """The chart's values (keys of `charts/kube-state-metrics/values.yaml` at 8.4.0)."""
    values: dict[str, Any] = {
        "replicas": 1,  # two would export every series twice
        "service": {"port": KSM_PORT},
        "resources": KSM_RESOURCES,
    }
    if pod_label_allowlist:
        values["metricLabelsAllowlist"] = [f"pods=[{','.join(pod_label_allowlist)}]"]
    return values


def validate(args: PrometheusArgs) -> None:
    """Refuse bad arguments before anything is registered."""
    if not args.region:
        raise ValueError("region must name the cluster's AWS region, e.g. 'us-east-1'")
    if not 1 <= args.retention_days <= MAX_RETENTION_DAYS:
        raise ValueError(
            f"retention_days {args.retention_days}: AMP keeps 1 to {MAX_RETENTION_DAYS} days"
        )
    if not _CHART_VERSION.match(args.ksm_chart_version):
        raise ValueError(
            f"ksm_chart_version must be an exact chart version like '{KSM_CHART_VERSION}', "
            f"got {args.ksm_chart_version!r}"
        )
    if len(args.subnet_ids) < 2:
        raise ValueError("subnet_ids: a managed collector needs subnets in two zones or more")
    if not args.security_group_ids:
        raise ValueError("security_group_ids: give the cluster's security group")
    if args.default_severity not in args.alert_topic_arns:
        raise ValueError(
            f"default_severity {args.default_severity!r} has no topic in alert_topic_arns "
            f"({sorted(args.alert_topic_arns)})"
        )
    for namespace in args.rule_namespaces:
        if not _NAMESPACE_NAME.match(namespace):
            raise ValueError(f"rule namespace {namespace!r}: 1-64 letters, digits, '_', '.', '-'")
    # Rendered once here so that a bad job or interval stops the program before registration.
    scrape_config_text(args)
