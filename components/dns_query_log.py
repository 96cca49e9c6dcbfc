"""DNS query logging of a public hosted zone: every query Route 53 answers, in CloudWatch Logs.

Route 53 writes public-zone query logs only to a log group in us-east-1 whose name starts with
`/aws/route53/`, and only once a CloudWatch Logs resource policy lets `route53.amazonaws.com`
create streams and put events there (AWS Route 53 Developer Guide, "Logging DNS queries"; the
provider's `aws_route53_query_log` documents the same order). The resource policy here allows
exactly that service on exactly this log group, and only for hosted zones of this account's
zones (`aws:SourceArn` on `arn:aws:route53:::hostedzone/<zone id>`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

QUERY_LOG_REGION = "us-east-1"
LOG_GROUP_PREFIX = "/aws/route53/"


@dataclass(frozen=True)
class ZoneQueryLogArgs:
    zone_id: pulumi.Input[str]
    domain: str
    kms_key_arn: pulumi.Input[str] | None = None
    """A us-east-1 key that lets CloudWatch Logs encrypt the group; None: CloudWatch's own."""
    retention_days: int = 30
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.domain:
            raise ValueError("domain must be given")
        if self.retention_days < 1:
            raise ValueError(f"retention_days {self.retention_days}: must be at least 1")


def route53_may_write(log_group_arn: str, zone_id: str) -> dict[str, Any]:
    """Route 53 may write query logs of `zone_id` into the log group, and nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Route53QueryLogs",
                "Effect": "Allow",
                "Principal": {"Service": "route53.amazonaws.com"},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:*",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": f"arn:aws:route53:::hostedzone/{zone_id}"}
                },
            }
        ],
    }


class ZoneQueryLog(pulumi.ComponentResource):
    log_group_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: ZoneQueryLogArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp:components:ZoneQueryLog", name, None, opts)
        group = aws.cloudwatch.LogGroup(
            f"{name}-group",
            region=QUERY_LOG_REGION,
            name=f"{LOG_GROUP_PREFIX}{args.domain}",
            retention_in_days=args.retention_days,
            kms_key_id=args.kms_key_arn,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        policy = aws.cloudwatch.LogResourcePolicy(
            f"{name}-policy",
            region=QUERY_LOG_REGION,
            policy_name=f"route53-query-logs-{args.domain}",
            policy_document=pulumi.Output.all(group.arn, args.zone_id).apply(
                lambda values: json.dumps(route53_may_write(values[0], values[1]))
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.route53.QueryLog(
            f"{name}-config",
            zone_id=args.zone_id,
            cloudwatch_log_group_arn=group.arn,
            # Route 53 checks that it may write before it accepts the configuration.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.log_group_name = group.name
        self.register_outputs({"log_group_name": self.log_group_name})
