"""The recorded stack in the shapes checkov reads: Kubernetes manifests, and the AWS resources as
a Terraform plan JSON (`terraform show -json` shape).

pulumi-aws is bridged from terraform-provider-aws, so the mapping is mechanical: each pulumi-aws
type has a Terraform resource type (`TERRAFORM_TYPES`), engine camelCase names become snake_case,
and an object value becomes a one-element block list (the bridge flattens Terraform's
`MaxItems: 1` blocks into objects). Maps (`tags`) stay maps. A reference between resources (a
property dependency) is kept as a Terraform reference in `configuration`, so checkov's checks
that look for a companion resource (a bucket's versioning, public access block, ...) follow it.
Secrets are written as "[secret]": nothing generated reaches the disk.

Two things keep every value checkov can evaluate:
- Numbers. The engine hands every number over as a protobuf `Struct` double (`90.0`);
  `terraform show -json` writes a whole number without a fraction (go-cty `cty/json/marshal.go`,
  `case cty.Number`: `AsBigFloat().Text('f', -1)`), and checkov's numeric checks want an int
  (CloudWatchLogGroupRetentionYear.py: `if not isinstance(retention, int): return UNKNOWN`). A
  whole float is written as an int, in both shapes (the Kubernetes API conventions keep floats
  out of specs; the numbers of these manifests are all int fields).
- Documents. A JSON document (an IAM, bucket, key or log resource policy) that names another
  resource's ARN keeps its value, with the reference beside it in `configuration`, as a plan of
  existing resources shows both; dropped, checkov would never read the policy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from offline.recorder import RecordedResource, RecordedStack
from planning.plan import redact

# pulumi-aws type -> the terraform-provider-aws resource it is bridged from.
TERRAFORM_TYPES = {
    "aws:acm/certificate:Certificate": "aws_acm_certificate",
    "aws:acm/certificateValidation:CertificateValidation": "aws_acm_certificate_validation",
    "aws:amp/alertManagerDefinition:AlertManagerDefinition": (
        "aws_prometheus_alert_manager_definition"
    ),
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": "aws_prometheus_rule_group_namespace",
    "aws:amp/scraper:Scraper": "aws_prometheus_scraper",
    "aws:amp/workspace:Workspace": "aws_prometheus_workspace",
    "aws:amp/workspaceConfiguration:WorkspaceConfiguration": (
        "aws_prometheus_workspace_configuration"
    ),
    "aws:backup/plan:Plan": "aws_backup_plan",
    "aws:backup/selection:Selection": "aws_backup_selection",
    "aws:backup/vault:Vault": "aws_backup_vault",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": (
        "aws_backup_vault_lock_configuration"
    ),
    "aws:cloudwatch/eventRule:EventRule": "aws_cloudwatch_event_rule",
    "aws:cloudwatch/eventTarget:EventTarget": "aws_cloudwatch_event_target",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "aws_cloudwatch_log_resource_policy",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "aws_cloudwatch_metric_alarm",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": "aws_cloudwatch_composite_alarm",
    "aws:lambda/function:Function": "aws_lambda_function",
    "aws:lambda/permission:Permission": "aws_lambda_permission",
    "aws:eks/accessEntry:AccessEntry": "aws_eks_access_entry",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": "aws_eks_access_policy_association",
    "aws:arcregionswitch/plan:Plan": "aws_arcregionswitch_plan",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "aws_default_security_group",
    "aws:ec2/eip:Eip": "aws_eip",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:ec2/internetGateway:InternetGateway": "aws_internet_gateway",
    "aws:ec2/launchTemplate:LaunchTemplate": "aws_launch_template",
    "aws:ec2/natGateway:NatGateway": "aws_nat_gateway",
    "aws:ec2/route:Route": "aws_route",
    "aws:ec2/routeTable:RouteTable": "aws_route_table",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "aws_route_table_association",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/subnet:Subnet": "aws_subnet",
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:eks/addon:Addon": "aws_eks_addon",
    "aws:eks/cluster:Cluster": "aws_eks_cluster",
    "aws:eks/nodeGroup:NodeGroup": "aws_eks_node_group",
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": (
        "aws_elasticache_global_replication_group"
    ),
    "aws:elasticache/parameterGroup:ParameterGroup": "aws_elasticache_parameter_group",
    "aws:elasticache/replicationGroup:ReplicationGroup": "aws_elasticache_replication_group",
    "aws:elasticache/subnetGroup:SubnetGroup": "aws_elasticache_subnet_group",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "aws_iam_openid_connect_provider",
    "aws:iam/role:Role": "aws_iam_role",
    "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment",
    "aws:kms/alias:Alias": "aws_kms_alias",
    "aws:kms/grant:Grant": "aws_kms_grant",
    "aws:kms/key:Key": "aws_kms_key",
    "aws:rds/cluster:Cluster": "aws_rds_cluster",
    "aws:rds/clusterInstance:ClusterInstance": "aws_rds_cluster_instance",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": "aws_rds_cluster_parameter_group",
    "aws:rds/globalCluster:GlobalCluster": "aws_rds_global_cluster",
    "aws:rds/instance:Instance": "aws_db_instance",
    "aws:rds/parameterGroup:ParameterGroup": "aws_db_parameter_group",
    "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:route53/healthCheck:HealthCheck": "aws_route53_health_check",
    "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec": "aws_route53_hosted_zone_dnssec",
    "aws:route53/keySigningKey:KeySigningKey": "aws_route53_key_signing_key",
    "aws:route53/queryLog:QueryLog": "aws_route53_query_log",
    "aws:route53/record:Record": "aws_route53_record",
    "aws:route53/zone:Zone": "aws_route53_zone",
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        "aws_s3_bucket_lifecycle_configuration"
    ),
    "aws:s3/bucketLogging:BucketLogging": "aws_s3_bucket_logging",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "aws_s3_bucket_ownership_controls",
    "aws:s3/bucketPolicy:BucketPolicy": "aws_s3_bucket_policy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ("aws_s3_bucket_public_access_block"),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": (
        "aws_s3_bucket_replication_configuration"
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "aws_s3_bucket_server_side_encryption_configuration"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": "aws_s3_bucket_versioning",
    "aws:sns/topic:Topic": "aws_sns_topic",
    "aws:sns/topicPolicy:TopicPolicy": "aws_sns_topic_policy",
    "aws:sns/topicSubscription:TopicSubscription": "aws_sns_topic_subscription",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
        "aws_vpc_security_group_egress_rule"
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "aws_vpc_security_group_ingress_rule"
    ),
}
# Attributes that are maps in Terraform (their keys are data, not attribute names).
MAP_ATTRIBUTES = {"tags", "tagsAll", "labels", "encryptionContextEquals", "encryptionContextSubset"}
# The bridge names a Terraform list attribute or repeated block in the plural (`rule` ->
# `rules`, `client_id_list` -> `clientIdLists`); these are the ones already plural in Terraform.
PLURAL_IN_TERRAFORM = {"blockDeviceMappings", "networkInterfaces", "tagSpecifications"}
PLURALIZED = {"clientIdLists": "client_id_list"}

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def snake(name: str) -> str:
    return PLURALIZED.get(name) or _CAMEL.sub("_", name).lower()


def _block_name(name: str) -> str:
    """A repeated block's Terraform name: `rules` -> `rule`, `latencyRoutingPolicies` ->
    `latency_routing_policy`."""
    if name in PLURAL_IN_TERRAFORM or not name.endswith("s"):
        return snake(name)
    singular = name[:-3] + "y" if name.endswith("ies") else name[:-1]
    return snake(singular)


def json_number(value: Any) -> Any:
    """A whole float as the int `terraform show -json` writes; anything else unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def json_numbers(value: Any) -> Any:
    """`json_number` throughout a value."""
    if isinstance(value, dict):
        return {k: json_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_numbers(v) for v in value]
    return json_number(value)


def is_document(value: Any) -> bool:
    """A string holding a JSON object: a policy document, an add-on's configuration."""
    if not isinstance(value, str) or not value.lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(value), dict)
    except ValueError:
        return False


def terraform_values(value: Any, key: str | None = None) -> Any:
    """Engine inputs as Terraform plan values."""
    if isinstance(value, dict):
        if key in MAP_ATTRIBUTES:
            return json_numbers(value)
        block = {
            (_block_name(k) if _is_block_list(v) else snake(k)): terraform_values(v, k)
            for k, v in value.items()
        }
        return block if key is None else [block]
    if isinstance(value, list):
        # A list of objects is a list of blocks: each object is one block, not a list of one.
        return [terraform_values(v) if isinstance(v, dict) else json_number(v) for v in value]
    return json_number(value)


def _is_block_list(value: Any) -> bool:
    """Terraform blocks: a non-empty list of objects."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _local_name(resource: RecordedResource) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", resource.name)
    return name if name[:1].isalpha() else f"r_{name}"


def terraform_plan(stack: RecordedStack) -> dict[str, Any]:
    """The AWS resources of a recorded stack as `terraform show -json` would show a new plan."""
    aws = [r for r in stack.resources if r.type in TERRAFORM_TYPES]
    address = {r.urn: f"{TERRAFORM_TYPES[r.type]}.{_local_name(r)}" for r in aws}
    targets = {r.urn: (address[r.urn], r) for r in aws}
    planned, changes, configuration = [], [], []
    for r in aws:
        tf_type, name = TERRAFORM_TYPES[r.type], _local_name(r)
        values = terraform_values(redact(r.inputs))
        expressions = _references(r, targets, values)
        # As in the first plan of a new stack: an input taken from another resource is known only
        # after apply, so the plan carries the reference instead of a value (checkov follows it).
        # Blocks stay: their own literal settings are known, only some nested values are not.
        # Documents stay: checkov reads a policy whole, and cannot follow a reference inside one.
        values = {
            key: value
            for key, value in values.items()
            if key not in expressions or _is_block_list(value) or is_document(value)
        }
        planned.append(
            {
                "address": address[r.urn],
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "values": values,
            }
        )
        changes.append(
            {
                "address": address[r.urn],
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "change": {"actions": ["create"], "before": None, "after": values},
            }
        )
        configuration.append(
            {
                "address": address[r.urn],
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "expressions": expressions,
            }
        )
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": configuration}},
    }


def _references(
    resource: RecordedResource, targets: dict[str, tuple[str, RecordedResource]], values: dict
) -> dict[str, Any]:
    """`configuration` expressions: each input taken from other resources, as the references
    Terraform records for it (`<address>.<attribute>`, then `<address>`)."""
    expressions = {}
    for key, urns in resource.property_dependencies.items():
        name = snake(key)
        refs: list[str] = []
        for address, target in (targets[u] for u in urns if u in targets):
            refs += [f"{address}.{_referenced_attribute(values.get(name), target)}", address]
        if refs:
            expressions[name] = {"references": refs}
    return expressions


def _referenced_attribute(value: Any, target: RecordedResource) -> str:
    """The target's attribute the value holds: a document names the target's ARN; anything else
    (a companion resource's `bucket`, a policy's `role`, ...) is taken as its id."""
    arn = target.outputs.get("arn")
    if isinstance(value, str) and isinstance(arn, str) and arn in value:
        return "arn"
    return "id"


def kubernetes_manifests(stack: RecordedStack) -> Iterable[tuple[str, dict[str, Any]]]:
    """(file name, manifest) for every Kubernetes object, secrets redacted."""
    for r in stack.resources:
        if not r.type.startswith("kubernetes:") or r.is_provider:
            continue
        _, group_version, kind = r.type.split(":")
        group, version = group_version.split("/")
        api_version = version if group == "core" else f"{group}/{version}"
        inputs = json_numbers(redact(r.inputs))
        body = {k: v for k, v in inputs.items() if k not in ("apiVersion", "kind")}
        yield (
            f"{r.region or 'global'}-{r.name}.yaml",
            {
                "apiVersion": api_version,
                "kind": kind,
                **body,
            },
        )
