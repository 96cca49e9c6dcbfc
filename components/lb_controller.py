"""The AWS Load Balancer Controller in one EKS cluster: its IRSA role and its Helm release.

Reusable: it knows nothing about erlmcp or its regions. The caller gives the cluster (name,
region, VPC, OIDC provider, Kubernetes provider) and an AWS provider for IAM.

Sources
-------
* IAM policy: `lb_controller_iam_policy.json`, next to this module, is
  kubernetes-sigs/aws-load-balancer-controller `docs/install/iam_policy.json` at tag v2.17.1
  (commit 3b9bdb1e3fb2ccd7190f32c665062ff2b5792543; byte-identical at v3.5.0), copied unchanged.
  It is data: loaded with `json` at import, never edited by hand (tests/test_lb_controller.py
  pins its sha256). To move to a new controller version, copy that version's file over it and
  update the hash in the test.
* Helm chart: `aws-load-balancer-controller` from https://aws.github.io/eks-charts, chart
  1.17.1 (appVersion v2.17.1). The values set here are the chart's own keys
  (`helm/aws-load-balancer-controller/values.yaml` at v2.17.1).
* Service annotations: kubernetes-sigs/aws-load-balancer-controller
  `docs/guide/service/annotations.md`. The controller reconciles a Service whose
  `spec.loadBalancerClass` is `service.k8s.aws/nlb`; an NLB is `internal` unless
  `aws-load-balancer-scheme` says `internet-facing`; `spec.loadBalancerClass` alone defaults to
  `instance` targets, so `aws-load-balancer-nlb-target-type: ip` is stated explicitly. Cross-zone
  load balancing is the load-balancer attribute `load_balancing.cross_zone.enabled=true` in
  `aws-load-balancer-attributes`: the in-tree `aws-load-balancer-cross-zone-load-balancing-enabled`
  annotation is deprecated for this controller since v2.3.0.

Decisions, and why
------------------
* `region` and `vpcId` are set: the nodes' IMDSv2 hop limit is 1 (components/eks.py), so the
  controller's pods cannot reach the instance metadata service to find them.
* The service account is the chart's (`serviceAccount.create: true`), named
  `aws-load-balancer-controller` in `kube-system`, annotated with the IRSA role; the role trusts
  exactly that subject through the cluster's OIDC provider (components/irsa.py).
* `enableServiceMutatorWebhook: false`: with it on, the controller's webhook sets
  `loadBalancerClass` on every new LoadBalancer Service of the cluster and sits in the admission
  path of all of them. Services that want this controller say so with `LOAD_BALANCER_CLASS`.
* `defaultTargetType: ip` (pods are targets; no NodePort hop), `createIngressClassResource: false`
  (no Ingress here), Shield/WAF/WAFv2 off (not used; fewer API calls at every reconcile).
  `defaultLoadBalancerScheme` stays the chart default (internal): a Service asks for
  `internet-facing` itself.
* Two replicas with a PodDisruptionBudget of `maxUnavailable: 1`: node drains never take the
  controller (and its admission webhooks for pods and TargetGroupBindings) away entirely.
* `helm.v3.Release`, not `helm.v4.Chart`: a Release is one custom resource that Helm installs in
  the cluster, so nothing is rendered locally and the offline mock runtime records it as is.
  `atomic`: a failed install or upgrade is rolled back (an install is uninstalled), so a bad
  version never stays half-applied; the next `pulumi up` tries again from a clean state.
  `skip_await=False`, `wait_for_jobs`, `timeout` 600 s: the release is done when the controller
  runs. `max_history` 10 bounds the release Secrets Helm keeps in `kube-system`.
* Helm installs the chart's CRDs (TargetGroupBinding, IngressClassParams) only on first install
  and never upgrades them: a chart upgrade that changes them needs them applied first, as the
  chart's README says.
* The release waits for the whole IRSA role (its inline policy included), so the controller does
  not start with a role that cannot yet do anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.irsa import ServiceAccountRole, ServiceAccountRoleArgs

CHART = "aws-load-balancer-controller"
CHART_REPO = "https://aws.github.io/eks-charts"
CHART_VERSION = "1.17.1"
"""The chart version that ships controller v2.17.1, the version of the IAM policy file."""
RELEASE_NAME = "aws-load-balancer-controller"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
RELEASE_TIMEOUT_SECONDS = 600
RELEASE_MAX_HISTORY = 10

LOAD_BALANCER_CLASS = "service.k8s.aws/nlb"
READINESS_GATE_INJECT = {"elbv2.k8s.aws/pod-readiness-gate-inject": "enabled"}
"""The label of a namespace whose pods get the controller's target-health readiness gate: a pod
is Ready only once its IP target is healthy in the NLB's target group. The chart's pod mutating
webhook `mpod.elbv2.k8s.aws` selects namespaces by this label
(`helm/aws-load-balancer-controller/templates/webhook.yaml:26-35` at v2.17.1, commit 3b9bdb1e);
`pkg/inject/pod_readiness/pod_readiness_gate.go:65-98` adds the gate at pod creation for each
IP-target TargetGroupBinding whose Service selects the pod (`docs/deploy/pod_readiness_gate.md`:
only pods created after the Service and the label get it). The webhook's `failurePolicy` is
the chart's default `Ignore` (values.yaml:471-473): a controller outage never blocks a pod."""
"""`spec.loadBalancerClass` of a Service this controller (and not the in-tree one) serves."""
TLS_NEGOTIATION_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"

IAM_POLICY_FILE = Path(__file__).with_name("lb_controller_iam_policy.json")
IAM_POLICY: dict[str, Any] = json.loads(IAM_POLICY_FILE.read_text())
"""The controller's published IAM policy (see the module docstring)."""

_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-"
_CHART_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True)
class LoadBalancerControllerArgs:
    cluster_name: pulumi.Input[str]
    """The EKS cluster's name (the chart's `clusterName`; tags every AWS resource it makes)."""
    region: str
    vpc_id: pulumi.Input[str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    """Issuer host and path without `https://` (oidc.eks.<region>.amazonaws.com/id/...)."""
    provider: k8s.Provider
    """The cluster's Kubernetes provider: the release is installed through it."""
    global_provider: pulumi.ProviderResource | None = None
    """The AWS provider of the global services, for IAM (None: the one this component
    inherits)."""
    chart_version: str = CHART_VERSION
    """Exact chart version, e.g. "1.17.1"; ranges and "latest" are refused."""
    replicas: int = 2
    tags: dict[str, str] = field(default_factory=dict)


class LoadBalancerController(pulumi.ComponentResource):
    """The controller's IRSA role (IAM, through `global_provider`) and its Helm release
    (through the cluster's provider)."""

    role_arn: pulumi.Output[str]
    release_status: pulumi.Output[str | None]
    """Helm's status of the release ("deployed"); None until the engine reports one."""

    def __init__(
        self,
        name: str,
        args: LoadBalancerControllerArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        validate(args)
        super().__init__("erlmcp:components:LoadBalancerController", name, None, opts)
        role = ServiceAccountRole(
            f"{name}-irsa",
            ServiceAccountRoleArgs(
                oidc_provider_arn=args.oidc_provider_arn,
                oidc_issuer=args.oidc_issuer,
                namespace=NAMESPACE,
                service_account=SERVICE_ACCOUNT,
                policy_document=json.dumps(IAM_POLICY),
                tags=args.tags,
            ),
            # IAM is global: its resources go through the global services' provider.
            opts=pulumi.ResourceOptions(
                parent=self,
                providers=[args.global_provider] if args.global_provider else None,
            ),
        )
        release = k8s.helm.v3.Release(
            f"{name}-release",
            name=RELEASE_NAME,
            namespace=NAMESPACE,
            chart=CHART,
            version=args.chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPO),
            values=chart_values(args, role.role_arn),
            atomic=True,
            skip_await=False,
            wait_for_jobs=True,
            timeout=RELEASE_TIMEOUT_SECONDS,
            max_history=RELEASE_MAX_HISTORY,
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[role]),
        )
        self.role_arn = role.role_arn
        self.release_status = release.status.apply(
            lambda status: status.status if status is not None else None
        )
        self.register_outputs({"role_arn": self.role_arn, "release_status": self.release_status})


def chart_values(
    args: LoadBalancerControllerArgs, role_arn: pulumi.Input[str]
) -> dict[str, pulumi.Input[Any]]:
    """The chart values (keys of the chart's values.yaml at v2.17.1)."""
    return {
        "clusterName": args.cluster_name,
        "region": args.region,
        "vpcId": args.vpc_id,
        "replicaCount": args.replicas,
        "podDisruptionBudget": {"maxUnavailable": 1},
        "serviceAccount": {
            "create": True,
            "name": SERVICE_ACCOUNT,
            "annotations": {ROLE_ANNOTATION: role_arn},
        },
        "enableServiceMutatorWebhook": False,
        "defaultTargetType": "ip",
        "enableShield": False,
        "enableWaf": False,
        "enableWafv2": False,
        "createIngressClassResource": False,
    }


def nlb_service_annotations(
    certificate_arn: pulumi.Input[str],
    tls_ports: Sequence[int | str],
    health_check_port: int | str,
    health_check_path: str,
) -> dict[str, pulumi.Input[str]]:
    """The annotations of a Service (with `spec.loadBalancerClass: LOAD_BALANCER_CLASS`) for an
    internet-facing NLB with IP targets, TLS 1.2+ terminated on `tls_ports` (port numbers or
    names of the Service's ports) with the ACM certificate, and an HTTP health check of
    `health_check_path` on `health_check_port` of each pod (a number, or "traffic-port").
    Every value is a string, as Kubernetes requires (the certificate may be an Output)."""
    ports = _tls_ports(tls_ports)
    check_port = _health_check_port(health_check_port)
    if not health_check_path.startswith("/"):
        raise ValueError(f"health_check_path must start with '/', got {health_check_path!r}")
    return {
        f"{_ANNOTATION}scheme": "internet-facing",
        f"{_ANNOTATION}nlb-target-type": "ip",
        f"{_ANNOTATION}ssl-cert": certificate_arn,
        f"{_ANNOTATION}ssl-ports": ",".join(ports),
        f"{_ANNOTATION}ssl-negotiation-policy": TLS_NEGOTIATION_POLICY,
        f"{_ANNOTATION}healthcheck-protocol": "http",
        f"{_ANNOTATION}healthcheck-port": check_port,
        f"{_ANNOTATION}healthcheck-path": health_check_path,
        f"{_ANNOTATION}attributes": "load_balancing.cross_zone.enabled=true",
    }


def _tls_ports(ports: Sequence[int | str]) -> list[str]:
    if isinstance(ports, str) or not ports:
        raise ValueError(
            f"tls_ports must list at least one port number or name, got {ports!r} "
            "(pass [443, 5005], not '443,5005')"
        )
    return [_port("tls_ports", port) for port in ports]


def _health_check_port(port: int | str) -> str:
    if port == "traffic-port":
        return port
    return _port("health_check_port", port, names=False)


def _port(what: str, port: int | str, *, names: bool = True) -> str:
    if isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535:
        return str(port)
    if names and isinstance(port, str) and len(port) <= 15 and _PORT_NAME.match(port):
        return port
    kinds = "a port number (1-65535) or a Service port name" if names else "a port number"
    raise ValueError(f"{what}: {port!r} is not {kinds}")


def validate(args: LoadBalancerControllerArgs) -> None:
    """Refuse bad arguments before anything is registered."""
    if not isinstance(args.chart_version, str) or not _CHART_VERSION.match(args.chart_version):
        raise ValueError(
            f"chart_version must be an exact chart version like '{CHART_VERSION}' "
            f"(MAJOR.MINOR.PATCH, no 'v', range or 'latest'), got {args.chart_version!r}"
        )
    if isinstance(args.replicas, bool) or not isinstance(args.replicas, int) or args.replicas < 1:
        raise ValueError(
            f"replicas must be a whole number of at least 1 (2 keeps the controller up through "
            f"a node drain), got {args.replicas!r}"
        )
    if not args.region:
        raise ValueError("region must name the cluster's AWS region, e.g. 'us-east-1'")
