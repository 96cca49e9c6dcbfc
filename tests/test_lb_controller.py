"""LoadBalancerController: its Helm release, its IRSA role, and the annotations Services use."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from components.lb_controller import (
    IAM_POLICY_FILE,
    LOAD_BALANCER_CLASS,
    READINESS_GATE_INJECT,
    LoadBalancerController,
    LoadBalancerControllerArgs,
    nlb_service_annotations,
)
from offline.mocks import RealisticMocks
from offline.recorder import RecordedResource, RecordedStack, RecordingMonitor
from tests.conftest import assert_parented_under, k8s_provider

COMPONENT = "erlmcp:components:LoadBalancerController"
RELEASE = "kubernetes:helm.sh/v3:Release"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"

NAME = "eu-west-1-lbc"
CLUSTER = "erlmcp-prod-eu-west-1"
VPC = "vpc-0a1b2c3d4e5f60718"
ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/ABC123"
OIDC_ARN = f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"
CERT_ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-4333-8444-555555555555"
# sha256 of kubernetes-sigs/aws-load-balancer-controller docs/install/iam_policy.json at v2.17.1
# (3b9bdb1e3fb2ccd7190f32c665062ff2b5792543): a changed file is a deliberate upgrade.
IAM_POLICY_SHA256 = "16f232c9d9f79366fe949c4550ad517a202380058a9e48d45a4e215044a20a6a"
LB = "service.beta.kubernetes.io/aws-load-balancer-"


def cluster_provider() -> k8s.Provider:
    return k8s_provider(CLUSTER, "eu-west-1")


def build(
    record: Callable[..., RecordedStack],
    *,
    global_provider: bool = True,
    monitor: RecordingMonitor | None = None,
    **overrides: Any,
) -> RecordedStack:
    def program() -> None:
        values: dict[str, Any] = {
            "cluster_name": CLUSTER,
            "region": "eu-west-1",
            "vpc_id": VPC,
            "oidc_provider_arn": OIDC_ARN,
            "oidc_issuer": ISSUER,
            "provider": cluster_provider(),
            "global_provider": (
                aws.Provider("global", region="us-east-1") if global_provider else None
            ),
            "tags": {"service": "erlmcp"},
        }
        values.update(overrides)
        controller = LoadBalancerController(NAME, LoadBalancerControllerArgs(**values))
        pulumi.export("role_arn", controller.role_arn)
        pulumi.export("release_status", controller.release_status)

    kwargs = {"monitor": monitor} if monitor else {}
    return record(program, **kwargs)


@pytest.fixture
def stack(record) -> RecordedStack:
    return build(record)


def release_of(stack: RecordedStack) -> RecordedResource:
    return stack.one(RELEASE, f"{NAME}-release")


def values_of(stack: RecordedStack) -> dict[str, Any]:
    return release_of(stack).plain_inputs["values"]


def role_of(stack: RecordedStack) -> RecordedResource:
    [role] = stack.of_type(ROLE)
    return role


# -- the release -----------------------------------------------------------------------------


def test_release_installs_the_pinned_chart_from_eks_charts(stack):
    inputs = release_of(stack).plain_inputs
    assert inputs["chart"] == "aws-load-balancer-controller"
    assert inputs["repositoryOpts"] == {"repo": "https://aws.github.io/eks-charts"}
    assert inputs["version"] == "1.17.1"
    assert inputs["name"] == "aws-load-balancer-controller"
    assert inputs["namespace"] == "kube-system"
    assert inputs["atomic"] is True
    assert inputs["skipAwait"] is False
    assert inputs["waitForJobs"] is True
    assert inputs["timeout"] == 600
    assert inputs["maxHistory"] == 10


def test_release_version_comes_from_args(record):
    stack = build(record, chart_version="1.18.0")
    assert release_of(stack).plain_inputs["version"] == "1.18.0"


def test_release_knows_its_cluster_without_instance_metadata(stack):
    values = values_of(stack)
    assert values["clusterName"] == CLUSTER
    assert values["region"] == "eu-west-1"
    assert values["vpcId"] == VPC


def test_service_account_is_annotated_with_the_controllers_role(stack):
    account = values_of(stack)["serviceAccount"]
    assert account["create"] is True
    assert account["name"] == "aws-load-balancer-controller"
    role_arn = role_of(stack).outputs["arn"]
    assert role_arn.startswith("arn:aws:iam::123456789012:role/")
    assert account["annotations"] == {"eks.amazonaws.com/role-arn": role_arn}
    assert stack.outputs["role_arn"] == role_arn


def test_controller_only_serves_services_that_ask_for_it(stack):
    values = values_of(stack)
    assert values["enableServiceMutatorWebhook"] is False
    assert values["createIngressClassResource"] is False
    assert values["defaultTargetType"] == "ip"
    # Internal unless a Service says otherwise: the chart's default scheme is kept.
    assert "defaultLoadBalancerScheme" not in values
    assert (values["enableShield"], values["enableWaf"], values["enableWafv2"]) == (
        False,
        False,
        False,
    )


def test_the_pod_readiness_gate_webhook_keeps_the_charts_defaults(stack):
    # Injection on, namespaces selected by READINESS_GATE_INJECT, failurePolicy Ignore (a
    # controller outage never blocks a pod): the chart's defaults at v2.17.1.
    assert READINESS_GATE_INJECT == {"elbv2.k8s.aws/pod-readiness-gate-inject": "enabled"}
    values = values_of(stack)
    overrides = {
        "enablePodReadinessGateInject",
        "webhookNamespaceSelectors",
        "podMutatorWebhookConfig",
    }
    assert overrides.isdisjoint(values)


def test_two_replicas_survive_a_node_drain(stack):
    values = values_of(stack)
    assert values["replicaCount"] == 2
    assert values["podDisruptionBudget"] == {"maxUnavailable": 1}


def test_replicas_come_from_args(record):
    assert values_of(build(record, replicas=3))["replicaCount"] == 3


def test_release_goes_through_the_given_cluster_provider(stack):
    provider = stack.one("pulumi:providers:kubernetes", "test-k8s")
    release = release_of(stack)
    assert release.provider is not None
    assert release.provider.startswith(provider.urn + "::")
    assert release.region == "eu-west-1"


def test_release_waits_for_the_whole_role(stack):
    dependencies = release_of(stack).dependencies
    assert role_of(stack).urn in dependencies
    [policy] = stack.of_type(ROLE_POLICY)
    assert policy.urn in dependencies


def test_release_status_is_exported(record):
    class DeployedRelease(RealisticMocks):
        def new_resource(self, args):
            resource_id, state = super().new_resource(args)
            if args.typ == RELEASE:
                state["status"] = {"status": "deployed", "revision": 1, "version": "1.17.1"}
            return resource_id, state

    stack = build(record, monitor=RecordingMonitor(DeployedRelease()))
    assert stack.outputs["release_status"] == "deployed"


# -- the IAM role ----------------------------------------------------------------------------


def test_role_trusts_only_the_controllers_service_account(stack):
    trust = json.loads(role_of(stack).plain_inputs["assumeRolePolicy"])
    [statement] = trust["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Federated": OIDC_ARN}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            f"{ISSUER}:sub": "system:serviceaccount:kube-system:aws-load-balancer-controller",
            f"{ISSUER}:aud": "sts.amazonaws.com",
        }
    }
    assert role_of(stack).plain_inputs["tags"] == {"service": "erlmcp"}


def test_policy_file_is_the_published_one():
    assert hashlib.sha256(IAM_POLICY_FILE.read_bytes()).hexdigest() == IAM_POLICY_SHA256


def test_role_holds_exactly_the_published_policy(stack):
    [policy] = stack.of_type(ROLE_POLICY)
    published = json.loads(IAM_POLICY_FILE.read_text())
    assert json.loads(policy.plain_inputs["policy"]) == published
    assert policy.plain_inputs["role"] == role_of(stack).outputs["name"]


def test_iam_goes_through_the_global_provider(stack):
    provider = stack.one("pulumi:providers:aws", "global")
    iam = [*stack.of_type(ROLE), *stack.of_type(ROLE_POLICY)]
    assert len(iam) == 2
    for resource in iam:
        assert resource.provider is not None
        assert resource.provider.startswith(provider.urn + "::"), resource.name
        assert "region" not in resource.inputs


def test_without_a_global_provider_iam_inherits_the_callers(record):
    stack = build(record, global_provider=False)
    assert not stack.of_type("pulumi:providers:aws")
    assert len(stack.of_type(ROLE)) == 1


def test_everything_is_parented_under_the_component(stack):
    assert_parented_under(stack, COMPONENT, NAME)


# -- bad arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"chart_version": "v1.17.1"}, r"chart_version must be an exact chart version.*'v1.17.1'"),
        ({"chart_version": "1.17"}, r"chart_version .*'1.17'"),
        ({"chart_version": "^1.17.1"}, r"chart_version .*'\^1.17.1'"),
        ({"chart_version": "latest"}, r"chart_version .*'latest'"),
        ({"chart_version": "1.17.1-rc.1"}, r"chart_version .*'1.17.1-rc.1'"),
        ({"replicas": 0}, r"replicas must be a whole number of at least 1.*got 0"),
        ({"replicas": -2}, r"replicas .*got -2"),
        ({"replicas": True}, r"replicas .*got True"),
        ({"replicas": 2.0}, r"replicas .*got 2.0"),
    ],
    ids=[
        "v-prefix",
        "minor-only",
        "range",
        "latest",
        "prerelease",
        "zero-replicas",
        "negative-replicas",
        "bool-replicas",
        "float-replicas",
    ],
)
def test_bad_arguments_are_refused_before_anything_registers(record, overrides, message):
    monitor = RecordingMonitor(RealisticMocks())
    with pytest.raises(ValueError, match=message):
        build(record, monitor=monitor, **overrides)
    # Only the providers the test itself made: no component, no role, no release.
    assert monitor.recorded
    assert all(r.is_provider for r in monitor.recorded), [r.type for r in monitor.recorded]


# -- what a Service needs ----------------------------------------------------------------------


def test_load_balancer_class_is_the_controllers_nlb_class():
    assert LOAD_BALANCER_CLASS == "service.k8s.aws/nlb"


def test_nlb_annotations_for_an_internet_facing_tls_nlb_with_ip_targets():
    assert nlb_service_annotations(CERT_ARN, [443, 5005], 8080, "/health") == {
        f"{LB}scheme": "internet-facing",
        f"{LB}nlb-target-type": "ip",
        f"{LB}ssl-cert": CERT_ARN,
        f"{LB}ssl-ports": "443,5005",
        f"{LB}ssl-negotiation-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        f"{LB}healthcheck-protocol": "http",
        f"{LB}healthcheck-port": "8080",
        f"{LB}healthcheck-path": "/health",
        # The controller's attribute; not the in-tree cross-zone annotation it deprecated.
        f"{LB}attributes": "load_balancing.cross_zone.enabled=true",
    }


def test_nlb_annotations_take_port_names_and_traffic_port():
    annotations = nlb_service_annotations(CERT_ARN, ["https", "mcp-tls"], "traffic-port", "/")
    assert annotations[f"{LB}ssl-ports"] == "https,mcp-tls"
    assert annotations[f"{LB}healthcheck-port"] == "traffic-port"
    assert all(isinstance(value, str) for value in annotations.values())


@pytest.mark.parametrize(
    ("tls_ports", "port", "path", "message"),
    [
        ("443,5005", 8080, "/health", "tls_ports must list"),
        ([], 8080, "/health", "tls_ports must list"),
        ([443, 70000], 8080, "/health", "tls_ports: 70000"),
        ([443, "Not A Name"], 8080, "/health", "tls_ports: 'Not A Name'"),
        ([443], 0, "/health", "health_check_port: 0"),
        ([443], "http", "/health", "health_check_port: 'http'"),
        ([443], 8080, "health", "health_check_path must start with '/'"),
    ],
)
def test_nlb_annotations_refuse_bad_ports_and_paths(tls_ports, port, path, message):
    with pytest.raises(ValueError, match=message):
        nlb_service_annotations(CERT_ARN, tls_ports, port, path)
