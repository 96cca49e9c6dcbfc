"""An EKS cluster for one region: encrypted secrets and control-plane logs, a restricted API
endpoint, IRSA, a managed node group on private subnets, and a Kubernetes provider for it."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.eks_addons import NODE_ADDONS, cluster_addons, validate_addons
from components.service_role import service_role

# The values CloudWatch Logs accepts for retention_in_days.
# fmt: off
_RETENTION_DAYS = frozenset({
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
})
# fmt: on
_CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
_KUBERNETES_VERSION = re.compile(r"^1\.\d{1,2}$")
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
NODE_AMI_TYPE = "AL2023_x86_64_STANDARD"
# The root device of the EKS-optimized AL2023 AMIs; the AMI's snapshot is 20 GiB.
_ROOT_DEVICE = "/dev/xvda"
_MIN_DISK_GB = 20
_MANAGED_POLICY = "arn:aws:iam::aws:policy/{}"
CLUSTER_MANAGED_POLICIES = ("AmazonEKSClusterPolicy",)
NODE_MANAGED_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
)
# What EC2 Auto Scaling needs on a customer managed key to launch instances with volumes
# encrypted by it (EC2 Auto Scaling guide, "Required AWS KMS key policy for use with encrypted
# volumes"): its service-linked role has no KMS permissions of its own.
AUTOSCALING_GRANT_OPERATIONS = (
    "Encrypt",
    "Decrypt",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "DescribeKey",
    "CreateGrant",
)
AUTOSCALING_SERVICE = "autoscaling.amazonaws.com"
_AUTOSCALING_ROLE = f"role/aws-service-role/{AUTOSCALING_SERVICE}/AWSServiceRoleForAutoScaling"


@dataclass(frozen=True)
class EksClusterArgs:
    region: str
    cluster_name: str
    """The EKS cluster's name; also names its control-plane log group."""
    kubernetes_version: str
    """Minor version, e.g. "1.30"."""
    private_subnet_ids: Sequence[pulumi.Input[str]]
    """Subnets in at least two availability zones: control-plane ENIs and nodes go here."""
    kms_key_arn: pulumi.Input[str]
    """A symmetric key in `region`: Kubernetes secrets, control-plane logs and node volumes."""
    public_access_cidrs: Sequence[str]
    """The only sources allowed to reach the public API endpoint; never 0.0.0.0/0."""
    node_instance_types: Sequence[str]
    node_min_size: int
    node_desired_size: int
    node_max_size: int
    node_disk_size_gb: int = 50
    node_metadata_hop_limit: int = 1
    """IMDSv2 hop limit. 1 keeps pods (other than host-network ones) away from the node role's
    credentials, so workloads must use IRSA; 2 lets containers reach the node's metadata."""
    log_retention_days: int = 90
    addons: Mapping[str, str] = field(default_factory=dict)
    """EKS add-ons by name and pinned version (components/eks_addons.py): vpc-cni (network
    policies enforced), kube-proxy, coredns, metrics-server."""
    tags: dict[str, str] = field(default_factory=dict)
    global_provider: pulumi.ProviderResource | None = None
    """The AWS provider of the global services, for IAM (None: the one this component inherits)."""
    protect: bool = True
    """`protect` the control plane: deleting it takes every workload with it and ~15 minutes to
    build again, so it takes a deliberate `pulumi state unprotect` first."""


class EksCluster(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    certificate_authority_data: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    """The issuer without `https://`, as IAM trust-policy condition keys spell it."""
    cluster_security_group_id: pulumi.Output[str]
    """The security group EKS attaches to the control plane and to managed nodes."""
    node_role_arn: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    provider: k8s.Provider
    addons: list[aws.eks.Addon]

    def __init__(
        self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate(args)
        super().__init__("erlmcp:components:EksCluster", name, None, opts)
        self._prefix = name
        self._args = args

        cluster_role, cluster_role_policies = self._cluster_role()
        cluster = self._cluster(cluster_role, [*cluster_role_policies, self._log_group()])
        oidc = self._oidc_provider(cluster)
        node_role, node_role_policies = self._node_role()
        addons = {
            "region": args.region,
            "cluster_name": cluster.name,
            "addons": args.addons,
            "tags": args.tags,
        }
        node_addons = cluster_addons(self, name, names=NODE_ADDONS, **addons)
        node_group = self._node_group(cluster, node_role, [*node_role_policies, *node_addons])
        other_addons = cluster_addons(
            self,
            name,
            names=[n for n in args.addons if n not in NODE_ADDONS],
            depends_on=[node_group],
            **addons,
        )
        self.addons = [*node_addons, *other_addons]

        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.endpoint = cluster.endpoint
        self.certificate_authority_data = cluster.certificate_authority.apply(
            lambda authority: authority.data
        )
        self.oidc_provider_arn = oidc.arn
        self.oidc_issuer_url = _issuer(cluster).apply(lambda url: url.removeprefix("https://"))
        self.cluster_security_group_id = cluster.vpc_config.apply(
            lambda config: config.cluster_security_group_id
        )
        self.node_role_arn = node_role.arn
        self.kubeconfig = pulumi.Output.all(
            cluster.endpoint, self.certificate_authority_data, cluster.name
        ).apply(lambda values: json.dumps(kubeconfig(values[0], values[1], values[2], args.region)))
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            # Workloads wait for nodes to exist rather than sit Pending against an empty cluster,
            # and for the add-ons: NetworkPolicies are enforced and HPAs have metrics from the
            # first object on.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[node_group, *self.addons]),
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "endpoint": self.endpoint,
                "certificate_authority_data": self.certificate_authority_data,
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_issuer_url": self.oidc_issuer_url,
                "cluster_security_group_id": self.cluster_security_group_id,
                "node_role_arn": self.node_role_arn,
                "kubeconfig": self.kubeconfig,
            }
        )

    def _child(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _iam(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._args.global_provider)

    # -- control plane -----------------------------------------------------------------------

    def _service_role(
        self, suffix: str, service: str, managed_policies: Sequence[str], description: str
    ) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        """A role only `service` can assume, with AWS-managed policies attached."""
        name = f"{self._prefix}-{suffix}"
        role, attachments = service_role(
            name,
            service=service,
            description=f"{description} of {self._args.cluster_name}",
            managed_policies={
                f"{name}-{policy}": _MANAGED_POLICY.format(policy) for policy in managed_policies
            },
            tags=self._args.tags,
            opts=self._iam(),
        )
        return role, list(attachments)

    def _cluster_role(self) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        """The control plane's role and the policies it must hold before the cluster is created
        (EKS cannot clean up its ENIs and security groups if the role loses them first)."""
        role, attachments = self._service_role(
            "cluster-role", "eks.amazonaws.com", CLUSTER_MANAGED_POLICIES, "EKS control plane"
        )
        key_use = aws.iam.RolePolicy(
            f"{self._prefix}-cluster-role-secrets-key",
            role=role.id,
            policy=pulumi.Output.from_input(self._args.kms_key_arn).apply(
                lambda arn: json.dumps(secrets_key_policy(arn))
            ),
            opts=self._iam(),
        )
        return role, [*attachments, key_use]

    def _log_group(self) -> aws.cloudwatch.LogGroup:
        # EKS writes to this exact name; created first and encrypted, EKS never makes its own.
        return aws.cloudwatch.LogGroup(
            f"{self._prefix}-control-plane-logs",
            region=self._args.region,
            name=f"/aws/eks/{self._args.cluster_name}/cluster",
            retention_in_days=self._args.log_retention_days,
            kms_key_id=self._args.kms_key_arn,
            tags=self._args.tags,
            opts=self._child(),
        )

    def _cluster(self, role: aws.iam.Role, prerequisites: list[pulumi.Resource]) -> aws.eks.Cluster:
        args = self._args
        return aws.eks.Cluster(
            f"{self._prefix}-cluster",
            region=args.region,
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(args.private_subnet_ids),
                endpoint_private_access=True,
                endpoint_public_access=True,
                public_access_cidrs=list(args.public_access_cidrs),
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"],
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=args.kms_key_arn),
            ),
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API_AND_CONFIG_MAP",
                # The identity that runs Pulumi is the one the Kubernetes provider authenticates
                # as (`aws eks get-token`), so it needs cluster-admin through an access entry.
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            tags=args.tags,
            opts=self._child(depends_on=prerequisites, protect=args.protect),
        )

    def _oidc_provider(self, cluster: aws.eks.Cluster) -> aws.iam.OpenIdConnectProvider:
        # No thumbprint: IAM verifies EKS issuers against its own trusted root CAs.
        return aws.iam.OpenIdConnectProvider(
            f"{self._prefix}-oidc",
            url=_issuer(cluster),
            client_id_lists=["sts.amazonaws.com"],
            tags=self._args.tags,
            opts=self._iam(),
        )

    # -- nodes -------------------------------------------------------------------------------

    def _node_role(self) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        return self._service_role(
            "node-role", "ec2.amazonaws.com", NODE_MANAGED_POLICIES, "EKS managed nodes"
        )

    def _volume_key_grant(self) -> aws.kms.Grant:
        """Lets EC2 Auto Scaling launch nodes whose volumes the region key encrypts. KMS refuses
        a grant to a role that does not exist, and AWS makes this one only with the account's
        first Auto Scaling group, after this grant: in a fresh account the erlmcp-state stack
        makes it first (bootstrap/state_store/account.py)."""
        grantee = pulumi.Output.from_input(self._args.kms_key_arn).apply(autoscaling_role_arn)
        return aws.kms.Grant(
            f"{self._prefix}-node-volumes-grant",
            region=self._args.region,
            key_id=self._args.kms_key_arn,
            grantee_principal=grantee,
            operations=list(AUTOSCALING_GRANT_OPERATIONS),
            opts=self._child(),
        )

    def _launch_template(self) -> aws.ec2.LaunchTemplate:
        """IMDSv2 only and encrypted root volumes. No image, instance type or security group is
        set, so EKS still picks the AMI, merges its bootstrap user data and attaches the
        cluster security group."""
        args = self._args
        name = f"{self._prefix}-nodes"
        node_tags = {**args.tags, "Name": f"{args.cluster_name}-node"}
        return aws.ec2.LaunchTemplate(
            f"{name}-lt",
            region=args.region,
            description=f"EKS managed nodes of {args.cluster_name}",
            update_default_version=True,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=args.node_metadata_hop_limit,
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=_ROOT_DEVICE,
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=args.node_disk_size_gb,
                        volume_type="gp3",
                        encrypted="true",
                        kms_key_id=args.kms_key_arn,
                        delete_on_termination="true",
                    ),
                )
            ],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=node_tags)
                for kind in ("instance", "volume", "network-interface")
            ],
            tags={**args.tags, "Name": name},
            opts=self._child(),
        )

    def _node_group(
        self, cluster: aws.eks.Cluster, role: aws.iam.Role, role_policies: list[pulumi.Resource]
    ) -> aws.eks.NodeGroup:
        """Nodes join only with their role's policies in place, and only launch once Auto
        Scaling may use the key of their volumes."""
        args = self._args
        template = self._launch_template()
        grant = self._volume_key_grant()
        return aws.eks.NodeGroup(
            f"{self._prefix}-nodes",
            region=args.region,
            cluster_name=cluster.name,
            # Follows the control plane when its version is raised.
            version=cluster.version,
            node_role_arn=role.arn,
            subnet_ids=list(args.private_subnet_ids),
            ami_type=NODE_AMI_TYPE,
            instance_types=list(args.node_instance_types),
            # The disk size lives in the launch template: EKS rejects both together.
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=args.node_min_size,
                desired_size=args.node_desired_size,
                max_size=args.node_max_size,
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            tags=args.tags,
            opts=self._child(depends_on=[grant, *role_policies]),
        )


def _issuer(cluster: aws.eks.Cluster) -> pulumi.Output[str]:
    return cluster.identities.apply(lambda identities: identities[0].oidcs[0].issuer)


def secrets_key_policy(key_arn: str) -> dict[str, Any]:
    """What EKS needs, as the cluster role, to envelope-encrypt secrets with this key only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "UseTheSecretsKey",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:ListGrants"],
                "Resource": key_arn,
            },
            {
                "Sid": "GrantOnlyToAwsResources",
                "Effect": "Allow",
                "Action": "kms:CreateGrant",
                "Resource": key_arn,
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ],
    }


def autoscaling_role_arn(key_arn: str) -> str:
    """The EC2 Auto Scaling service-linked role of the key's account and partition."""
    parts = key_arn.split(":")
    return account_autoscaling_role_arn(parts[4], partition=parts[1])


def account_autoscaling_role_arn(account_id: str, *, partition: str = "aws") -> str:
    """An account's EC2 Auto Scaling service-linked role: AWS names it, so its ARN is known
    before it exists."""
    return f"arn:{partition}:iam::{account_id}:{_AUTOSCALING_ROLE}"


def kubeconfig(endpoint: str, ca_data: str, cluster_name: str, region: str) -> dict[str, Any]:
    """A kubeconfig that holds no credential: the token comes from `aws eks get-token`."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster_name,
                "cluster": {"server": endpoint, "certificate-authority-data": ca_data},
            }
        ],
        "contexts": [
            {"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}
        ],
        "current-context": cluster_name,
        "users": [
            {
                "name": cluster_name,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": [
                            "eks",
                            "get-token",
                            "--cluster-name",
                            cluster_name,
                            "--region",
                            region,
                        ],
                    }
                },
            }
        ],
    }


def validate(args: EksClusterArgs) -> None:
    _validate_public_access(args.public_access_cidrs)
    validate_addons(args.addons)
    _validate_nodes(args)
    if not _CLUSTER_NAME.match(args.cluster_name):
        raise ValueError(
            f"cluster_name {args.cluster_name!r} must be 1-100 letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    if not _KUBERNETES_VERSION.match(args.kubernetes_version):
        raise ValueError(
            f"kubernetes_version must be a minor version like '1.30', got "
            f"{args.kubernetes_version!r}"
        )
    if len(args.private_subnet_ids) < 2:
        raise ValueError("private_subnet_ids must hold subnets in at least two availability zones")
    if args.log_retention_days not in _RETENTION_DAYS:
        raise ValueError(
            f"log_retention_days {args.log_retention_days} is not a CloudWatch Logs retention; "
            f"use one of {sorted(_RETENTION_DAYS)}"
        )


def _validate_public_access(cidrs: Sequence[str]) -> None:
    if isinstance(cidrs, str) or not cidrs:
        raise ValueError("public_access_cidrs must list at least one CIDR block")
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(cidr)
        except ValueError as error:
            raise ValueError(f"public_access_cidrs: {cidr!r} is not a CIDR block") from error
        if network.prefixlen == 0:
            raise ValueError(
                f"public_access_cidrs must not contain {cidr}: the API endpoint would be open to "
                "the whole internet"
            )


def _validate_nodes(args: EksClusterArgs) -> None:
    if not args.node_instance_types:
        raise ValueError("node_instance_types must list at least one instance type")
    if not 0 <= args.node_min_size <= args.node_desired_size <= args.node_max_size:
        raise ValueError(
            "node sizes must satisfy 0 <= node_min_size <= node_desired_size <= node_max_size, "
            f"got {args.node_min_size}/{args.node_desired_size}/{args.node_max_size}"
        )
    if args.node_max_size < 1:
        raise ValueError("node_max_size must be at least 1")
    if args.node_disk_size_gb < _MIN_DISK_GB:
        raise ValueError(
            f"node_disk_size_gb must be at least {_MIN_DISK_GB} (the AMI's root snapshot), "
            f"got {args.node_disk_size_gb}"
        )
    if not 1 <= args.node_metadata_hop_limit <= 64:
        raise ValueError(
            f"node_metadata_hop_limit must be between 1 and 64, got {args.node_metadata_hop_limit}"
        )
