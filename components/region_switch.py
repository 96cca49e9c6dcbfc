"""An ARC Region switch plan that activates a standby region, with its execution role and the
EKS access the plan needs: `aws.arcregionswitch.Plan` (pulumi-aws 7.51), bridged from
terraform-provider-aws `internal/service/arcregionswitch/plan.go`.

Reusable: it knows nothing of erlmcp's regions. The caller gives the two regions, the RTO, the
steps' resources and the trigger's alarms. What it builds:

* the execution role, which only `arc-region-switch.amazonaws.com` may assume (for this
  account), with an inline policy limited to what each block needs (ARC user guide, "Plan
  execution role trust policy", "Complete plan execution role permissions" and each block's
  sample policy: Aurora Global Database, Amazon RDS, custom action Lambda, Amazon EKS resource
  scaling; triggers need the alarms read and the plan started);
* an EKS access entry for that role in both clusters, with the AWS access policy
  `AmazonARCRegionSwitchScalingPolicy` limited to the two namespaces (`*/scale` get and update,
  HPAs get and patch: ARC user guide, "Amazon EKS resource scaling execution block");
* the plan: `activePassive`, the two regions, `primary_region`, the RTO, one `activate`
  workflow for the standby with a single Parallel step (database, cache Lambda, pods), the
  trigger's alarms as `associated_alarms` of type `trigger`, and one trigger.

Facts it relies on, from the provider (plan.go at bc6ffa6, line numbers of that file):
`name`, `recovery_approach` and `regions` are RequiresReplace (Schema, lines 530-549);
`primary_region` is neither updatable nor replaced: Update sends only the execution role,
description, RTO, workflows, alarms and triggers (lines 823-830), so it must never change;
a trigger has `action`, `target_region`, `min_delay_minutes_between_executions` (required) and
`conditions` on associated alarm names, `red` or `green` (lines 586-621). From the API
(botocore arc-region-switch 2022-07-26): CreatePlan, UpdatePlan, GetPlan, DeletePlan are control
plane operations routed to `arc-region-switch-control-plane.<implicitGlobalRegion>` (the aws
partition's is us-east-1: partitions.json), while StartPlanExecution and every execution read
go to the region's own endpoint (endpoint-rule-set-1.json, `UseControlPlaneEndpoint`): the plan
is managed through us-east-1 whatever `region` says, and runs in the region it activates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

# The EKS access policy ARC's EKS scaling block needs (ARC user guide, "Amazon EKS resource
# scaling execution block", "Configure EKS access entry permissions").
EKS_SCALING_ACCESS_POLICY = (
    "arn:aws:eks::aws:cluster-access-policy/AmazonARCRegionSwitchScalingPolicy"
)
SERVICE_PRINCIPAL = "arc-region-switch.amazonaws.com"
# RecoveryTimeObjectiveMinutes: 1 to 10080 (botocore service-2.json, CreatePlan).
MAX_RTO_MINUTES = 10_080
# Trigger conditions: 1 to 10 (botocore service-2.json, TriggerConditionList).
MAX_CONDITIONS = 10


@dataclass(frozen=True)
class AuroraFailover:
    """`AuroraGlobalDatabase` with behavior `failover` in both modes: FailoverGlobalCluster with
    AllowDataLoss (botocore service-2.json GlobalAuroraConfiguration.behavior: `failover` "might
    cause data loss, including during graceful execution"; `switchoverOnly` needs a healthy
    primary, which is not the case this plan exists for)."""

    global_cluster_identifier: pulumi.Input[str]
    global_cluster_arn: pulumi.Input[str]
    cluster_arns: Sequence[pulumi.Input[str]]
    timeout_minutes: int = 15


@dataclass(frozen=True)
class RdsPromotion:
    """`RdsPromoteReadReplica`: PromoteReadReplica of the instance in the activated region
    (`db_instance_arn_map`: "a map of database instance ARNs for each Region in the plan")."""

    instance_arns: Mapping[str, pulumi.Input[str]]
    """Region -> the instance there (the writer in the primary, the replica in the standby)."""
    timeout_minutes: int = 30


@dataclass(frozen=True)
class LambdaStep:
    """`CustomActionLambda` run in the activating region. ARC skips this block in ungraceful
    mode (ARC user guide, "Custom action Lambda execution block": "In ungraceful execution
    mode, Region switch skips the Lambda execution block step"; LambdaUngracefulBehavior has the
    single value `skip`)."""

    function_arn: pulumi.Input[str]
    retry_interval_minutes: float = 1.0
    timeout_minutes: int = 10


@dataclass(frozen=True)
class ScaledWorkload:
    cluster_arn: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    namespace: pulumi.Input[str]
    name: pulumi.Input[str]
    hpa_name: str | None = None


@dataclass(frozen=True)
class EksScaling:
    """`EKSResourceScaling` of one StatefulSet per region: the activated region's scaled to
    `target_percent` of what the deactivated region ran at most in the last 24 hours
    (`sampledMaxInLast24Hours`; the block scales "relative to the capacity in the Region that is
    being deactivated", ARC user guide). StatefulSets have the `scale` subresource the access
    policy grants (`*/scale`)."""

    workloads: Mapping[str, ScaledWorkload]
    """Region -> the workload there."""
    key: str = "app"
    """The outer key of `scaling_resources` (a label; the inner keys are the regions)."""
    target_percent: int = 100
    ungraceful_minimum_success_percent: int = 100
    timeout_minutes: int = 15


@dataclass(frozen=True)
class TriggerCondition:
    alarm_name: str
    alarm_arn: pulumi.Input[str]
    state: Literal["red", "green"]


@dataclass(frozen=True)
class RegionSwitchPlanArgs:
    plan_name: str
    primary_region: str
    standby_region: str
    account_id: str
    rto_minutes: int
    database: AuroraFailover | RdsPromotion
    cache: LambdaStep
    pods: EksScaling
    conditions: Sequence[TriggerCondition]
    min_delay_minutes: int
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.primary_region == self.standby_region:
            raise ValueError("a plan switches between two different regions")
        if not 1 <= self.rto_minutes <= MAX_RTO_MINUTES:
            raise ValueError(f"rto_minutes: 1 to {MAX_RTO_MINUTES}")
        if not 1 <= len(self.conditions) <= MAX_CONDITIONS:
            raise ValueError(f"a trigger has 1 to {MAX_CONDITIONS} conditions")
        if set(self.pods.workloads) != {self.primary_region, self.standby_region}:
            raise ValueError("EKS scaling needs the workload of both regions")
        if isinstance(self.database, RdsPromotion) and set(self.database.instance_arns) != {
            self.primary_region,
            self.standby_region,
        }:
            raise ValueError("RDS promotion needs the instance of both regions")


class RegionSwitchPlan(pulumi.ComponentResource):
    """`plan_arn`, `role_arn`."""

    plan_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: RegionSwitchPlanArgs,
        providers: Mapping[str, pulumi.ProviderResource],
        global_provider: pulumi.ProviderResource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`providers`: each region's AWS provider (the access entries live in the clusters'
        regions); `global_provider`: IAM's."""
        super().__init__("erlmcp:components:RegionSwitchPlan", name, None, opts)
        self._name = name
        self._args = args
        role = aws.iam.Role(
            f"{name}-role",
            name=f"{args.plan_name}-arc",
            description=f"ARC Region switch plan {args.plan_name}",
            assume_role_policy=json.dumps(trust_policy(args.account_id)),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, provider=global_provider),
        )
        plan_arn_pattern = f"arn:aws:arc-region-switch::{args.account_id}:plan/{args.plan_name}:*"
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=pulumi.Output.from_input(
                execution_statements(args, role.arn, plan_arn_pattern)
            ).apply(
                lambda statements: json.dumps(
                    {"Version": "2012-10-17", "Statement": statements}, sort_keys=True
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=global_provider),
        )
        access = [
            self._cluster_access(region, workload, role, providers[region])
            for region, workload in sorted(args.pods.workloads.items())
        ]
        plan = aws.arcregionswitch.Plan(
            f"{name}-plan",
            region=args.standby_region,
            name=args.plan_name,
            description=args.description or None,
            execution_role=role.arn,
            recovery_approach="activePassive",
            regions=[args.primary_region, args.standby_region],
            primary_region=args.primary_region,
            recovery_time_objective_minutes=args.rto_minutes,
            associated_alarms=[
                {
                    "map_block_key": c.alarm_name,
                    "alarm_type": "trigger",
                    "resource_identifier": c.alarm_arn,
                }
                for c in args.conditions
            ],
            triggers=[
                {
                    "action": "activate",
                    "target_region": args.standby_region,
                    "description": f"{args.primary_region} is gone and nothing holds the switch",
                    "min_delay_minutes_between_executions": args.min_delay_minutes,
                    "conditions": [
                        {"associated_alarm_name": c.alarm_name, "condition": c.state}
                        for c in args.conditions
                    ],
                }
            ],
            workflows=[activate_workflow(args)],
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=providers[args.standby_region],
                # The role must be able to act (and plan evaluation to pass) from the start.
                depends_on=[policy, *access],
            ),
        )
        self.plan_arn = plan.arn
        self.role_arn = role.arn
        self.register_outputs({"plan_arn": plan.arn, "role_arn": role.arn})

    def _cluster_access(
        self,
        region: str,
        workload: ScaledWorkload,
        role: aws.iam.Role,
        provider: pulumi.ProviderResource,
    ) -> aws.eks.AccessPolicyAssociation:
        opts = pulumi.ResourceOptions(parent=self, provider=provider)
        entry = aws.eks.AccessEntry(
            f"{self._name}-{region}-access",
            region=region,
            cluster_name=workload.cluster_name,
            principal_arn=role.arn,
            type="STANDARD",
            tags=dict(self._args.tags),
            opts=opts,
        )
        return aws.eks.AccessPolicyAssociation(
            f"{self._name}-{region}-scaling",
            region=region,
            cluster_name=workload.cluster_name,
            principal_arn=entry.principal_arn,
            policy_arn=EKS_SCALING_ACCESS_POLICY,
            access_scope={"type": "namespace", "namespaces": [workload.namespace]},
            opts=opts,
        )


def trust_policy(account_id: str) -> dict[str, Any]:
    """ARC Region switch, for this account's plans only (ARC user guide, "Plan execution role
    trust policy"; `aws:SourceAccount` against the confused deputy)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": SERVICE_PRINCIPAL},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ],
    }


def execution_statements(
    args: RegionSwitchPlanArgs, role_arn: pulumi.Input[str], plan_arn: str
) -> list[dict[str, Any]]:
    """What the plan's blocks, its evaluation and its trigger need, each on its resources."""
    statements: list[dict[str, Any]] = [
        {
            # Plan evaluation checks the role's own permissions.
            "Effect": "Allow",
            "Action": "iam:SimulatePrincipalPolicy",
            "Resource": role_arn,
        },
        {
            # Reading its plan and executions, and starting an execution when the trigger
            # fires ("Plan execution role trust policy": the role reads the trigger's alarms
            # and starts the execution).
            "Effect": "Allow",
            "Action": [
                "arc-region-switch:GetPlan",
                "arc-region-switch:GetPlanExecution",
                "arc-region-switch:ListPlanExecutions",
                "arc-region-switch:StartPlanExecution",
            ],
            "Resource": plan_arn,
        },
        {
            "Effect": "Allow",
            "Action": ["cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory"],
            "Resource": [c.alarm_arn for c in args.conditions],
        },
        {
            "Effect": "Allow",
            "Action": ["lambda:GetFunction", "lambda:InvokeFunction"],
            "Resource": [args.cache.function_arn],
        },
        {
            "Effect": "Allow",
            "Action": "eks:DescribeCluster",
            "Resource": [w.cluster_arn for _, w in sorted(args.pods.workloads.items())],
        },
        {
            "Effect": "Allow",
            "Action": "eks:ListAssociatedAccessPolicies",
            "Resource": [
                pulumi.Output.from_input(w.cluster_arn).apply(access_entries_of)
                for _, w in sorted(args.pods.workloads.items())
            ],
        },
    ]
    database = args.database
    if isinstance(database, AuroraFailover):
        # The block's sample policy grants the describes on "*"; here they are limited to the
        # plan's own Global Database and clusters (both actions take those resource types).
        statements += [
            {
                "Effect": "Allow",
                "Action": [
                    "rds:DescribeGlobalClusters",
                    "rds:DescribeDBClusters",
                    "rds:FailoverGlobalCluster",
                ],
                "Resource": [database.global_cluster_arn, *database.cluster_arns],
            },
        ]
    else:
        statements += [
            {
                # Both instances of the map, described (the sample policy says "*").
                "Effect": "Allow",
                "Action": "rds:DescribeDBInstances",
                "Resource": [arn for _, arn in sorted(database.instance_arns.items())],
            },
            {
                # The RDS block's sample policy lists ModifyDBInstance beside the promotion.
                "Effect": "Allow",
                "Action": ["rds:PromoteReadReplica", "rds:ModifyDBInstance"],
                "Resource": [database.instance_arns[args.standby_region]],
            },
        ]
    return statements


def access_entries_of(cluster_arn: str) -> str:
    """arn:aws:eks:<r>:<a>:cluster/<name> -> arn:aws:eks:<r>:<a>:access-entry/<name>/*"""
    prefix, _, name = cluster_arn.partition(":cluster/")
    return f"{prefix}:access-entry/{name}/*"


def activate_workflow(args: RegionSwitchPlanArgs) -> dict[str, Any]:
    """One Parallel step: promote the database, promote the cache, scale the pods."""
    return {
        "workflow_target_action": "activate",
        "workflow_target_region": args.standby_region,
        "workflow_description": f"Take over {args.primary_region}'s traffic in "
        f"{args.standby_region}",
        "steps": [
            {
                "name": "take-over",
                "execution_block_type": "Parallel",
                "description": "Database, cache and pods at once",
                "parallel_configs": [
                    {"steps": [database_step(args), cache_step(args), pods_step(args)]}
                ],
            }
        ],
    }


def database_step(args: RegionSwitchPlanArgs) -> dict[str, Any]:
    database = args.database
    if isinstance(database, AuroraFailover):
        return {
            "name": "database",
            "execution_block_type": "AuroraGlobalDatabase",
            "description": "Global Database failover (allow data loss) to the standby cluster",
            "global_aurora_configs": [
                {
                    "behavior": "failover",
                    "global_cluster_identifier": database.global_cluster_identifier,
                    "database_cluster_arns": list(database.cluster_arns),
                    "timeout_minutes": database.timeout_minutes,
                    "ungracefuls": [{"ungraceful": "failover"}],
                }
            ],
        }
    return {
        "name": "database",
        "execution_block_type": "RdsPromoteReadReplica",
        "description": "Promote the standby's read replica",
        "rds_promote_read_replica_configs": [
            {
                "db_instance_arn_map": dict(database.instance_arns),
                "timeout_minutes": database.timeout_minutes,
            }
        ],
    }


def cache_step(args: RegionSwitchPlanArgs) -> dict[str, Any]:
    return {
        "name": "cache",
        "execution_block_type": "CustomActionLambda",
        "description": "Make the Global Datastore's standby group primary",
        "custom_action_lambda_configs": [
            {
                "lambdas": [{"arn": args.cache.function_arn}],
                "region_to_run": "activatingRegion",
                "retry_interval_minutes": args.cache.retry_interval_minutes,
                "timeout_minutes": args.cache.timeout_minutes,
                "ungracefuls": [{"behavior": "skip"}],
            }
        ],
    }


def pods_step(args: RegionSwitchPlanArgs) -> dict[str, Any]:
    scaling = args.pods
    return {
        "name": "pods",
        "execution_block_type": "EKSResourceScaling",
        "description": "Scale the standby release to the primary's recent pods",
        "eks_resource_scaling_configs": [
            {
                "capacity_monitoring_approach": "sampledMaxInLast24Hours",
                "target_percent": scaling.target_percent,
                "timeout_minutes": scaling.timeout_minutes,
                "kubernetes_resource_types": [{"api_version": "apps/v1", "kind": "StatefulSet"}],
                "eks_clusters": [
                    {"cluster_arn": w.cluster_arn} for _, w in sorted(scaling.workloads.items())
                ],
                "scaling_resources": [
                    {
                        "namespace": scaling.key,
                        "resources": [
                            {
                                "resource_name": region,
                                "name": w.name,
                                "namespace": w.namespace,
                                **({"hpa_name": w.hpa_name} if w.hpa_name else {}),
                            }
                            for region, w in sorted(scaling.workloads.items())
                        ],
                    }
                ],
                "ungracefuls": [
                    {"minimum_success_percentage": scaling.ungraceful_minimum_success_percent}
                ],
            }
        ],
    }
