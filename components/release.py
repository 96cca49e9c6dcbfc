"""ErlmcpRelease: the erlmcp Erlang cluster in one namespace of one regional EKS cluster.

Native pulumi-kubernetes objects, no Helm: the namespace (Pod Security "restricted"), the
`erlmcp-secrets` Secret, the `erlmcp-config` ConfigMap, an IRSA service account, the headless
service that gives every pod a stable DNS name for Erlang distribution, the `erlmcp-cluster`
StatefulSet, a PodDisruptionBudget, an optional HorizontalPodAutoscaler, a public Network Load
Balancer and default-deny NetworkPolicies with the few flows erlmcp needs.

Decisions, and why
------------------
* Public entry: one internet-facing NLB made by the AWS Load Balancer Controller
  (`spec.loadBalancerClass: service.k8s.aws/nlb`, components/lb_controller.py; the in-tree cloud
  provider only gets critical fixes, and does not carry a new certificate annotation to an
  existing listener). It sends traffic straight to pod IPs, terminates TLS 1.2+ with the ACM
  certificate on 443 and on 5005 and forwards the decrypted stream as TCP: 443 to plain HTTP on
  8080 (what the Route 53 health check's HTTPS `/health` on 443 needs), and MCP on its own
  listener 5005 -> 5005, so MCP stays encrypted on the wire without assuming erlmcp also serves
  it on its HTTP port. Its health check asks each pod's `/health`, and the client's address is
  preserved to erlmcp. `loadBalancerClass` cannot change on an existing Service (Kubernetes
  refuses the update), so a change of it replaces the Service (`replace_on_changes`).
* Pod readiness gates: the namespace carries `READINESS_GATE_INJECT`, so the controller's
  webhook gives every new pod a target-health readiness gate and a pod is Ready only once the
  NLB sees its IP target healthy (components/lb_controller.py). Without it a rollout or a node
  drain (the PodDisruptionBudget counts Ready pods) can remove a pod while its replacement is
  still registering, and the NLB is left with no healthy target. The gate is added only to pods
  created after the Service (and its TargetGroupBinding) exists, so the StatefulSet waits for
  the Service. That wait needs no pod: pulumi-kubernetes' Service await succeeds once the load
  balancer has an address and no endpoint is pending (`provider/pkg/await/service.go:411-416`,
  `checkAndLogStatus`, at commit 94977969). Pods that predate the label get the gate when they
  are next recreated (a rollout). A label is namespace metadata: adding it updates the
  Namespace in place. A pod is Ready only after the NLB's health checks pass, which
  `ready_timeout_minutes` must allow.
* `externalTrafficPolicy: Local`: no second hop through another node for anything that still
  reaches a node port.
* The pod (zones, service account token, user and filesystem, Erlang distribution):
  components/release_pod.py.
* `replicas` is the StatefulSet's starting size. With an HPA the field is in `ignore_changes`:
  once the HPA has scaled (through the scale subresource, which makes it the field's manager),
  pulumi-kubernetes drops an ignored field that another manager owns from its server-side apply
  (pulumi/pulumi-kubernetes#2566), so `pulumi up` neither resets the HPA's choice nor fails on
  a field conflict. A standby (0 pods) must not have an HPA. Without an HPA the StatefulSet
  carries `pulumi.com/patchForce`, so that Pulumi takes `.spec.replicas` back from the HPA
  controller when a release loses its HPA (a failover's fence, a failback's drain). The HPA does
  not scale a StatefulSet up from 0 (Kubernetes disables autoscaling at 0 replicas), and with the
  field ignored Pulumi would keep the old 0: so the update that brings a release up from 0 pods
  (`starts_from_zero`) applies and forces the count, and the following update ignores it again.
* Egress: DNS to CoreDNS, PostgreSQL 5432, Redis 6379, HTTPS 443 (STS for IRSA, S3, other AWS
  APIs), the OTLP port of `otel_endpoint`, and distribution to the other erlmcp pods. The EC2
  instance metadata service is excluded from every rule (it would hand out the node's role);
  IRSA does not need it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.lb_controller import (
    LOAD_BALANCER_CLASS,
    READINESS_GATE_INJECT,
    nlb_service_annotations,
)
from components.release_args import ErlmcpReleaseArgs, HpaSettings
from components.release_names import (
    APP,
    CONFIG_MAP_NAME,
    CONTAINER_NAME,
    HEADLESS_SERVICE_NAME,
    SECRET_NAME,
    SERVICE_ACCOUNT_NAME,
    SERVICE_NAME,
    STATEFULSET_NAME,
)
from components.release_network import (
    EPMD_PORT,
    HTTP_PORT,
    HTTPS_PORT,
    MCP_PORT,
    REDIS_PORT,
    dist_ports,
    egress_rules,
    ingress_rules,
)
from components.release_pod import pod_spec

_LB_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-"


class ErlmcpRelease(pulumi.ComponentResource):
    """erlmcp's StatefulSet and everything around it in one namespace of one cluster."""

    namespace: pulumi.Output[str]
    statefulset_name: pulumi.Output[str]
    service_name: pulumi.Output[str]
    load_balancer_hostname: pulumi.Output[str]

    def __init__(
        self, name: str, args: ErlmcpReleaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp:components:ErlmcpRelease", name, None, opts)
        self._name = name
        self._args = args
        self._selector = {
            "app.kubernetes.io/name": APP,
            "app.kubernetes.io/instance": args.namespace,
        }
        self._labels = {
            **args.labels,
            **self._selector,
            "app.kubernetes.io/part-of": APP,
            "app.kubernetes.io/managed-by": "pulumi",
            "erlmcp.io/environment": args.environment,
        }

        namespace = self._namespace()
        self._ns = namespace.metadata.name
        secret = self._secret()
        config = self._config_map()
        account = self._service_account()
        headless = self._headless_service()
        self._network_policies()
        # Before the pods: the readiness gate is injected only if the NLB's Service exists.
        service = self._load_balancer()
        statefulset = self._statefulset(
            config, depends_on=[secret, config, account, headless, service]
        )
        self._disruption_budget()
        if args.hpa is not None:
            self._autoscaler(statefulset, args.hpa)

        self.namespace = self._ns
        self.statefulset_name = statefulset.metadata.name
        self.service_name = service.metadata.name
        self.load_balancer_hostname = service.status.apply(_first_hostname)
        self.register_outputs(
            {
                "namespace": self.namespace,
                "statefulset_name": self.statefulset_name,
                "service_name": self.service_name,
                "load_balancer_hostname": self.load_balancer_hostname,
            }
        )

    # -- helpers -------------------------------------------------------------------------------

    def _opts(self, depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(
            parent=self, provider=self._args.provider, depends_on=list(depends_on)
        )

    def _metadata(self, name: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "namespace": self._ns, "labels": self._labels, **extra}

    @property
    def _versioned_labels(self) -> dict[str, str]:
        """The version is the StatefulSet's alone: a rollout changes nothing else."""
        return {**self._labels, "app.kubernetes.io/version": self._args.version}

    # -- objects -------------------------------------------------------------------------------

    def _namespace(self) -> k8s.core.v1.Namespace:
        restricted = {
            f"pod-security.kubernetes.io/{mode}": "restricted"
            for mode in ("enforce", "audit", "warn")
        }
        return k8s.core.v1.Namespace(
            f"{self._name}-namespace",
            metadata={
                "name": self._args.namespace,
                "labels": {
                    **self._labels,
                    **restricted,
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    **READINESS_GATE_INJECT,
                },
            },
            opts=self._opts(),
        )

    def _secret(self) -> k8s.core.v1.Secret:
        args = self._args
        values = {
            "db-password": args.db_password,
            "erlang-cookie": args.erlang_cookie,
            "jwt-secret": args.jwt_secret,
            "redis-auth-token": args.redis_auth_token,
        }
        # Secret even when a caller hands in a plain string: the state must never hold them clear.
        return k8s.core.v1.Secret(
            f"{self._name}-secrets",
            metadata=self._metadata(SECRET_NAME),
            type="Opaque",
            string_data={key: pulumi.Output.secret(value) for key, value in values.items()},
            opts=self._opts(),
        )

    def _config_data(self) -> dict[str, pulumi.Input[str]]:
        args = self._args
        return {
            "ERLMCP_ENV": args.environment,
            "ERLMCP_REGION": args.region,
            "ERLMCP_DB_HOST": args.db_host,
            "ERLMCP_DB_NAME": args.db_name,
            "ERLMCP_DB_USER": args.db_user,
            "ERLMCP_REDIS_HOST": args.redis_host,
            "ERLMCP_REDIS_PORT": str(REDIS_PORT),
            "ERLMCP_REDIS_TLS": "true",
            "OTEL_EXPORTER_OTLP_ENDPOINT": args.otel_endpoint,
            "LOG_LEVEL": args.log_level,
        }

    def _config_map(self) -> k8s.core.v1.ConfigMap:
        return k8s.core.v1.ConfigMap(
            f"{self._name}-config",
            metadata=self._metadata(CONFIG_MAP_NAME),
            data=self._config_data(),
            opts=self._opts(),
        )

    def _service_account(self) -> k8s.core.v1.ServiceAccount:
        annotations = {
            "eks.amazonaws.com/role-arn": self._args.service_account_role_arn,
            "eks.amazonaws.com/sts-regional-endpoints": "true",
        }
        return k8s.core.v1.ServiceAccount(
            f"{self._name}-service-account",
            metadata=self._metadata(SERVICE_ACCOUNT_NAME, annotations=annotations),
            automount_service_account_token=False,
            opts=self._opts(),
        )

    def _headless_service(self) -> k8s.core.v1.Service:
        ports = [
            {"name": "epmd", "port": EPMD_PORT, "target_port": "epmd", "protocol": "TCP"},
            *(
                {"name": f"dist-{p}", "port": p, "target_port": f"dist-{p}", "protocol": "TCP"}
                for p in dist_ports()
            ),
            {"name": "http", "port": HTTP_PORT, "target_port": "http", "protocol": "TCP"},
        ]
        return k8s.core.v1.Service(
            f"{self._name}-headless",
            metadata=self._metadata(HEADLESS_SERVICE_NAME),
            spec={
                "cluster_ip": "None",
                # Erlang nodes must resolve each other while they start, before they are ready.
                "publish_not_ready_addresses": True,
                "selector": self._selector,
                "ports": ports,
            },
            opts=self._opts(),
        )

    # -- the StatefulSet -----------------------------------------------------------------------

    def _statefulset(
        self, config: k8s.core.v1.ConfigMap, depends_on: Sequence[pulumi.Resource]
    ) -> k8s.apps.v1.StatefulSet:
        # Pods read the ConfigMap only at start: a hash of it in the template rolls them on change.
        config_hash = pulumi.Output.json_dumps(self._config_data()).apply(
            lambda text: hashlib.sha256(text.encode()).hexdigest()
        )
        spec: dict[str, Any] = {
            "service_name": HEADLESS_SERVICE_NAME,
            "replicas": self._args.replicas,
            "pod_management_policy": "Parallel",
            "selector": {"match_labels": self._selector},
            "update_strategy": {
                "type": "RollingUpdate",
                "rolling_update": {"partition": self._args.update_partition},
            },
            "min_ready_seconds": self._args.min_ready_seconds,
            "revision_history_limit": 10,
            "template": {
                "metadata": {
                    "labels": self._versioned_labels,
                    "annotations": {
                        "erlmcp.io/config-sha256": config_hash,
                        "kubectl.kubernetes.io/default-container": CONTAINER_NAME,
                        **self._args.pod_annotations,
                    },
                },
                "spec": pod_spec(self._args, self._selector, self._config_data().keys()),
            },
        }
        opts = self._opts(depends_on)
        if self._args.ready_timeout_minutes is not None:
            # pulumi-kubernetes waits for the updated pods to be Ready within the update's
            # timeout; a canary that never becomes Ready fails the update.
            timeout = f"{self._args.ready_timeout_minutes}m"
            opts = pulumi.ResourceOptions.merge(
                opts,
                pulumi.ResourceOptions(
                    custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout)
                ),
            )
        annotations: dict[str, str] = {}
        if self._args.hpa is not None and not self._args.starts_from_zero:
            opts = pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(ignore_changes=["spec.replicas"])
            )
        else:
            # The count is ours: after an HPA stage (a fence or a drain) the HPA controller
            # still owns `.spec.replicas`, and a plain server-side apply would stop on that
            # field conflict instead of scaling.
            annotations["pulumi.com/patchForce"] = "true"
        if self._args.update_partition > 0:
            annotations["pulumi.com/waitFor"] = canary_ready(
                self._args.replicas, self._args.update_partition
            )
        if not self._args.await_ready:
            # pulumi-kubernetes skips its readiness await for an object carrying this annotation
            # (provider/pkg/metadata/overrides.go, `SkipAwaitLogic`); pods start all the same.
            annotations["pulumi.com/skipAwait"] = "true"
        return k8s.apps.v1.StatefulSet(
            f"{self._name}-statefulset",
            metadata=self._metadata(
                STATEFULSET_NAME, labels=self._versioned_labels, annotations=annotations
            )
            if annotations
            else self._metadata(STATEFULSET_NAME, labels=self._versioned_labels),
            spec=spec,
            opts=opts,
        )

    def _disruption_budget(self) -> k8s.policy.v1.PodDisruptionBudget:
        return k8s.policy.v1.PodDisruptionBudget(
            f"{self._name}-pdb",
            metadata=self._metadata(APP),
            spec={
                "max_unavailable": 1,
                "selector": {"match_labels": self._selector},
                # A crash-looping pod must not block node drains during an incident.
                "unhealthy_pod_eviction_policy": "AlwaysAllow",
            },
            opts=self._opts(),
        )

    def _autoscaler(
        self, statefulset: k8s.apps.v1.StatefulSet, hpa: HpaSettings
    ) -> k8s.autoscaling.v2.HorizontalPodAutoscaler:
        return k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{self._name}-hpa",
            metadata=self._metadata(APP),
            spec={
                "scale_target_ref": {
                    "api_version": "apps/v1",
                    "kind": "StatefulSet",
                    "name": statefulset.metadata.name,
                },
                "min_replicas": hpa.min_replicas,
                "max_replicas": hpa.max_replicas,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {
                                "type": "Utilization",
                                "average_utilization": hpa.target_cpu_percent,
                            },
                        },
                    }
                ],
                # Erlang nodes leave the cluster one at a time, handing their sessions over.
                "behavior": {
                    "scale_down": {
                        "stabilization_window_seconds": 300,
                        "policies": [{"type": "Pods", "value": 1, "period_seconds": 60}],
                    }
                },
            },
            opts=self._opts([statefulset]),
        )

    def _load_balancer(self) -> k8s.core.v1.Service:
        args = self._args
        annotations: dict[str, pulumi.Input[str]] = {
            **nlb_service_annotations(
                args.tls_certificate_arn, [HTTPS_PORT, MCP_PORT], HTTP_PORT, "/health"
            ),
            # IP targets see the NLB's own address unless the client's is kept.
            f"{_LB_ANNOTATION}target-group-attributes": "preserve_client_ip.enabled=true",
        }
        return k8s.core.v1.Service(
            f"{self._name}-service",
            metadata=self._metadata(SERVICE_NAME, annotations=annotations),
            spec={
                "type": "LoadBalancer",
                "load_balancer_class": LOAD_BALANCER_CLASS,
                "external_traffic_policy": "Local",
                "load_balancer_source_ranges": list(args.load_balancer_source_cidrs),
                "selector": self._selector,
                "ports": [
                    {"name": "https", "port": HTTPS_PORT, "target_port": "http", "protocol": "TCP"},
                    {"name": "mcp-tls", "port": MCP_PORT, "target_port": "mcp", "protocol": "TCP"},
                ],
            },
            opts=pulumi.ResourceOptions.merge(
                self._opts(), pulumi.ResourceOptions(replace_on_changes=["spec.loadBalancerClass"])
            ),
        )

    # -- network policy ------------------------------------------------------------------------

    def _network_policies(self) -> None:
        k8s.networking.v1.NetworkPolicy(
            f"{self._name}-default-deny",
            metadata=self._metadata("default-deny-all"),
            spec={"pod_selector": {}, "policy_types": ["Ingress", "Egress"]},
            opts=self._opts(),
        )
        k8s.networking.v1.NetworkPolicy(
            f"{self._name}-network-policy",
            metadata=self._metadata(APP),
            spec={
                "pod_selector": {"match_labels": self._selector},
                "policy_types": ["Ingress", "Egress"],
                "ingress": ingress_rules(
                    self._selector,
                    self._args.monitoring_namespace,
                    self._args.metrics_scraper_cidrs,
                ),
                "egress": egress_rules(self._selector, self._args.otel_endpoint),
            },
            opts=self._opts(),
        )


def canary_ready(replicas: int, partition: int) -> str:
    """What "ready" means for a canary. pulumi-kubernetes' own StatefulSet await succeeds only
    once `.status.currentRevision` equals `.status.updateRevision`
    (provider/pkg/await/statefulset.go, lines 189 and 434), which the StatefulSet controller
    sets only when every pod is updated: under a partition, never. The `pulumi.com/waitFor`
    annotation replaces that await (provider/pkg/metadata/overrides.go, `ReadyCondition`): the
    canary's ordinals run the new revision and every pod is available (Ready for
    minReadySeconds). `replicas` must be the count the StatefulSet runs: with an HPA, the one
    the rollout driver read when the canary began (regions/rollout.py `release_pods`). An HPA
    that scales during the wait fails it, and the driver rolls the step back."""
    return json.dumps(
        [
            f"jsonpath={{.status.updatedReplicas}}={replicas - partition}",
            f"jsonpath={{.status.availableReplicas}}={replicas}",
        ]
    )


def _first_hostname(status: Any) -> str | None:
    """The NLB's DNS name once the cloud provider has published it (unknown in a preview)."""
    ingress = getattr(getattr(status, "load_balancer", None), "ingress", None) or []
    return ingress[0].hostname if ingress else None
