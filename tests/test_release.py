"""ErlmcpRelease: the Kubernetes objects it renders, their security settings, and their schema."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import kubernetes_validate
import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.release import ErlmcpRelease
from components.release_args import ErlmcpReleaseArgs, HpaSettings, PodResources
from offline.recorder import RecordedResource, RecordedStack, is_secret
from planning.replacements import replacing_changes
from tests.conftest import assert_parented_under, is_secret_output, k8s_provider

COMPONENT = "erlmcp:components:ErlmcpRelease"
NAMESPACE = "kubernetes:core/v1:Namespace"
SECRET = "kubernetes:core/v1:Secret"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
SERVICE = "kubernetes:core/v1:Service"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

NAME = "us-east-1-erlmcp"
ROLE_ARN = "arn:aws:iam::123456789012:role/erlmcp-prod-us-east-1"
CERT_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-4333-8444-555555555555"
DB_HOST = "erlmcp-prod-us-east-1.cabcdefghijk.us-east-1.rds.amazonaws.com"
REDIS_HOST = "master.erlmcp-prod-us-east-1.abc123.use1.cache.amazonaws.com"
SECRETS = {
    "db_password": "db-password-5f1e9c7a",
    "redis_auth_token": "redis-token-0b8d2e4f6a1c3e5g7i9k",
    "erlang_cookie": "erlang-cookie-9a7c5e3b1d",
    "jwt_secret": "jwt-secret-4d6f8h0j2l",
}
BRIEF_ENV = (  # runbook §13.1
    "ERLMCP_ENV",
    "ERLMCP_REGION",
    "ERLMCP_DB_HOST",
    "ERLMCP_DB_NAME",
    "ERLMCP_DB_USER",
    "ERLMCP_DB_PASSWORD",
    "ERLANG_COOKIE",
    "ERLMCP_JWT_SECRET",  # the runbook says JWT_SECRET; erlmcp reads this name (release.py)
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "LOG_LEVEL",
)
DIGEST = "sha256:" + "0123456789abcdef" * 4
SELECTOR = {"app.kubernetes.io/name": "erlmcp", "app.kubernetes.io/instance": "erlmcp-prod"}
LB = "service.beta.kubernetes.io/aws-load-balancer-"


def cluster_provider() -> k8s.Provider:
    return k8s_provider("c", "us-east-1")


def release_args(provider: k8s.Provider, **overrides: Any) -> ErlmcpReleaseArgs:
    values: dict[str, Any] = {
        "provider": provider,
        "namespace": "erlmcp-prod",
        "region": "us-east-1",
        "environment": "prod",
        "image": "ghcr.io/seanchatmangpt/erlmcp",
        "version": "3.0.0",
        "image_digest": DIGEST,
        "replicas": 3,
        "hpa": HpaSettings(min_replicas=3, max_replicas=20, target_cpu_percent=70),
        "resources": PodResources(
            cpu_request="1", memory_request="2Gi", cpu_limit="4", memory_limit="8Gi"
        ),
        "db_host": DB_HOST,
        "db_name": "erlmcp",
        "db_user": "erlmcp",
        "redis_host": REDIS_HOST,
        "otel_endpoint": "http://otel-collector.observability:4317",
        "service_account_role_arn": ROLE_ARN,
        "tls_certificate_arn": CERT_ARN,
        # Plain strings on purpose: the component itself must keep them out of the clear.
        **SECRETS,
    }
    values.update(overrides)
    return ErlmcpReleaseArgs(**values)


def build(
    record: Callable[..., RecordedStack], name: str = NAME, **overrides: Any
) -> RecordedStack:
    def program() -> None:
        release = ErlmcpRelease(name, release_args(cluster_provider(), **overrides))
        pulumi.export("namespace", release.namespace)
        pulumi.export("statefulset_name", release.statefulset_name)
        pulumi.export("service_name", release.service_name)
        pulumi.export("load_balancer_hostname", release.load_balancer_hostname)

    return record(program)


@pytest.fixture
def stack(record) -> RecordedStack:
    return build(record)


@pytest.fixture
def standby(record) -> RecordedStack:
    return build(record, name="us-west-2-standby-of-us-east-1-erlmcp", replicas=0, hpa=None)


def spec_of(stack: RecordedStack, type_: str, suffix: str) -> dict[str, Any]:
    return stack.one(type_, f"{NAME}-{suffix}").plain_inputs["spec"]


def pod_spec(stack: RecordedStack) -> dict[str, Any]:
    return spec_of(stack, STATEFULSET, "statefulset")["template"]["spec"]


def container(stack: RecordedStack) -> dict[str, Any]:
    (only,) = pod_spec(stack)["containers"]
    return only


def env_by_name(stack: RecordedStack) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in container(stack)["env"]}


def network_policy(stack: RecordedStack) -> dict[str, Any]:
    return spec_of(stack, NETWORK_POLICY, "network-policy")


def rule_ports(rule: dict[str, Any]) -> set[tuple[str, int, int | None]]:
    return {(p["protocol"], int(p["port"]), p.get("endPort")) for p in rule["ports"]}


def kubernetes_objects(stack: RecordedStack) -> list[RecordedResource]:
    return [r for r in stack.resources if r.type.startswith("kubernetes:")]


# -- what is created, where ----------------------------------------------------------------------


def test_creates_each_object_once_under_the_component(stack):
    assert_parented_under(stack, COMPONENT, NAME)
    expected = {
        (NAMESPACE, "namespace"),
        (SECRET, "secrets"),
        (CONFIG_MAP, "config"),
        (SERVICE_ACCOUNT, "service-account"),
        (SERVICE, "headless"),
        (SERVICE, "service"),
        (STATEFULSET, "statefulset"),
        (PDB, "pdb"),
        (HPA, "hpa"),
        (NETWORK_POLICY, "default-deny"),
        (NETWORK_POLICY, "network-policy"),
    }
    created = {(r.type, r.name.removeprefix(f"{NAME}-")) for r in kubernetes_objects(stack)}
    assert created == expected
    component = stack.one(COMPONENT, NAME)
    assert all(r.parent == component.urn for r in kubernetes_objects(stack))


def test_every_object_goes_through_the_given_cluster_provider(stack):
    provider = stack.one("pulumi:providers:kubernetes", "test-k8s")
    for resource in kubernetes_objects(stack):
        assert resource.provider is not None
        assert resource.provider.startswith(provider.urn), resource.name
        assert resource.region == "us-east-1", resource.name


def test_objects_have_the_runbook_names_in_the_namespace(stack):
    names = {
        r.type + "/" + r.plain_inputs["metadata"]["name"]
        for r in kubernetes_objects(stack)
        if r.type != NAMESPACE
    }
    assert {
        f"{SECRET}/erlmcp-secrets",
        f"{CONFIG_MAP}/erlmcp-config",
        f"{SERVICE_ACCOUNT}/erlmcp",
        f"{SERVICE}/erlmcp-headless",
        f"{SERVICE}/erlmcp",
        f"{STATEFULSET}/erlmcp-cluster",
    } <= names
    for resource in kubernetes_objects(stack):
        if resource.type != NAMESPACE:
            assert resource.plain_inputs["metadata"]["namespace"] == "erlmcp-prod", resource.name


def test_namespace_enforces_the_restricted_pod_security_standard(stack):
    metadata = stack.one(NAMESPACE, f"{NAME}-namespace").plain_inputs["metadata"]
    assert metadata["name"] == "erlmcp-prod"
    for mode in ("enforce", "audit", "warn"):
        assert metadata["labels"][f"pod-security.kubernetes.io/{mode}"] == "restricted"


def test_namespace_asks_the_lb_controller_for_pod_readiness_gates(stack):
    # IP targets: a pod is Ready only once the NLB sees it healthy (components/lb_controller.py).
    labels = stack.one(NAMESPACE, f"{NAME}-namespace").plain_inputs["metadata"]["labels"]
    assert labels["elbv2.k8s.aws/pod-readiness-gate-inject"] == "enabled"


def test_the_pods_are_created_after_the_service_so_they_get_the_gate(stack):
    # The webhook injects the gate only for a Service (TargetGroupBinding) that already exists.
    service = stack.one(SERVICE, f"{NAME}-service")
    assert service.urn in stack.one(STATEFULSET, f"{NAME}-statefulset").dependencies


def test_labelling_an_existing_namespace_updates_it_in_place(stack):
    # pulumi-kubernetes replaces a Namespace only for its name (planning/replacements.py).
    namespace = stack.one(NAMESPACE, f"{NAME}-namespace")
    after = namespace.plain_inputs
    before = copy.deepcopy(after)
    del before["metadata"]["labels"]["elbv2.k8s.aws/pod-readiness-gate-inject"]
    assert before != after
    assert replacing_changes(NAMESPACE, before, after, tuple(namespace.replace_on_changes)) == []


def test_caller_labels_reach_every_object_but_cannot_change_the_selector(record):
    stack = build(
        record, labels={"erlmcp.io/region": "us-east-1", "app.kubernetes.io/name": "other"}
    )
    for resource in kubernetes_objects(stack):
        labels = resource.plain_inputs["metadata"]["labels"]
        assert labels["erlmcp.io/region"] == "us-east-1", resource.name
        assert labels["app.kubernetes.io/name"] == "erlmcp", resource.name
    template_labels = spec_of(stack, STATEFULSET, "statefulset")["template"]["metadata"]["labels"]
    assert template_labels["erlmcp.io/region"] == "us-east-1"


# -- secrets and configuration ---------------------------------------------------------------------


def test_secret_has_the_four_keys_and_its_data_is_secret(stack):
    secret = stack.one(SECRET, f"{NAME}-secrets")
    assert is_secret(secret.inputs["stringData"])
    assert secret.plain_inputs["stringData"] == {
        "db-password": SECRETS["db_password"],
        "erlang-cookie": SECRETS["erlang_cookie"],
        "jwt-secret": SECRETS["jwt_secret"],
        "redis-auth-token": SECRETS["redis_auth_token"],
    }
    assert secret.plain_inputs["type"] == "Opaque"


def test_the_component_itself_hands_every_secret_value_over_as_a_secret(record, handed_to):
    # The plain strings of SECRETS go in; the component must wrap each one, not rely on
    # pulumi-kubernetes marking `string_data` secret.
    handed = handed_to(k8s.core.v1.Secret, "string_data")
    build(record)
    [string_data] = handed
    assert sorted(string_data) == ["db-password", "erlang-cookie", "jwt-secret", "redis-auth-token"]
    assert all(is_secret_output(value) for value in string_data.values())


def _clear_strings(value: Any) -> Iterator[str]:
    """Every string in a recorded value that is not inside a secret wrapper."""
    if is_secret(value):
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _clear_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _clear_strings(item)
    elif isinstance(value, str):
        yield value


def test_no_secret_value_appears_in_the_clear_in_any_recorded_input(stack, standby):
    for recorded in (stack, standby):
        for resource in recorded.resources:
            for text in _clear_strings(resource.inputs):
                for secret in SECRETS.values():
                    assert secret not in text, f"{secret!r} in clear in {resource.name}"


def test_config_map_holds_the_non_secret_environment(stack):
    data = stack.one(CONFIG_MAP, f"{NAME}-config").plain_inputs["data"]
    assert data == {
        "ERLMCP_ENV": "prod",
        "ERLMCP_REGION": "us-east-1",
        "ERLMCP_DB_HOST": DB_HOST,
        "ERLMCP_DB_NAME": "erlmcp",
        "ERLMCP_DB_USER": "erlmcp",
        "ERLMCP_REDIS_HOST": REDIS_HOST,
        "ERLMCP_REDIS_PORT": "6379",
        "ERLMCP_REDIS_TLS": "true",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector.observability:4317",
        "LOG_LEVEL": "info",
    }


def test_container_gets_the_whole_brief_environment(stack):
    env = env_by_name(stack)
    assert set(BRIEF_ENV) <= set(env)
    assert {"ERLMCP_REDIS_HOST", "ERLMCP_REDIS_PORT", "ERLMCP_REDIS_TLS"} <= set(env)
    for name in BRIEF_ENV:
        assert "value" not in env[name], f"{name} should come from the ConfigMap or the Secret"


def test_secret_environment_comes_from_the_secret_by_key(stack):
    env = env_by_name(stack)
    expected = {
        "ERLMCP_DB_PASSWORD": "db-password",
        "ERLANG_COOKIE": "erlang-cookie",
        "ERLMCP_JWT_SECRET": "jwt-secret",
        "ERLMCP_REDIS_PASSWORD": "redis-auth-token",
    }
    for name, key in expected.items():
        assert env[name]["valueFrom"] == {"secretKeyRef": {"name": "erlmcp-secrets", "key": key}}
    assert env["ERLMCP_DB_HOST"]["valueFrom"] == {
        "configMapKeyRef": {"name": "erlmcp-config", "key": "ERLMCP_DB_HOST"}
    }


def test_erlang_node_name_is_the_pods_headless_service_name(stack):
    env = list(env_by_name(stack))
    entries = env_by_name(stack)
    assert entries["POD_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert entries["ERLMCP_NODE_NAME"]["value"] == (
        "erlmcp@$(POD_NAME).erlmcp-headless.$(POD_NAMESPACE).svc.cluster.local"
    )
    # Kubernetes only expands $(VAR) for variables defined earlier in the list.
    assert env.index("POD_NAME") < env.index("ERLMCP_NODE_NAME")
    assert env.index("POD_NAMESPACE") < env.index("ERLMCP_NODE_NAME")
    assert "inet_dist_listen_min 9100 inet_dist_listen_max 9105" in entries["ERL_AFLAGS"]["value"]


def test_pods_roll_when_the_configuration_changes(record):
    def config_hash(stack: RecordedStack) -> str:
        template = spec_of(stack, STATEFULSET, "statefulset")["template"]
        return template["metadata"]["annotations"]["erlmcp.io/config-sha256"]

    first = config_hash(build(record))
    assert config_hash(build(record)) == first
    assert config_hash(build(record, db_host="promoted.example.internal")) != first


# -- identity ------------------------------------------------------------------------------------


def test_service_account_carries_the_irsa_role_and_no_token_is_mounted(stack):
    account = stack.one(SERVICE_ACCOUNT, f"{NAME}-service-account").plain_inputs
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == ROLE_ARN
    assert account["automountServiceAccountToken"] is False
    spec = pod_spec(stack)
    assert spec["serviceAccountName"] == "erlmcp"
    assert spec["automountServiceAccountToken"] is False


# -- services ------------------------------------------------------------------------------------


def test_headless_service_publishes_every_pod_for_erlang_distribution(stack):
    spec = spec_of(stack, SERVICE, "headless")
    assert spec["clusterIP"] == "None"
    assert spec["publishNotReadyAddresses"] is True
    assert spec["selector"] == SELECTOR
    ports = {int(p["port"]): p["name"] for p in spec["ports"]}
    assert ports == {
        4369: "epmd",
        **{p: f"dist-{p}" for p in range(9100, 9106)},
        8080: "http",
    }


def test_load_balancer_is_the_controllers_nlb_terminating_tls_with_the_certificate(stack):
    service = stack.one(SERVICE, f"{NAME}-service")
    inputs = service.plain_inputs
    annotations = inputs["metadata"]["annotations"]
    # The AWS Load Balancer Controller serves it, not the in-tree cloud provider.
    assert inputs["spec"]["loadBalancerClass"] == "service.k8s.aws/nlb"
    assert f"{LB}type" not in annotations
    assert annotations[f"{LB}scheme"] == "internet-facing"
    assert annotations[f"{LB}nlb-target-type"] == "ip"
    assert annotations[f"{LB}ssl-cert"] == CERT_ARN
    assert annotations[f"{LB}ssl-ports"] == "443,5005"
    assert annotations[f"{LB}ssl-negotiation-policy"].startswith("ELBSecurityPolicy-TLS13-1-2")
    assert (annotations[f"{LB}healthcheck-port"], annotations[f"{LB}healthcheck-path"]) == (
        "8080",
        "/health",
    )
    assert annotations[f"{LB}attributes"] == "load_balancing.cross_zone.enabled=true"
    assert annotations[f"{LB}target-group-attributes"] == "preserve_client_ip.enabled=true"
    # Kubernetes refuses to change the class of an existing Service: a change replaces it.
    assert service.replace_on_changes == ["spec.loadBalancerClass"]


def test_load_balancer_ports_source_ranges_and_traffic_policy(record):
    stack = build(record, load_balancer_source_cidrs=("198.51.100.0/24", "203.0.113.0/24"))
    spec = spec_of(stack, SERVICE, "service")
    assert spec["type"] == "LoadBalancer"
    assert spec["externalTrafficPolicy"] == "Local"
    assert spec["loadBalancerSourceRanges"] == ["198.51.100.0/24", "203.0.113.0/24"]
    assert spec["selector"] == SELECTOR
    ports = {int(p["port"]): (p["name"], p["targetPort"], p["protocol"]) for p in spec["ports"]}
    assert ports == {443: ("https", "http", "TCP"), 5005: ("mcp-tls", "mcp", "TCP")}


def test_load_balancer_is_open_to_everyone_by_default(stack):
    assert spec_of(stack, SERVICE, "service")["loadBalancerSourceRanges"] == ["0.0.0.0/0"]


# -- the StatefulSet -------------------------------------------------------------------------------


def test_statefulset_runs_the_pinned_image_behind_the_headless_service(stack):
    spec = spec_of(stack, STATEFULSET, "statefulset")
    assert spec["serviceName"] == "erlmcp-headless"
    assert spec["podManagementPolicy"] == "Parallel"
    assert spec["selector"] == {"matchLabels": SELECTOR}
    assert container(stack)["image"] == f"ghcr.io/seanchatmangpt/erlmcp:3.0.0@{DIGEST}"
    ports = {p["name"]: int(p["containerPort"]) for p in container(stack)["ports"]}
    assert ports == {
        "http": 8080,
        "mcp": 5005,
        "metrics": 9090,
        "epmd": 4369,
        **{f"dist-{p}": p for p in range(9100, 9106)},
    }
    assert pod_spec(stack)["terminationGracePeriodSeconds"] >= 30


def test_autoscaled_statefulset_starts_at_replicas_then_leaves_them_to_the_hpa(stack):
    statefulset = stack.one(STATEFULSET, f"{NAME}-statefulset")
    assert statefulset.plain_inputs["spec"]["replicas"] == 3
    assert statefulset.ignore_changes == ["spec.replicas"]
    assert "annotations" not in statefulset.plain_inputs["metadata"]


def test_a_release_without_hpa_forces_its_count_back_from_the_hpa_controller(standby):
    statefulset = standby.one(STATEFULSET, "us-west-2-standby-of-us-east-1-erlmcp-statefulset")
    assert statefulset.plain_inputs["spec"]["replicas"] == 0
    assert statefulset.ignore_changes == []
    assert statefulset.plain_inputs["metadata"]["annotations"] == {"pulumi.com/patchForce": "true"}


def test_a_release_coming_up_from_zero_applies_its_count_despite_the_hpa(record):
    # Kubernetes' HPA does not scale up from 0 replicas, and an ignored count would stay 0.
    stack = build(record, starts_from_zero=True)
    statefulset = stack.one(STATEFULSET, f"{NAME}-statefulset")
    assert statefulset.plain_inputs["spec"]["replicas"] == 3
    assert statefulset.ignore_changes == []
    assert statefulset.plain_inputs["metadata"]["annotations"] == {"pulumi.com/patchForce": "true"}


def test_a_release_whose_pods_cannot_be_ready_yet_is_not_awaited(record):
    stack = build(record, await_ready=False)
    statefulset = stack.one(STATEFULSET, f"{NAME}-statefulset")
    assert statefulset.plain_inputs["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
    # Everything else is as awaited: the pods are the same.
    awaited = build(record).one(STATEFULSET, f"{NAME}-statefulset")
    assert statefulset.plain_inputs["spec"] == awaited.plain_inputs["spec"]


def test_probes_check_health_and_readiness_on_the_http_port(stack):
    main = container(stack)
    assert main["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http", "scheme": "HTTP"}
    assert main["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http", "scheme": "HTTP"}
    startup = main["startupProbe"]
    assert startup["httpGet"]["path"] == "/health"
    # The startup probe, not a liveness delay, gives a slow boot its time.
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 120
    assert "initialDelaySeconds" not in main["livenessProbe"]


def test_resources_are_the_given_requests_and_limits(stack):
    assert container(stack)["resources"] == {
        "requests": {"cpu": "1", "memory": "2Gi"},
        "limits": {"cpu": "4", "memory": "8Gi"},
    }


def test_pod_and_container_are_locked_down(stack):
    pod = pod_spec(stack)["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] == 1000
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    ctx = container(stack)["securityContext"]
    assert ctx["runAsNonRoot"] is True
    assert ctx["runAsUser"] == 1000
    assert ctx["readOnlyRootFilesystem"] is True
    assert ctx["allowPrivilegeEscalation"] is False
    assert ctx["privileged"] is False
    assert ctx["capabilities"] == {"drop": ["ALL"]}
    assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod_spec(stack)["enableServiceLinks"] is False


def test_read_only_root_gets_a_writable_tmp(stack):
    volumes = {v["name"]: v for v in pod_spec(stack)["volumes"]}
    assert "emptyDir" in volumes["tmp"]
    assert {"name": "tmp", "mountPath": "/tmp"} in container(stack)["volumeMounts"]
    env = env_by_name(stack)
    assert env["RELX_OUT_FILE_PATH"]["value"] == "/tmp"
    assert env["ERL_CRASH_DUMP"]["value"].startswith("/tmp/")


def test_pods_spread_hard_across_zones_and_softly_across_hosts(stack):
    spread = {c["topologyKey"]: c for c in pod_spec(stack)["topologySpreadConstraints"]}
    zone = spread["topology.kubernetes.io/zone"]
    assert (zone["maxSkew"], zone["whenUnsatisfiable"]) == (1, "DoNotSchedule")
    assert zone["nodeTaintsPolicy"] == "Honor"
    host = spread["kubernetes.io/hostname"]
    assert (host["maxSkew"], host["whenUnsatisfiable"]) == (1, "ScheduleAnyway")
    for constraint in spread.values():
        assert constraint["labelSelector"] == {"matchLabels": SELECTOR}


def test_disruption_budget_lets_one_pod_go_at_a_time(stack):
    spec = spec_of(stack, PDB, "pdb")
    assert spec["maxUnavailable"] == 1
    assert spec["selector"] == {"matchLabels": SELECTOR}


def test_hpa_scales_the_statefulset_on_cpu(stack):
    spec = spec_of(stack, HPA, "hpa")
    assert spec["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": "erlmcp-cluster",
    }
    assert (spec["minReplicas"], spec["maxReplicas"]) == (3, 20)
    (metric,) = spec["metrics"]
    assert metric["type"] == "Resource"
    assert metric["resource"] == {
        "name": "cpu",
        "target": {"type": "Utilization", "averageUtilization": 70},
    }


# -- standby ---------------------------------------------------------------------------------------


def test_standby_runs_no_pods_and_has_no_hpa(standby):
    name = "us-west-2-standby-of-us-east-1-erlmcp"
    assert_parented_under(standby, COMPONENT, name)
    assert standby.of_type(HPA) == []
    spec = standby.one(STATEFULSET, f"{name}-statefulset").plain_inputs["spec"]
    assert spec["replicas"] == 0
    assert standby.one(STATEFULSET, f"{name}-statefulset").ignore_changes == []
    # Everything else is in place, so a failover is a scale-up and nothing more.
    assert len(standby.of_type(SERVICE)) == 2
    assert len(standby.of_type(NETWORK_POLICY)) == 2
    assert len(standby.of_type(SECRET)) == 1


def test_fixed_size_release_sets_replicas(record):
    stack = build(record, replicas=2, hpa=None)
    statefulset = stack.one(STATEFULSET, f"{NAME}-statefulset")
    assert statefulset.plain_inputs["spec"]["replicas"] == 2
    # Without an HPA the program owns the size: a change in config must reach the cluster.
    assert statefulset.ignore_changes == []
    assert stack.of_type(HPA) == []


# -- network policy --------------------------------------------------------------------------------


def test_namespace_denies_all_traffic_by_default(stack):
    spec = spec_of(stack, NETWORK_POLICY, "default-deny")
    assert spec["podSelector"] == {}
    assert sorted(spec["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in spec and "egress" not in spec


def test_ingress_opens_clients_metrics_and_distribution_only(stack):
    policy = network_policy(stack)
    assert policy["podSelector"] == {"matchLabels": SELECTOR}
    assert sorted(policy["policyTypes"]) == ["Egress", "Ingress"]
    public, metrics, cluster = policy["ingress"]
    assert "from" not in public
    assert rule_ports(public) == {("TCP", 8080, None), ("TCP", 5005, None)}
    assert metrics["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ]
    assert rule_ports(metrics) == {("TCP", 9090, None)}
    assert cluster["from"] == [{"podSelector": {"matchLabels": SELECTOR}}]
    assert rule_ports(cluster) == {("TCP", 4369, None), ("TCP", 9100, 9105)}


def test_egress_opens_dns_data_stores_https_otel_and_distribution_only(stack):
    dns, outbound, cluster = network_policy(stack)["egress"]
    assert dns["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert rule_ports(dns) == {("UDP", 53, None), ("TCP", 53, None)}
    assert rule_ports(outbound) == {
        ("TCP", 5432, None),
        ("TCP", 6379, None),
        ("TCP", 443, None),
        ("TCP", 4317, None),  # the OTLP collector of otel_endpoint
    }
    assert cluster["to"] == [{"podSelector": {"matchLabels": SELECTOR}}]
    assert rule_ports(cluster) == {("TCP", 4369, None), ("TCP", 9100, 9105)}


def test_egress_never_reaches_the_instance_metadata_service(stack):
    _, outbound, _ = network_policy(stack)["egress"]
    blocks = [peer["ipBlock"] for peer in outbound["to"] if "ipBlock" in peer]
    assert blocks == [{"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}]


def test_otel_over_https_opens_no_extra_port(record):
    stack = build(record, otel_endpoint="https://otlp.example.com", monitoring_namespace="prom")
    _, outbound, _ = network_policy(stack)["egress"]
    assert {port for _, port, _ in rule_ports(outbound)} == {443, 5432, 6379}
    metrics = network_policy(stack)["ingress"][1]
    assert metrics["from"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "prom"
    }


def test_a_managed_collector_reaches_the_metrics_port_from_its_subnets(record):
    """A managed Prometheus collector scrapes from network interfaces in the cluster's subnets,
    not from a pod: only an address block lets it through the default-deny policy."""
    stack = build(record, metrics_scraper_cidrs=("10.10.0.0/19", "10.10.32.0/19"))
    public, metrics, cluster = network_policy(stack)["ingress"]
    assert metrics["from"][1:] == [
        {"ipBlock": {"cidr": "10.10.0.0/19"}},
        {"ipBlock": {"cidr": "10.10.32.0/19"}},
    ]
    assert rule_ports(metrics) == {("TCP", 9090, None)}
    assert "from" not in public and rule_ports(public) == {("TCP", 8080, None), ("TCP", 5005, None)}
    assert cluster["from"] == [{"podSelector": {"matchLabels": SELECTOR}}]


# -- outputs ---------------------------------------------------------------------------------------


def test_outputs_name_the_objects_and_the_load_balancer(stack):
    assert stack.outputs["namespace"] == "erlmcp-prod"
    assert stack.outputs["statefulset_name"] == "erlmcp-cluster"
    assert stack.outputs["service_name"] == "erlmcp"
    hostname = stack.outputs["load_balancer_hostname"]
    assert hostname.startswith("erlmcp-")
    assert hostname.endswith(".elb.us-east-1.amazonaws.com")


# -- refused arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize("digest", ["", "sha256:abc", "0123456789abcdef" * 4, "latest"])
def test_an_image_digest_is_required(digest):
    with pytest.raises(ValueError, match="image_digest must be 'sha256:' and 64"):
        release_args(None, image_digest=digest)  # type: ignore[arg-type]


@pytest.mark.parametrize("version", ["latest", ""])
def test_unpinned_version_is_refused(version):
    with pytest.raises(ValueError, match="version"):
        release_args(None, version=version)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"replicas": 0}, "standby"),
        ({"replicas": -1, "hpa": None}, "replicas"),
        ({"replicas": 30}, "outside the hpa range"),
        ({"load_balancer_source_cidrs": ()}, "load_balancer_source_cidrs"),
        ({"load_balancer_source_cidrs": ("10.0.0.0/33",)}, "10.0.0.0/33"),
        ({"metrics_scraper_cidrs": ("10.0.300.0/24",)}, "10.0.300.0/24"),
        ({"namespace": "Erlmcp_Prod"}, "namespace"),
        ({"otel_endpoint": "otel-collector:4317"}, "otel_endpoint"),
    ],
)
def test_inconsistent_arguments_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        release_args(None, **overrides)  # type: ignore[arg-type]


@pytest.mark.parametrize(("low", "high", "cpu"), [(0, 5, 70), (6, 5, 70), (2, 5, 0), (2, 5, 101)])
def test_inconsistent_hpa_settings_are_refused(low, high, cpu):
    with pytest.raises(ValueError, match="hpa"):
        HpaSettings(low, high, cpu)


# -- schema ----------------------------------------------------------------------------------------


def as_manifest(value: Any) -> Any:
    """A recorded input as a manifest: numbers travel as doubles, Kubernetes wants integers."""
    if isinstance(value, dict):
        return {key: as_manifest(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_manifest(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@pytest.mark.parametrize("kubernetes_version", ["1.28", "1.30"])
@pytest.mark.parametrize("case", ["primary", "standby"])
def test_every_manifest_validates_strictly_against_the_kubernetes_schema(
    request, kubernetes_version, case
):
    recorded: RecordedStack = request.getfixturevalue("stack" if case == "primary" else "standby")
    objects = kubernetes_objects(recorded)
    assert len(objects) >= 10
    for resource in objects:
        manifest = as_manifest(resource.plain_inputs)
        assert manifest["apiVersion"] and manifest["kind"]
        try:
            kubernetes_validate.validate(manifest, kubernetes_version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{resource.name}: {error.message} at {list(error.path)}")


def test_the_schema_check_catches_a_misspelt_field(stack):
    manifest = as_manifest(stack.one(STATEFULSET, f"{NAME}-statefulset").plain_inputs)
    manifest["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, "1.30", strict=True)


def test_pod_annotations_go_on_the_pod_template_and_roll_every_pod(record):
    """A secret's new generation is read by pods only at start: the annotation changes the pod
    template, so the StatefulSet restarts every pod onto it (regions/rotation.py)."""
    plain = spec_of(build(record), STATEFULSET, "statefulset")["template"]["metadata"]
    rolled = build(record, pod_annotations={"erlmcp.io/secret-generations": "jwt-secret=2"})
    annotations = spec_of(rolled, STATEFULSET, "statefulset")["template"]["metadata"]["annotations"]
    assert "erlmcp.io/secret-generations" not in plain["annotations"]
    assert annotations["erlmcp.io/secret-generations"] == "jwt-secret=2"
