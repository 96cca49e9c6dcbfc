"""The EksCluster component: a locked-down, encrypted control plane, IRSA, private nodes with
IMDSv2 and encrypted volumes, and a Kubernetes provider that points at the right region."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.eks import (
    CONTROL_PLANE_LOG_TYPES,
    EksCluster,
    EksClusterArgs,
)
from offline.mocks import ACCOUNT_ID
from offline.recorder import RecordedResource, RecordedStack
from tests.conftest import assert_parented_under

REGION = "eu-central-1"
NAME = f"{REGION}-eks"
CLUSTER_NAME = f"erlmcp-prod-{REGION}"
COMPONENT = "erlmcp:components:EksCluster"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/0f0e0d0c-1111-4222-8333-444455556666"
SUBNETS = ["subnet-0private0000000a", "subnet-0private0000000b", "subnet-0private0000000c"]
API_CIDRS = ["198.51.100.0/24", "203.0.113.17/32"]
TAGS = {"project": "erlmcp", "environment": "prod"}

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
GRANT = "aws:kms/grant:Grant"
K8S_PROVIDER = "pulumi:providers:kubernetes"
OUTPUTS = (
    "cluster_name",
    "endpoint",
    "certificate_authority_data",
    "oidc_provider_arn",
    "oidc_issuer_url",
    "cluster_security_group_id",
    "node_role_arn",
    "kubeconfig",
)


def cluster_args(**overrides: Any) -> EksClusterArgs:
    fields: dict[str, Any] = {
        "region": REGION,
        "cluster_name": CLUSTER_NAME,
        "kubernetes_version": "1.30",
        "private_subnet_ids": SUBNETS,
        "kms_key_arn": KEY_ARN,
        "public_access_cidrs": API_CIDRS,
        "node_instance_types": ["m6i.large", "m6a.large"],
        "node_min_size": 2,
        "node_desired_size": 3,
        "node_max_size": 6,
        "node_disk_size_gb": 80,
        "tags": TAGS,
    }
    fields.update(overrides)
    return EksClusterArgs(**fields)


def build(record: Callable[..., RecordedStack], **overrides: Any) -> RecordedStack:
    def program() -> None:
        eks = EksCluster(NAME, cluster_args(**overrides))
        for attribute in OUTPUTS:
            pulumi.export(attribute, getattr(eks, attribute))
        # A workload through the component's provider, as the release component will do.
        k8s.core.v1.Namespace(
            "probe", metadata={"name": "probe"}, opts=pulumi.ResourceOptions(provider=eks.provider)
        )

    return record(program)


@pytest.fixture
def stack(record: Callable[..., RecordedStack]) -> RecordedStack:
    return build(record)


def cluster_of(stack: RecordedStack) -> RecordedResource:
    return stack.one(CLUSTER, f"{NAME}-cluster")


def node_group_of(stack: RecordedStack) -> RecordedResource:
    return stack.one(NODE_GROUP, f"{NAME}-nodes")


def log_group_of(stack: RecordedStack) -> RecordedResource:
    return stack.one(LOG_GROUP, f"{NAME}-control-plane-logs")


def launch_template_of(stack: RecordedStack) -> RecordedResource:
    return stack.one(LAUNCH_TEMPLATE, f"{NAME}-nodes-lt")


def provider_of(stack: RecordedStack) -> RecordedResource:
    return stack.one(K8S_PROVIDER, f"{NAME}-k8s")


def attached_policies(stack: RecordedStack, role: RecordedResource) -> set[str]:
    return {
        a.plain_inputs["policyArn"]
        for a in stack.of_type(ATTACHMENT)
        if a.plain_inputs["role"] == role.outputs["name"]
    }


# -- control plane ---------------------------------------------------------------------------


def test_cluster_has_the_given_name_and_version(stack: RecordedStack) -> None:
    inputs = cluster_of(stack).plain_inputs
    assert inputs["name"] == CLUSTER_NAME
    assert inputs["version"] == "1.30"
    assert inputs["tags"] == TAGS
    assert stack.outputs["cluster_name"] == CLUSTER_NAME


def test_the_control_plane_is_protected_and_the_rest_is_not(stack: RecordedStack) -> None:
    assert cluster_of(stack).protect
    # Node groups, roles and the like are rebuilt freely; only the cluster takes a decision.
    assert [r.name for r in stack.resources if r.protect and r.type != CLUSTER] == []


def test_every_control_plane_log_type_is_enabled(stack: RecordedStack) -> None:
    assert sorted(cluster_of(stack).plain_inputs["enabledClusterLogTypes"]) == sorted(
        ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    )
    assert len(CONTROL_PLANE_LOG_TYPES) == 5


def test_secrets_are_encrypted_with_the_region_key(stack: RecordedStack) -> None:
    assert cluster_of(stack).plain_inputs["encryptionConfig"] == {
        "resources": ["secrets"],
        "provider": {"keyArn": KEY_ARN},
    }


def test_api_endpoint_is_private_and_public_only_to_the_given_cidrs(stack: RecordedStack) -> None:
    vpc_config = cluster_of(stack).plain_inputs["vpcConfig"]
    assert vpc_config["subnetIds"] == SUBNETS
    assert vpc_config["endpointPrivateAccess"] is True
    assert vpc_config["endpointPublicAccess"] is True
    assert vpc_config["publicAccessCidrs"] == API_CIDRS


def test_access_entries_and_aws_auth_both_work(stack: RecordedStack) -> None:
    assert cluster_of(stack).plain_inputs["accessConfig"] == {
        "authenticationMode": "API_AND_CONFIG_MAP",
        "bootstrapClusterCreatorAdminPermissions": True,
    }


@pytest.mark.parametrize(
    "cidrs",
    [[], ["0.0.0.0/0"], ["198.51.100.0/24", "0.0.0.0/0"], ["::/0"]],
    ids=["empty", "anywhere", "anywhere-among-others", "anywhere-v6"],
)
def test_an_api_open_to_everyone_is_refused(cidrs: list[str]) -> None:
    with pytest.raises(ValueError, match="public_access_cidrs"):
        EksCluster(NAME, cluster_args(public_access_cidrs=cidrs))


def test_a_malformed_api_cidr_is_refused() -> None:
    with pytest.raises(ValueError, match=r"public_access_cidrs.*not a CIDR"):
        EksCluster(NAME, cluster_args(public_access_cidrs=["198.51.100.0/33"]))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"node_min_size": 4, "node_desired_size": 3}, "node_min_size"),
        ({"node_desired_size": 7}, "node_desired_size"),
        ({"node_min_size": 0, "node_desired_size": 0, "node_max_size": 0}, "node_max_size"),
        ({"node_instance_types": []}, "node_instance_types"),
        ({"node_disk_size_gb": 10}, "node_disk_size_gb"),
        ({"node_metadata_hop_limit": 0}, "node_metadata_hop_limit"),
        ({"private_subnet_ids": SUBNETS[:1]}, "private_subnet_ids"),
        ({"log_retention_days": 45}, "log_retention_days"),
        ({"cluster_name": "-erlmcp"}, "cluster_name"),
        ({"kubernetes_version": "v1.30"}, "kubernetes_version"),
    ],
)
def test_invalid_arguments_are_refused_by_name(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        EksCluster(NAME, cluster_args(**overrides))


def test_a_cold_standby_may_scale_its_nodes_to_zero(record: Callable[..., RecordedStack]) -> None:
    stack = build(record, node_min_size=0, node_desired_size=0, node_max_size=3)
    assert node_group_of(stack).plain_inputs["scalingConfig"] == {
        "minSize": 0,
        "desiredSize": 0,
        "maxSize": 3,
    }


def test_control_plane_log_group_is_encrypted_and_made_before_the_cluster(
    stack: RecordedStack,
) -> None:
    log_group = log_group_of(stack)
    inputs = log_group.plain_inputs
    assert inputs["name"] == f"/aws/eks/{CLUSTER_NAME}/cluster"
    assert inputs["kmsKeyId"] == KEY_ARN
    assert inputs["retentionInDays"] == 90
    assert inputs["tags"] == TAGS
    assert log_group.urn in cluster_of(stack).dependencies


def test_log_retention_is_configurable(record: Callable[..., RecordedStack]) -> None:
    assert (
        log_group_of(build(record, log_retention_days=365)).plain_inputs["retentionInDays"] == 365
    )


def test_the_stack_keeps_every_clusters_audit_log_a_year(prod_stack: RecordedStack) -> None:
    """The control-plane group holds the Kubernetes audit log: kept a year, as audit trails are
    (regions/region.py CONTROL_PLANE_LOG_RETENTION_DAYS; checkov's CKV_AWS_338)."""
    groups = [r for r in prod_stack.of_type(LOG_GROUP) if r.name.endswith("-control-plane-logs")]
    assert len(groups) == 6
    assert {r.plain_inputs["retentionInDays"] for r in groups} == {365}


def test_cluster_role_is_trusted_by_eks_only_and_holds_the_cluster_policy(
    stack: RecordedStack,
) -> None:
    role = stack.one(ROLE, f"{NAME}-cluster-role")
    trust = json.loads(role.plain_inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "eks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    assert attached_policies(stack, role) == {"arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"}
    assert cluster_of(stack).plain_inputs["roleArn"] == role.outputs["arn"]


def test_cluster_role_may_use_only_the_region_key_for_secrets(stack: RecordedStack) -> None:
    role = stack.one(ROLE, f"{NAME}-cluster-role")
    policy = stack.one("aws:iam/rolePolicy:RolePolicy", f"{NAME}-cluster-role-secrets-key")
    assert policy.plain_inputs["role"] == role.id
    statements = json.loads(policy.plain_inputs["policy"])["Statement"]
    assert {s["Resource"] for s in statements} == {KEY_ARN}
    actions: set[str] = set()
    for statement in statements:
        assert statement["Effect"] == "Allow"
        found = statement["Action"]
        actions.update([found] if isinstance(found, str) else found)
    assert {"kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"} <= actions
    assert not any("*" in action for action in actions)
    [grant] = [s for s in statements if s["Action"] == "kms:CreateGrant"]
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_cluster_waits_for_its_role_policies(stack: RecordedStack) -> None:
    dependencies = set(cluster_of(stack).dependencies)
    policy = stack.one("aws:iam/rolePolicy:RolePolicy", f"{NAME}-cluster-role-secrets-key")
    attachment = stack.one(ATTACHMENT, f"{NAME}-cluster-role-AmazonEKSClusterPolicy")
    assert {policy.urn, attachment.urn} <= dependencies


# -- IRSA ------------------------------------------------------------------------------------


def test_oidc_provider_trusts_the_clusters_issuer_for_sts(stack: RecordedStack) -> None:
    oidc = stack.one(OIDC, f"{NAME}-oidc")
    issuer = cluster_of(stack).outputs["identities"][0]["oidcs"][0]["issuer"]
    assert issuer.startswith(f"https://oidc.eks.{REGION}.amazonaws.com/id/")
    assert oidc.plain_inputs["url"] == issuer
    assert oidc.plain_inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert "thumbprintLists" not in oidc.plain_inputs
    assert stack.outputs["oidc_provider_arn"] == oidc.outputs["arn"]
    assert stack.outputs["oidc_issuer_url"] == issuer.removeprefix("https://")


# -- nodes -----------------------------------------------------------------------------------


def test_node_group_runs_on_private_subnets_with_the_given_sizes(stack: RecordedStack) -> None:
    inputs = node_group_of(stack).plain_inputs
    assert inputs["clusterName"] == CLUSTER_NAME
    assert inputs["subnetIds"] == SUBNETS
    assert inputs["instanceTypes"] == ["m6i.large", "m6a.large"]
    assert inputs["scalingConfig"] == {"minSize": 2, "desiredSize": 3, "maxSize": 6}
    assert inputs["updateConfig"] == {"maxUnavailable": 1}
    assert inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert inputs["version"] == "1.30"
    assert inputs["tags"] == TAGS
    # EKS refuses a disk size next to a launch template; the template holds it.
    assert "diskSize" not in inputs


def test_node_group_launches_from_the_template(stack: RecordedStack) -> None:
    template = launch_template_of(stack)
    assert node_group_of(stack).plain_inputs["launchTemplate"] == {
        "id": template.id,
        "version": str(template.outputs["latestVersion"]),
    }


def test_nodes_require_imdsv2_and_keep_pods_off_the_node_role(stack: RecordedStack) -> None:
    options = launch_template_of(stack).plain_inputs["metadataOptions"]
    assert options["httpTokens"] == "required"
    assert options["httpEndpoint"] == "enabled"
    assert options["httpPutResponseHopLimit"] == 1


def test_metadata_hop_limit_can_be_raised(record: Callable[..., RecordedStack]) -> None:
    template = launch_template_of(build(record, node_metadata_hop_limit=2))
    assert template.plain_inputs["metadataOptions"]["httpPutResponseHopLimit"] == 2


def test_node_root_volumes_are_encrypted_with_the_region_key(stack: RecordedStack) -> None:
    inputs = launch_template_of(stack).plain_inputs
    [mapping] = inputs["blockDeviceMappings"]
    assert mapping["deviceName"] == "/dev/xvda"
    assert mapping["ebs"] == {
        "volumeSize": 80,
        "volumeType": "gp3",
        "encrypted": "true",
        "kmsKeyId": KEY_ARN,
        "deleteOnTermination": "true",
    }
    # EKS must still choose the AMI and attach the cluster security group itself.
    for left_to_eks in ("imageId", "instanceType", "vpcSecurityGroupIds", "networkInterfaces"):
        assert left_to_eks not in inputs


def test_node_instances_and_volumes_carry_the_tags(stack: RecordedStack) -> None:
    specifications = launch_template_of(stack).plain_inputs["tagSpecifications"]
    assert {s["resourceType"] for s in specifications} == {
        "instance",
        "volume",
        "network-interface",
    }
    for specification in specifications:
        assert specification["tags"] == {**TAGS, "Name": f"{CLUSTER_NAME}-node"}


def test_auto_scaling_may_use_the_key_before_nodes_launch(stack: RecordedStack) -> None:
    grant = stack.one(GRANT, f"{NAME}-node-volumes-grant")
    inputs = grant.plain_inputs
    assert inputs["keyId"] == KEY_ARN
    assert inputs["granteePrincipal"] == (
        f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/autoscaling.amazonaws.com/"
        "AWSServiceRoleForAutoScaling"
    )
    assert {"Encrypt", "Decrypt", "GenerateDataKeyWithoutPlaintext", "CreateGrant"} <= set(
        inputs["operations"]
    )
    assert grant.urn in node_group_of(stack).dependencies


def test_node_role_is_trusted_by_ec2_and_holds_the_node_policies(stack: RecordedStack) -> None:
    role = stack.one(ROLE, f"{NAME}-node-role")
    trust = json.loads(role.plain_inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    assert attached_policies(stack, role) == {
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    }
    node_group = node_group_of(stack)
    assert node_group.plain_inputs["nodeRoleArn"] == role.outputs["arn"]
    attachments = [a for a in stack.of_type(ATTACHMENT) if a.name.startswith(f"{NAME}-node-role")]
    assert {a.urn for a in attachments} <= set(node_group.dependencies)
    assert stack.outputs["node_role_arn"] == role.outputs["arn"]


# -- placement, parenting, outputs -----------------------------------------------------------


def test_every_regional_resource_lives_in_the_region_and_iam_stays_global(
    stack: RecordedStack,
) -> None:
    aws_resources = [r for r in stack.resources if r.custom and r.type.startswith("aws:")]
    regional = [r for r in aws_resources if not r.type.startswith("aws:iam/")]
    assert {r.type for r in regional} == {CLUSTER, NODE_GROUP, LOG_GROUP, LAUNCH_TEMPLATE, GRANT}
    for resource in regional:
        assert resource.inputs.get("region") == REGION, resource.name
    for resource in aws_resources:
        if resource.type.startswith("aws:iam/"):
            assert "region" not in resource.inputs, resource.name


def test_children_sit_under_the_component(stack: RecordedStack) -> None:
    component = stack.one(COMPONENT, NAME)
    beneath = {r.urn for r in stack.descendants_of(component.urn)}
    probe = stack.one("kubernetes:core/v1:Namespace", "probe")
    outside = [r.urn for r in stack.resources if r.custom and not r.is_provider and r is not probe]
    assert set(outside) <= beneath
    assert provider_of(stack).parent == component.urn


def test_component_only_parents_its_own(record: Callable[..., RecordedStack]) -> None:
    stack = record(lambda: EksCluster(NAME, cluster_args()))
    assert_parented_under(stack, COMPONENT, NAME)


def test_kubeconfig_authenticates_through_aws_eks_get_token(stack: RecordedStack) -> None:
    kubeconfig = json.loads(provider_of(stack).plain_inputs["kubeconfig"])
    cluster = cluster_of(stack)
    [entry] = kubeconfig["clusters"]
    assert entry["cluster"]["server"] == cluster.outputs["endpoint"]
    assert (
        entry["cluster"]["certificate-authority-data"]
        == (cluster.outputs["certificateAuthority"]["data"])
    )
    [user] = kubeconfig["users"]
    assert user["user"] == {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", CLUSTER_NAME, "--region", REGION],
        }
    }
    assert kubeconfig["current-context"] == CLUSTER_NAME
    assert stack.outputs["kubeconfig"] == provider_of(stack).plain_inputs["kubeconfig"]


def test_workloads_through_the_provider_are_placed_in_the_clusters_region(
    stack: RecordedStack,
) -> None:
    assert stack.one("kubernetes:core/v1:Namespace", "probe").region == REGION


def test_the_provider_waits_for_the_nodes(stack: RecordedStack) -> None:
    assert node_group_of(stack).urn in provider_of(stack).dependencies


def test_outputs_come_from_the_cluster(stack: RecordedStack) -> None:
    cluster = cluster_of(stack)
    assert stack.outputs["endpoint"] == cluster.outputs["endpoint"]
    assert (
        stack.outputs["certificate_authority_data"]
        == (cluster.outputs["certificateAuthority"]["data"])
    )
    assert (
        stack.outputs["cluster_security_group_id"]
        == (cluster.outputs["vpcConfig"]["clusterSecurityGroupId"])
    )
    assert stack.outputs["cluster_security_group_id"].startswith("sg-")
