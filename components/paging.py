"""Where a region's alerts go: one SNS topic per severity, encrypted with the region's key, that
the region's CloudWatch alarms, EventBridge rules and Prometheus alert manager publish to, and
HTTPS subscriptions (a pager's integration URL) that deliver them.

Nothing crosses a region: the topics, their key and every publisher live in `args.region`.
The key must let the publishing services use it (components/kms.py `publisher_statements`):
an SNS topic encrypted with a customer-managed key drops what a service publishes unless the
key policy allows that service kms:GenerateDataKey* and kms:Decrypt (SNS developer guide,
"Enable compatibility between event sources from AWS services and encrypted topics").
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

SEVERITIES = ("page", "ticket")
_ENDPOINT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class PagingArgs:
    region: str
    topic_name_prefix: str
    """`<prefix>-page`, `<prefix>-ticket`: e.g. `erlmcp-prod-us-east-1`."""
    kms_key_arn: pulumi.Input[str]
    """The region's customer-managed key; its policy must admit the publishers (kms.py)."""
    account_id: str
    alarm_name_prefix: str
    """Only CloudWatch alarms whose names start with this may publish (confused deputy)."""
    endpoints: Mapping[str, Mapping[str, pulumi.Input[str]]] = field(default_factory=dict)
    """severity -> endpoint name -> HTTPS URL (a secret); the name keeps each subscription's
    logical name stable, whatever the order of the others."""
    tags: Mapping[str, str] = field(default_factory=dict)


class Paging(pulumi.ComponentResource):
    """The `page` and `ticket` topics of one region and their subscriptions."""

    topic_arns: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: PagingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _validate(args)
        super().__init__("erlmcp:components:Paging", name, None, opts)
        self.topic_arns = {}
        for severity in SEVERITIES:
            topic = aws.sns.Topic(
                f"{name}-{severity}",
                region=args.region,
                name=f"{args.topic_name_prefix}-{severity}",
                kms_master_key_id=args.kms_key_arn,
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.sns.TopicPolicy(
                f"{name}-{severity}-policy",
                region=args.region,
                arn=topic.arn,
                policy=topic.arn.apply(
                    lambda arn: json.dumps(
                        topic_policy(arn, args.region, args.account_id, args.alarm_name_prefix)
                    )
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for endpoint_name, url in sorted(args.endpoints.get(severity, {}).items()):
                aws.sns.TopicSubscription(
                    f"{name}-{severity}-{endpoint_name}",
                    region=args.region,
                    topic=topic.arn,
                    protocol="https",
                    endpoint=pulumi.Output.secret(url),
                    # PagerDuty and Opsgenie confirm the subscription themselves.
                    endpoint_auto_confirms=True,
                    opts=pulumi.ResourceOptions(parent=self),
                )
            self.topic_arns[severity] = topic.arn
        self.register_outputs({"topic_arns": self.topic_arns})


def topic_policy(topic_arn: str, region: str, account_id: str, alarm_prefix: str) -> dict[str, Any]:
    """Who may publish: this region's CloudWatch alarms named `alarm_prefix*`, EventBridge rules
    and Prometheus workspaces of this account; and nobody over plain HTTP."""
    source_account = {"aws:SourceAccount": account_id}

    def allow(
        sid: str, service: str, source_arn: str, action: str | list[str] = "sns:Publish"
    ) -> dict[str, Any]:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": action,
            "Resource": topic_arn,
            "Condition": {"StringEquals": source_account, "ArnLike": {"aws:SourceArn": source_arn}},
        }

    return {
        "Version": "2012-10-17",
        "Statement": [
            allow(
                "CloudWatchAlarmsOfThisRegion",
                "cloudwatch.amazonaws.com",
                f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{alarm_prefix}*",
            ),
            allow(
                "EventBridgeRulesOfThisRegion",
                "events.amazonaws.com",
                f"arn:aws:events:{region}:{account_id}:rule/*",
            ),
            # AMP's alert manager reads the topic's attributes as well as publishing (AMP user
            # guide, "Giving Amazon Managed Service for Prometheus permission to send alert
            # messages to your Amazon SNS topic": sns:Publish and sns:GetTopicAttributes).
            allow(
                "PrometheusWorkspacesOfThisRegion",
                "aps.amazonaws.com",
                f"arn:aws:aps:{region}:{account_id}:workspace/*",
                ["sns:Publish", "sns:GetTopicAttributes"],
            ),
            {
                "Sid": "DenyPlainHttp",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def _validate(args: PagingArgs) -> None:
    unknown = sorted(set(args.endpoints) - set(SEVERITIES))
    if unknown:
        raise ValueError(f"endpoints for unknown severities {unknown}; use {list(SEVERITIES)}")
    for severity, endpoints in args.endpoints.items():
        for endpoint_name in endpoints:
            if not _ENDPOINT_NAME.match(endpoint_name):
                raise ValueError(
                    f"endpoint name {endpoint_name!r} ({severity}) must be 1-40 lowercase letters, "
                    "digits and '-': it names the subscription"
                )
