"""eks-hpa-has-metrics-source: every HorizontalPodAutoscaler's cluster has a metrics source.

EKS installs no metrics-server: an HPA there reads no CPU figures and never scales (its status
says FailedGetResourceMetric). A cluster with an HPA must run the `metrics-server` add-on (an
EKS community add-on), or a metrics-server Deployment in kube-system.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, StackValidationArgs, StackValidationPolicy

from erlmcp_policies.stack.graph import StackIndex, prop

NAME = "eks-hpa-has-metrics-source"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
METRICS_SERVER = "metrics-server"


def _has_metrics_server(index: StackIndex, cluster) -> bool:
    if METRICS_SERVER in index.addons_of(cluster):
        return True
    return any(
        prop(d.props, "metadata", "name") == METRICS_SERVER
        and prop(d.props, "metadata", "namespace") == "kube-system"
        and index.cluster_of(d) is cluster
        for d in index.of_type(DEPLOYMENT)
    )


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    index = StackIndex(args.resources)
    for hpa in index.of_type(HPA):
        cluster = index.cluster_of(hpa)
        if cluster is None or _has_metrics_server(index, cluster):
            continue
        report_violation(
            f"HorizontalPodAutoscaler {prop(hpa.props, 'metadata', 'name')!r} runs in EKS cluster "
            f"{prop(cluster.props, 'name')!r}, which has no metrics source: add the "
            "metrics-server add-on (aws.eks.Addon) or it never scales.",
            hpa.urn,
        )


POLICY = StackValidationPolicy(
    name=NAME,
    description="Every HPA's cluster runs a metrics source (metrics-server) [erlmcp runbook §2.3]",
    validate=validate,
)
