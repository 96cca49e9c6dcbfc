"""A small Python Lambda function from one handler file of this repository, with its own role,
its own encrypted log group and nothing else it may touch but what the caller lists.

Reusable: the caller gives the region, the handler module (a file under components/lambdas/,
standard library and boto3 only: the Lambda Python runtime provides boto3), its environment, the
KMS key of the region (environment variables and logs are encrypted with it) and the IAM
statements the code needs. What it builds:

* an IAM role that only `lambda.amazonaws.com` may assume (for this account), with an inline
  policy: the caller's statements, plus writing to its own log group;
* a CloudWatch log group `/aws/lambda/<name>` encrypted with the region's key, kept
  `log_retention_days` (Lambda writes there by the function's name: Lambda developer guide,
  "Using CloudWatch Logs with Lambda");
* the function: `python3.12`, the handler file zipped by Pulumi (an `AssetArchive`, so the
  code's hash is part of the update), X-Ray tracing active, `reserved_concurrency` (1: one run
  at a time, a failover step must not race itself), environment encrypted with the key.

terraform-provider-aws at the pinned revision validates `runtime` against its list
(internal/service/lambda/function.go, `validation.StringInSlice(lambda.Runtime_Values())`),
which has python3.12 and not later ones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

RUNTIME = "python3.12"
LAMBDAS_DIR = Path(__file__).resolve().parent / "lambdas"
# The program runs in the project's directory (Pulumi.yaml's), where the asset path is resolved;
# relative, so that the recorded plan is the same in every checkout.
LAMBDAS_PATH = "components/lambdas"
# internal/service/lambda/function.go: function_name 1-64 of letters, digits, '-' and '_'.
MAX_FUNCTION_NAME = 64


@dataclass(frozen=True)
class PythonFunctionArgs:
    region: str
    function_name: str
    module: str
    """A file of components/lambdas/ without `.py`; its `handler` is the entry point."""
    account_id: str
    kms_key_arn: pulumi.Input[str]
    statements: Sequence[Mapping[str, Any]]
    """IAM statements (plain or Output) the code needs, beyond its own logs."""
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    timeout_seconds: int = 60
    memory_mb: int = 128
    reserved_concurrency: int = 1
    log_retention_days: int = 30
    tags: Mapping[str, str] = field(default_factory=dict)
    global_provider: pulumi.ProviderResource | None = None
    """The provider for IAM (a global service); None: the component's own."""
    schedule: str | None = None
    """An EventBridge schedule (`rate(1 minute)`) that invokes the function; None: none."""

    def __post_init__(self) -> None:
        if not 1 <= len(self.function_name) <= MAX_FUNCTION_NAME:
            raise ValueError(f"function name {self.function_name!r}: 1 to 64 characters")
        if not (LAMBDAS_DIR / f"{self.module}.py").is_file():
            raise ValueError(f"no handler file components/lambdas/{self.module}.py")
        if not 1 <= self.timeout_seconds <= 900:
            raise ValueError("timeout_seconds: Lambda allows 1 to 900")


class PythonFunction(pulumi.ComponentResource):
    """`function_arn`, `function_name` and `role_arn` once built."""

    function_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: PythonFunctionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp:components:PythonFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            region=args.region,
            name=f"/aws/lambda/{args.function_name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=dict(args.tags),
            opts=child,
        )
        iam = pulumi.ResourceOptions(parent=self, provider=args.global_provider)
        role = aws.iam.Role(
            f"{name}-role",
            name=args.function_name,
            description=f"Runs the Lambda function {args.function_name} in {args.region}",
            assume_role_policy=json.dumps(trust_policy(args.account_id)),
            tags=dict(args.tags),
            opts=iam,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=pulumi.Output.all(logs.arn, list(args.statements)).apply(
                lambda values: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [*values[1], log_statement(values[0]), xray_statement()],
                    },
                    sort_keys=True,
                )
            ),
            opts=iam,
        )
        function = aws.lambda_.Function(
            f"{name}-function",
            region=args.region,
            name=args.function_name,
            role=role.arn,
            runtime=RUNTIME,
            handler=f"{args.module}.handler",
            code=pulumi.AssetArchive(
                {f"{args.module}.py": pulumi.FileAsset(f"{LAMBDAS_PATH}/{args.module}.py")}
            ),
            timeout=args.timeout_seconds,
            memory_size=args.memory_mb,
            reserved_concurrent_executions=args.reserved_concurrency,
            kms_key_arn=args.kms_key_arn,
            environment={"variables": dict(args.environment)},
            tracing_config={"mode": "Active"},
            logging_config={"log_format": "JSON", "log_group": logs.name},
            tags=dict(args.tags),
            # The role's policy must exist before the first run writes a log line.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, logs]),
        )
        if args.schedule is not None:
            self._schedule(name, args, function)
        self.function_arn = function.arn
        self.function_name = function.name
        self.role_arn = role.arn
        self.register_outputs({"function_arn": function.arn, "role_arn": role.arn})

    def _schedule(
        self, name: str, args: PythonFunctionArgs, function: aws.lambda_.Function
    ) -> None:
        """EventBridge invokes the function on the schedule; the function's resource policy
        admits that rule only (Lambda developer guide, "Using resource-based policies":
        `SourceArn` of the rule)."""
        child = pulumi.ResourceOptions(parent=self)
        rule = aws.cloudwatch.EventRule(
            f"{name}-schedule",
            region=args.region,
            name=args.function_name,
            description=f"Runs {args.function_name} {args.schedule}",
            schedule_expression=args.schedule,
            state="ENABLED",
            tags=dict(args.tags),
            opts=child,
        )
        aws.lambda_.Permission(
            f"{name}-invoked-by-schedule",
            region=args.region,
            action="lambda:InvokeFunction",
            function=function.name,
            principal="events.amazonaws.com",
            source_arn=rule.arn,
            source_account=args.account_id,
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-schedule-target",
            region=args.region,
            rule=rule.name,
            target_id="function",
            arn=function.arn,
            opts=child,
        )


def trust_policy(account_id: str) -> dict[str, Any]:
    """Only Lambda, on behalf of this account's functions (confused-deputy guard: IAM user
    guide, "The confused deputy problem", `aws:SourceAccount`)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ],
    }


def log_statement(log_group_arn: str) -> dict[str, Any]:
    """Its own log group only (X-Ray's segments need `xray:PutTraceSegments` below)."""
    return {
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [f"{log_group_arn}:*"],
    }


def xray_statement() -> dict[str, Any]:
    """Tracing: X-Ray's write actions support no resource-level permission (Service
    Authorization Reference, AWS X-Ray: PutTraceSegments, PutTelemetryRecords, resource `*`)."""
    return {
        "Effect": "Allow",
        "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
        "Resource": "*",
    }
