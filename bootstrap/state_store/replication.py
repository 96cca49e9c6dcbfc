"""Two-way replication between the two state buckets.

Each bucket replicates every object, delete marker and metadata change into the other, re-
encrypted with the other region's replica of the key. Whichever bucket the operators log in to,
what they write reaches the other one (S3 Replication Time Control: 99.99 % within 15 minutes),
so after losing a region they keep working in the other bucket, and the two converge once the
region is back (README, "When us-east-2 is down").

- A V2 rule (it has a `filter`) is the only kind that replicates delete markers and uses RTC. The
  filter is spelled `{prefix: ""}`: terraform-provider-aws sends an empty prefix as given, while
  an empty filter object can be lost on its way through the bridge
  (hashicorp/terraform-provider-aws#23487).
- `sse_kms_encrypted_objects`: S3 skips SSE-KMS objects unless told otherwise, and every object
  here is SSE-KMS.
- `replica_modifications`: a change to a replica's metadata (tags, for instance) travels back to
  the bucket it came from, as two-way replication needs.
- S3 does not replicate a replica back to where it came from, so the two rules make no loop.

One IAM role per direction, least privilege (components/backups.py `replication_role_policy`):
read versions of the source bucket, write replicas into the destination bucket, decrypt with the
source region's key and encrypt with the destination region's, each only through S3 of that key's
region and only for that bucket's objects. Only S3 acting for this account may assume it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.backups import replication_role, replication_rule_args
from state_store.buckets import StateBucket

S3_SERVICE = "s3.amazonaws.com"


@dataclass(frozen=True)
class StateReplicationArgs:
    source: StateBucket
    destination: StateBucket
    account_id: str
    source_provider: pulumi.ProviderResource
    """The source region's provider: a replication configuration belongs to its source bucket."""
    iam_provider: pulumi.ProviderResource
    tags: Mapping[str, str] = field(default_factory=dict)


class StateReplication(pulumi.ComponentResource):
    """Replication of everything in `source` into `destination`, through a role of its own."""

    role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: StateReplicationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        source, destination = args.source, args.destination
        if source.region == destination.region:
            raise ValueError(f"both buckets are in {source.region}: replication must cross regions")
        super().__init__("erlmcp-state:bootstrap:StateReplication", name, None, opts)
        role, role_policy = replication_role(
            name,
            source,
            destination,
            trust_policy=trust_policy(args.account_id),
            description=f"S3 replication of the Pulumi state from {source.region} to "
            f"{destination.region}",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, provider=args.iam_provider),
        )
        # S3 refuses a replication configuration unless both buckets are versioned, and the role
        # must be able to act before the first object arrives.
        aws.s3.BucketReplicationConfig(
            f"{name}-config",
            region=source.region,
            bucket=source.bucket_name,
            role=role.arn,
            rules=[
                two_way_rule(
                    rule_id=f"everything-to-{destination.region}",
                    destination_bucket_arn=destination.bucket_arn,
                    destination_key_arn=destination.kms_key_arn,
                )
            ],
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.source_provider,
                depends_on=[source.versioning, destination.versioning, role_policy],
            ),
        )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})


def trust_policy(account_id: str) -> dict[str, Any]:
    """S3 may assume the role, and only while acting for this account (confused deputy)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": S3_SERVICE},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ],
    }


def two_way_rule(
    *,
    rule_id: str,
    destination_bucket_arn: pulumi.Input[str],
    destination_key_arn: pulumi.Input[str],
) -> dict[str, Any]:
    """The main stack's replication rule (destination key, delete markers, RTC and its metrics),
    with the explicit whole-bucket filter and replica modification sync that two-way replication
    needs."""
    rule = replication_rule_args(
        rule_id=rule_id,
        destination_bucket_arn=destination_bucket_arn,
        destination_key_arn=destination_key_arn,
        replication_time_control=True,
    )
    return {
        **rule,
        "filter": {"prefix": ""},
        "source_selection_criteria": {
            "sse_kms_encrypted_objects": {"status": "Enabled"},
            "replica_modifications": {"status": "Enabled"},
        },
    }
