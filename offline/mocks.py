"""Realistic stand-ins for what AWS, Kubernetes and pulumi-random return.

Every value is derived from the resource's type, name and region, so two runs of the same
program give the same ids, ARNs and endpoints (plans can be diffed), and each region's values
look like that region's (`...us-west-2.rds.amazonaws.com`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pulumi
from pulumi.runtime import rpc

# The provider's own table, the one aws:lb/getHostedZoneId answers from (see the module).

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"


def _hex(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _plain(value: Any) -> Any:
    return rpc.unwrap_rpc_secret(value)


def _autoname(args: pulumi.runtime.MockResourceArgs, key: str) -> str:
    given = _plain(args.inputs.get(key))
    return given if isinstance(given, str) and given else f"{args.name}-{_hex(args.name, length=7)}"


def _arn(service: str, region: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"


def _vpc(args, region, rid):
    return {"id": f"vpc-{rid}", "arn": _arn("ec2", region, f"vpc/vpc-{rid}")}


def _prefixed(prefix: str, kind: str) -> Callable[..., dict[str, Any]]:
    def outputs(args, region, rid):
        ident = f"{prefix}-{rid}"
        return {"id": ident, "arn": _arn("ec2", region, f"{kind}/{ident}")}

    return outputs


def _eip(args, region, rid):
    octets = [int(rid[i : i + 2], 16) for i in (0, 2)]
    return {"id": f"eipalloc-{rid}", "publicIp": f"203.0.{octets[0]}.{octets[1]}"}


def _log_group(args, region, rid):
    name = _autoname(args, "name")
    return {"id": name, "name": name, "arn": _arn("logs", region, f"log-group:{name}")}


def _kms_key(args, region, rid):
    if _plain(args.inputs.get("multiRegion")) is True:
        # A multi-Region key's id is `mrk-` and 32 hex digits (AWS KMS Developer Guide,
        # "Multi-Region key identifiers"); its replicas share it.
        key_id = f"mrk-{_hex(args.typ, args.name, length=32)}"
    else:
        key_id = f"{rid[:8]}-{rid[8:12]}-4{rid[12:15]}-8{rid[:3]}-{rid[:12]}"
    return {"id": key_id, "keyId": key_id, "arn": _arn("kms", region, f"key/{key_id}")}


def _kms_replica_key(args, region, rid):
    # The primary's id, in the replica's region; rotation is the primary's.
    key_id = str(_plain(args.inputs.get("primaryKeyArn", ""))).rsplit("/", 1)[-1]
    return {
        "id": key_id,
        "keyId": key_id,
        "arn": _arn("kms", region, f"key/{key_id}"),
        "keyRotationEnabled": True,
    }


def _kms_alias(args, region, rid):
    name = _plain(args.inputs.get("name"))
    return {"id": name, "arn": _arn("kms", region, name or "alias/unnamed")}


def _iam_role(args, region, rid):
    name = _autoname(args, "name")
    return {
        "id": name,
        "name": name,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",
        "uniqueId": f"AROA{rid.upper()}",
    }


def _iam_policy(args, region, rid):
    name = _autoname(args, "name")
    return {
        "id": f"arn:aws:iam::{ACCOUNT_ID}:policy/{name}",
        "name": name,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:policy/{name}",
    }


def _oidc_provider(args, region, rid):
    url = str(_plain(args.inputs.get("url", ""))).removeprefix("https://")
    arn = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{url}"
    return {"id": arn, "arn": arn}


def _eks_cluster(args, region, rid):
    name = _autoname(args, "name")
    issuer_id = _hex(region, name, length=32).upper()
    vpc_config = dict(_plain(args.inputs.get("vpcConfig") or {}))
    vpc_config.update(
        clusterSecurityGroupId=f"sg-{_hex(rid, 'cluster')}",
        vpcId=vpc_config.get("vpcId", f"vpc-{rid}"),
    )
    return {
        "id": name,
        "name": name,
        "arn": _arn("eks", region, f"cluster/{name}"),
        "endpoint": f"https://{issuer_id}.gr7.{region}.eks.amazonaws.com",
        "certificateAuthority": {"data": base64.b64encode(f"mock-ca-{name}".encode()).decode()},
        "identities": [
            {"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{issuer_id}"}]}
        ],
        "vpcConfig": vpc_config,
        "status": "ACTIVE",
    }


def _eks_addon(args, region, rid):
    cluster = _plain(args.inputs.get("clusterName", "cluster"))
    name = _plain(args.inputs.get("addonName", "addon"))
    return {
        "id": f"{cluster}:{name}",
        "arn": _arn("eks", region, f"addon/{cluster}/{name}/{rid}"),
    }


def _eks_node_group(args, region, rid):
    cluster = _plain(args.inputs.get("clusterName", "cluster"))
    name = _autoname(args, "nodeGroupName")
    return {
        "id": f"{cluster}:{name}",
        "nodeGroupName": name,
        "arn": _arn("eks", region, f"nodegroup/{cluster}/{name}/{rid}"),
    }


def _launch_template(args, region, rid):
    ident = f"lt-{rid}"
    return {
        "id": ident,
        "arn": _arn("ec2", region, f"launch-template/{ident}"),
        "latestVersion": 1,
        "defaultVersion": 1,
    }


def _kms_grant(args, region, rid):
    key = str(_plain(args.inputs.get("keyId", "key")))
    grant_id = _hex(rid, "grant", length=64)
    return {
        "id": f"{key.rsplit('/', 1)[-1]}:{grant_id}",
        "grantId": grant_id,
        "grantToken": _hex(grant_id, length=64),
    }


def _rds_instance(args, region, rid):
    ident = _autoname(args, "identifier")
    address = f"{ident}.c{rid[:12]}.{region}.rds.amazonaws.com"
    return {
        "id": f"db-{rid.upper()}",
        "identifier": ident,
        "arn": _arn("rds", region, f"db:{ident}"),
        "address": address,
        "endpoint": f"{address}:5432",
        "port": 5432,
        "resourceId": f"db-{rid.upper()}",
    }


def _rds_cluster(args, region, rid):
    ident = _autoname(args, "clusterIdentifier")
    host = f"{ident}.cluster-c{rid[:12]}.{region}.rds.amazonaws.com"
    return {
        "id": ident,
        "clusterIdentifier": ident,
        "arn": _arn("rds", region, f"cluster:{ident}"),
        "endpoint": host,
        "readerEndpoint": host.replace(".cluster-", ".cluster-ro-"),
        "port": 5432,
        # AWS runs what was asked for until someone upgrades it.
        "engineVersionActual": _plain(args.inputs.get("engineVersion")),
    }


def _rds_global_cluster(args, region, rid):
    ident = _autoname(args, "globalClusterIdentifier")
    return {
        "id": ident,
        "globalClusterIdentifier": ident,
        "arn": f"arn:aws:rds::{ACCOUNT_ID}:global-cluster:{ident}",
        # The Global Database's writer endpoint, which follows managed switchovers.
        "endpoint": f"{ident}.global-{rid[:12]}.global.rds.amazonaws.com",
        "engineVersionActual": _plain(args.inputs.get("engineVersion")),
    }


def _rds_cluster_instance(args, region, rid):
    ident = _autoname(args, "identifier")
    return {
        "id": ident,
        "identifier": ident,
        "arn": _arn("rds", region, f"db:{ident}"),
        "endpoint": f"{ident}.c{rid[:12]}.{region}.rds.amazonaws.com",
        "port": 5432,
        "dbiResourceId": f"db-{rid.upper()}",
    }


def _named_arn(service: str, kind: str, key: str) -> Callable[..., dict[str, Any]]:
    def outputs(args, region, rid):
        name = _autoname(args, key)
        return {"id": name, key: name, "arn": _arn(service, region, f"{kind}:{name}")}

    return outputs


def _sns_topic(args, region, rid):
    """SNS names a topic by its ARN (arn:aws:sns:<region>:<account>:<name>, no resource type)."""
    name = _autoname(args, "name")
    arn = f"arn:aws:sns:{region}:{ACCOUNT_ID}:{name}"
    return {"id": arn, "name": name, "arn": arn}


def _uuid(rid: str) -> str:
    h = _hex(rid, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _amp_workspace(args, region, rid):
    """AMP names a workspace `ws-<uuid>`; its Prometheus-compatible endpoint ends in '/'."""
    ident = f"ws-{_uuid(rid)}"
    return {
        "id": ident,
        "arn": _arn("aps", region, f"workspace/{ident}"),
        "prometheusEndpoint": f"https://aps-workspaces.{region}.amazonaws.com/workspaces/{ident}/",
    }


def _amp_scraper(args, region, rid):
    """A scraper `s-<uuid>` and the service-linked role AMP creates for it, with its path
    (AMP user guide, "Configuring your Amazon EKS cluster": `describe-scraper`'s roleArn)."""
    ident = f"s-{_uuid(rid)}"
    path = "aws-service-role/scraper.aps.amazonaws.com"
    role = f"{path}/AWSServiceRoleForAmazonPrometheusScraper_{_uuid(ident)[:15]}"
    return {
        "id": ident,
        "arn": _arn("aps", region, f"scraper/{ident}"),
        "roleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/{role}",
    }


def _amp_rule_group_namespace(args, region, rid):
    workspace, name = _plain(args.inputs.get("workspaceId")), _autoname(args, "name")
    arn = _arn("aps", region, f"rulegroupsnamespace/{workspace}/{name}")
    return {"id": arn, "arn": arn, "name": name}


def _of_workspace(args, region, rid):
    """An alert manager definition or workspace configuration is known by its workspace's id."""
    return {"id": _plain(args.inputs.get("workspaceId"))}


def _replication_group(args, region, rid):
    ident = _autoname(args, "replicationGroupId")
    suffix = _hex(region, ident, length=6)
    return {
        "id": ident,
        "replicationGroupId": ident,
        "arn": _arn("elasticache", region, f"replicationgroup:{ident}"),
        "primaryEndpointAddress": f"master.{ident}.{suffix}.{_short(region)}.cache.amazonaws.com",
        "readerEndpointAddress": f"replica.{ident}.{suffix}.{_short(region)}.cache.amazonaws.com",
        "port": 6379,
        # Cluster mode disabled: one single-node cache cluster per member, named by ElastiCache
        # `<group>-001`, `-002`, ... (AWS CLI describe-replication-groups examples: MemberClusters,
        # NodeGroupMembers with CacheNodeId "0001").
        "memberClusters": [
            f"{ident}-{index:03d}"
            for index in range(1, int(_plain(args.inputs.get("numCacheClusters")) or 1) + 1)
        ],
    }


_DIRECTION_CODES = {
    "east": "e",
    "west": "w",
    "north": "n",
    "south": "s",
    "central": "c",
    "southeast": "se",
    "northeast": "ne",
    "southwest": "sw",
    "northwest": "nw",
}


def _short(region: str) -> str:
    """ElastiCache's region code in endpoints: us-east-1 -> use1, ap-southeast-1 -> apse1."""
    area, direction, number = region.split("-")
    return f"{area}{_DIRECTION_CODES.get(direction, direction[0])}{number}"


def _global_replication_group(args, region, rid):
    suffix = _plain(args.inputs.get("globalReplicationGroupIdSuffix", args.name))
    ident = f"ldgnf-{suffix}"
    return {
        "id": ident,
        "globalReplicationGroupId": ident,
        "arn": f"arn:aws:elasticache::{ACCOUNT_ID}:globalreplicationgroup:{ident}",
    }


def _s3_bucket(args, region, rid):
    name = _autoname(args, "bucket").lower()
    return {
        "id": name,
        "bucket": name,
        "arn": f"arn:aws:s3:::{name}",
        "bucketDomainName": f"{name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
        "region": region,
    }


def _route53_zone(args, region, rid):
    zone_id = f"Z{rid.upper()[:13]}"
    return {
        "id": zone_id,
        "zoneId": zone_id,
        "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
        "nameServers": [f"ns-{int(rid[i : i + 3], 16)}.awsdns-{i}.org" for i in (0, 3, 6, 9)],
    }


def _health_check(args, region, rid):
    ident = f"{rid[:8]}-{rid[8:12]}-4{rid[12:15]}-a{rid[:3]}-{_hex(rid, length=12)}"
    return {"id": ident, "arn": f"arn:aws:route53:::healthcheck/{ident}"}


def _route53_record(args, region, rid):
    name = _plain(args.inputs.get("name", args.name))
    zone = _plain(args.inputs.get("zoneId", "Z"))
    return {"id": f"{zone}_{name}_{_plain(args.inputs.get('type', 'A'))}", "fqdn": name}


def _key_signing_key(args, region, rid):
    # Key tag and digest as Route 53 reports them for an ECDSAP256SHA256 key (algorithm 13,
    # digest type 2: SHA-256).
    key_tag = int(rid[:4], 16)
    digest = hashlib.sha256(rid.encode()).hexdigest().upper()
    zone, name = _plain(args.inputs.get("hostedZoneId")), _plain(args.inputs.get("name"))
    return {
        "id": f"{zone},{name}",
        "keyTag": key_tag,
        "digestAlgorithmType": 2,
        "digestValue": digest,
        "signingAlgorithmType": 13,
        "dsRecord": f"{key_tag} 13 2 {digest}",
    }


def _acm_certificate(args, region, rid):
    domain = _plain(args.inputs.get("domainName", "example.com"))
    names = [domain, *(_plain(args.inputs.get("subjectAlternativeNames")) or [])]
    cert_id = f"{rid[:8]}-{rid[8:12]}-4{rid[12:15]}-b{rid[:3]}-{_hex(rid, length=12)}"
    arn = _arn("acm", region, f"certificate/{cert_id}")
    return {
        "id": arn,
        "arn": arn,
        "domainValidationOptions": [
            {
                "domainName": name,
                # ACM gives one validation record per domain name and account, in every region.
                "resourceRecordName": f"_{_hex(ACCOUNT_ID, name, length=32)}.{name}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_hex(name, ACCOUNT_ID, length=32)}.acm-validations.aws.",
            }
            for name in dict.fromkeys(names)
        ],
    }


def _random_string(args, region, rid):
    length = int(_plain(args.inputs.get("length", 32)))
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    # New keepers replace the password, so they make a new value (regions/rotation.py).
    keepers = _plain(args.inputs.get("keepers"))
    seed = f"random/{args.name}" + (f"/{json.dumps(keepers, sort_keys=True)}" if keepers else "")
    digest = hashlib.sha256(seed.encode()).digest() * (length // 32 + 1)
    result = "".join(alphabet[b % len(alphabet)] for b in digest[:length])
    return {"id": "none", "result": result}


def _k8s_object(args, region, rid):
    metadata = dict(_plain(args.inputs.get("metadata") or {}))
    metadata.setdefault("name", f"{args.name}-{_hex(args.name, length=8)}")
    metadata.setdefault("uid", f"{rid[:8]}-{rid[8:12]}-{rid[12:16]}")
    namespace = metadata.get("namespace")
    ident = f"{namespace}/{metadata['name']}" if namespace else metadata["name"]
    return {"id": ident, "metadata": metadata}


def _k8s_service(args, region, rid):
    outputs = _k8s_object(args, region, rid)
    spec = _plain(args.inputs.get("spec") or {})
    if spec.get("type") == "LoadBalancer":
        name = outputs["metadata"]["name"][:20]
        hostname = f"{name}-{_hex(rid, length=16)}.elb.{region or DEFAULT_REGION}.amazonaws.com"
        outputs["status"] = {"loadBalancer": {"ingress": [{"hostname": hostname}]}}
    return outputs


def _backup_vault(args, region, rid):
    name = _autoname(args, "name")
    return {"id": name, "name": name, "arn": _arn("backup", region, f"backup-vault:{name}")}


def _backup_plan(args, region, rid):
    h = _hex(args.typ, args.name, length=32)
    plan_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
    return {"id": plan_id, "arn": _arn("backup", region, f"backup-plan:{plan_id}"), "version": rid}


def _metric_alarm(args, region, rid):
    """An alarm's id is its name; its ARN `arn:aws:cloudwatch:<region>:<account>:alarm:<name>`
    (what the SNS topic policy's aws:SourceArn condition matches, components/paging.py)."""
    name = _autoname(args, "name")
    return {"id": name, "name": name, "arn": _arn("cloudwatch", region, f"alarm:{name}")}


def _event_rule(args, region, rid):
    """A default-bus rule: id its name, ARN `arn:aws:events:<region>:<account>:rule/<name>`."""
    name = _autoname(args, "name")
    return {"id": name, "name": name, "arn": _arn("events", region, f"rule/{name}")}


def _event_target(args, region, rid):
    # The provider's id on the default bus: `<rule>-<target id>` (terraform-provider-aws
    # internal/service/events/target.go `targetCreateResourceID`, separator "-").
    rule, target = _plain(args.inputs.get("rule")), _plain(args.inputs.get("targetId"))
    return {"id": f"{rule}-{target}"}


def _lambda_function(args, region, rid):
    """A function's id is its name; ARN `arn:aws:lambda:<region>:<account>:function:<name>`
    (Lambda API reference, FunctionConfiguration.FunctionArn)."""
    name = _autoname(args, "name")
    arn = _arn("lambda", region, f"function:{name}")
    return {"id": name, "name": name, "arn": arn, "qualifiedArn": f"{arn}:$LATEST"}


def _lambda_permission(args, region, rid):
    return {"id": _plain(args.inputs.get("statementId")) or f"terraform-{rid}"}


def _composite_alarm(args, region, rid):
    """Same ARN form as a metric alarm (PutCompositeAlarm: `alarm:<name>`)."""
    name = _autoname(args, "alarmName")
    return {"id": name, "alarmName": name, "arn": _arn("cloudwatch", region, f"alarm:{name}")}


def _eks_access_entry(args, region, rid):
    """id `<cluster>:<principal ARN>` (terraform-provider-aws internal/service/eks/
    access_entry.go, `accessEntryCreateResourceID`); ARN
    `arn:aws:eks:<region>:<account>:access-entry/<cluster>/role/<account>/<name>/<uuid>`."""
    cluster, principal = (
        _plain(args.inputs.get("clusterName")),
        _plain(args.inputs.get("principalArn")),
    )
    role = str(principal).rsplit("/", 1)[-1]
    arn = _arn("eks", region, f"access-entry/{cluster}/role/{ACCOUNT_ID}/{role}/{_uuid(rid)}")
    return {"id": f"{cluster}:{principal}", "accessEntryArn": arn, "type": "STANDARD"}


def _eks_access_policy_association(args, region, rid):
    cluster, principal, policy = (
        _plain(args.inputs.get(key)) for key in ("clusterName", "principalArn", "policyArn")
    )
    return {"id": f"{cluster}#{principal}#{policy}"}


def _region_switch_plan(args, region, rid):
    """Plans are global: `arn:aws:arc-region-switch::<account>:plan/<name>:<6 characters>`
    (botocore arc-region-switch service-2.json, Plan.arn pattern)."""
    name = _autoname(args, "name")
    arn = f"arn:aws:arc-region-switch::{ACCOUNT_ID}:plan/{name}:{rid[:6]}"
    return {"id": arn, "arn": arn}


OUTPUTS_BY_TYPE: dict[str, Callable[..., dict[str, Any]]] = {
    "aws:backup/vault:Vault": _backup_vault,
    "aws:backup/plan:Plan": _backup_plan,
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _prefixed("subnet", "subnet"),
    "aws:ec2/internetGateway:InternetGateway": _prefixed("igw", "internet-gateway"),
    "aws:ec2/natGateway:NatGateway": _prefixed("nat", "natgateway"),
    "aws:ec2/routeTable:RouteTable": _prefixed("rtb", "route-table"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _prefixed("rtbassoc", "route-table"),
    "aws:ec2/securityGroup:SecurityGroup": _prefixed("sg", "security-group"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _prefixed("sgr", "sg-rule"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _prefixed("sgr", "sg-rule"),
    "aws:ec2/flowLog:FlowLog": _prefixed("fl", "vpc-flow-log"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _prefixed("sg", "security-group"),
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:ec2/eip:Eip": _eip,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/replicaKey:ReplicaKey": _kms_replica_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:iam/role:Role": _iam_role,
    "aws:iam/policy:Policy": _iam_policy,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _eks_node_group,
    "aws:eks/addon:Addon": _eks_addon,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:kms/grant:Grant": _kms_grant,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:rds/cluster:Cluster": _rds_cluster,
    "aws:rds/globalCluster:GlobalCluster": _rds_global_cluster,
    "aws:rds/clusterInstance:ClusterInstance": _rds_cluster_instance,
    "aws:rds/parameterGroup:ParameterGroup": _named_arn("rds", "pg", "name"),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": _named_arn("rds", "cluster-pg", "name"),
    "aws:rds/subnetGroup:SubnetGroup": _named_arn("rds", "subgrp", "name"),
    "aws:elasticache/subnetGroup:SubnetGroup": _named_arn("elasticache", "subnetgroup", "name"),
    "aws:elasticache/parameterGroup:ParameterGroup": _named_arn(
        "elasticache", "parametergroup", "name"
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": _global_replication_group,
    "aws:s3/bucket:Bucket": _s3_bucket,
    "aws:route53/zone:Zone": _route53_zone,
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:route53/record:Record": _route53_record,
    "aws:route53/keySigningKey:KeySigningKey": _key_signing_key,
    "aws:acm/certificate:Certificate": _acm_certificate,
    "random:index/randomPassword:RandomPassword": _random_string,
    "random:index/randomString:RandomString": _random_string,
    "kubernetes:core/v1:Service": _k8s_service,
    "aws:sns/topic:Topic": _sns_topic,
    "aws:amp/workspace:Workspace": _amp_workspace,
    "aws:amp/scraper:Scraper": _amp_scraper,
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": _amp_rule_group_namespace,
    "aws:amp/alertManagerDefinition:AlertManagerDefinition": _of_workspace,
    "aws:amp/workspaceConfiguration:WorkspaceConfiguration": _of_workspace,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _metric_alarm,
    "aws:cloudwatch/eventRule:EventRule": _event_rule,
    "aws:cloudwatch/eventTarget:EventTarget": _event_target,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": _composite_alarm,
    "aws:lambda/function:Function": _lambda_function,
    "aws:lambda/permission:Permission": _lambda_permission,
    "aws:eks/accessEntry:AccessEntry": _eks_access_entry,
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": _eks_access_policy_association,
    "aws:arcregionswitch/plan:Plan": _region_switch_plan,
}


# The program makes no invokes: each one would be a call into AWS at every run, and a failover
# runs while a region is down (docs/failover.md, "Failover while a region is down"). An
# invoke that creeps
# in fails here, loudly.
INVOKES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}


class RealisticMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and invokes with values shaped like the real services'."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        region = getattr(args, "region", None) or DEFAULT_REGION
        rid = _hex(args.typ, args.name)
        state = dict(args.inputs)
        make_outputs = OUTPUTS_BY_TYPE.get(args.typ)
        extra = make_outputs(args, region, rid) if make_outputs else {}
        state.update(extra)
        resource_id = str(extra.get("id") or f"{args.name}-{rid[:8]}")
        state.pop("id", None)
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list]:
        answer = INVOKES.get(args.token)
        if answer is None:
            raise NotImplementedError(
                f"the program invoked {args.token}: it must make no invokes (offline/mocks.py)"
            )
        return answer(args.args), []
