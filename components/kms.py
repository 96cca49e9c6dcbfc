"""A customer-managed KMS key for one region's data at rest, with rotation and a narrow policy."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

_ALIAS_NAME = re.compile(r"^[A-Za-z0-9/_-]{1,250}$")


@dataclass(frozen=True)
class RegionKeyArgs:
    region: str
    description: str
    alias_name: str
    """The alias without its `alias/` prefix, e.g. `erlmcp-prod-us-east-1`."""
    account_id: str
    """The owning account (from config: reading it through STS would be a call at every run)."""
    deletion_window_days: int = 30
    tags: dict[str, str] = field(default_factory=dict)
    protect: bool = True


class RegionKey(pulumi.ComponentResource):
    """A symmetric key in `args.region`, rotated yearly, usable by IAM principals of the account
    (through their own IAM policies) and by CloudWatch Logs of this region only."""

    key_arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    alias_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: RegionKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _validate(args)
        super().__init__("erlmcp:components:RegionKey", name, None, opts)
        policy = json.dumps(key_policy(args.region, args.account_id))
        key = aws.kms.Key(
            f"{name}-key",
            region=args.region,
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            policy=policy,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        alias = aws.kms.Alias(
            f"{name}-alias",
            region=args.region,
            name=f"alias/{args.alias_name}",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.key_arn = key.arn
        self.key_id = key.key_id
        self.alias_name = alias.name
        self.register_outputs(
            {"key_arn": self.key_arn, "key_id": self.key_id, "alias_name": self.alias_name}
        )


def account_administers(account_id: str) -> dict[str, Any]:
    """The key policy statement that hands the key to the account: its IAM policies then decide
    who else may use it (without it, nobody in the account could manage the key)."""
    return {
        "Sid": "EnableIamPoliciesOfTheAccount",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def key_policy(region: str, account_id: str) -> dict[str, Any]:
    """The key policy: the account root (so IAM policies decide who else may use the key),
    CloudWatch Logs of this region for log groups of this account and region only, and the
    services that publish to this region's encrypted SNS topics (`publisher_statements`)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            account_administers(account_id),
            *publisher_statements(account_id),
            {
                "Sid": "AllowCloudWatchLogsOfThisRegion",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:aws:logs:{region}:{account_id}:*"
                        )
                    }
                },
            },
        ],
    }


def publisher_statements(account_id: str) -> list[dict[str, Any]]:
    """An SNS topic encrypted with this key accepts what a service publishes only if the service
    may use the key (SNS developer guide, "Enable compatibility between event sources from AWS
    services and encrypted topics"). CloudWatch alarms and Amazon Managed Prometheus are held to
    this account by aws:SourceAccount; EventBridge's KMS request carries no source keys (same
    page), so its statement has none, and the topic policy (components/paging.py) narrows it."""
    use = ["kms:Decrypt", "kms:GenerateDataKey*"]
    return [
        {
            "Sid": "AlarmsAndPrometheusPublishToEncryptedTopics",
            "Effect": "Allow",
            "Principal": {"Service": ["cloudwatch.amazonaws.com", "aps.amazonaws.com"]},
            "Action": use,
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        },
        {
            "Sid": "EventBridgePublishesToEncryptedTopics",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": use,
            "Resource": "*",
        },
    ]


def _validate(args: RegionKeyArgs) -> None:
    if not 7 <= args.deletion_window_days <= 30:
        raise ValueError(
            f"deletion_window_days must be between 7 and 30, got {args.deletion_window_days}"
        )
    # AWS reserves `alias/aws/` for AWS managed keys; the prefix is added here.
    if not _ALIAS_NAME.match(args.alias_name) or args.alias_name.startswith(("alias/", "aws/")):
        raise ValueError(
            f"alias_name {args.alias_name!r} must be letters, digits, '/', '_' or '-', "
            "without the 'alias/' prefix and not under 'aws/'"
        )
