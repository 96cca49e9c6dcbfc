"""The secrets provider of every erlmcp stack: one multi-Region KMS key, present in both regions.

A multi-Region primary key in the primary region and its replica in the replica region share key
material and key id (`mrk-...`), so a ciphertext made in either region decrypts in the other.
That is what keeps `secretsprovider: awskms://alias/erlmcp-pulumi-state` working when a region is
lost: gocloud's awskms keeper sends Decrypt only the ciphertext (google/go-cloud
secrets/awskms/kms.go, `keeper.Decrypt`), KMS reads the key of a symmetric ciphertext from the
ciphertext itself, and with no `region` in the URL the region comes from the AWS SDK's default
chain (gocloud aws/aws.go: AWS_REGION, then the profile). Encrypt names the key by the URL's host
and path (`alias/erlmcp-pulumi-state`, kms.go `URLOpener.OpenKeeperURL`), so the alias must
exist in both regions: aliases are not replicated with the key.

The key policy hands the key to the account only (its IAM policies decide who may use it, as for
the regions' keys in components/kms.py); the same keys encrypt the state buckets, and S3
replication uses them through its role's IAM policy (state_store/replication.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.kms import account_administers

# The longest wait KMS allows between scheduling a deletion and carrying it out.
DELETION_WINDOW_DAYS = 30


@dataclass(frozen=True)
class StateKeyArgs:
    primary_region: str
    replica_region: str
    alias_name: str
    """Without the `alias/` prefix."""
    account_id: str
    providers: Mapping[str, pulumi.ProviderResource]
    """The AWS provider of each of the two regions."""
    tags: Mapping[str, str] = field(default_factory=dict)


class StateKey(pulumi.ComponentResource):
    """The multi-Region primary key, its replica and an alias of the same name in each region.
    Both keys are protected and retained: deleting either loses every stack's secrets in that
    region, and a key scheduled for deletion cannot be used."""

    key_id: pulumi.Output[str]
    """The multi-Region key id (`mrk-...`), the same in both regions."""
    arns: dict[str, pulumi.Output[str]]
    """Each region's key ARN (they differ only in the region)."""
    alias_name: str
    """`alias/<name>`, in both regions."""

    def __init__(
        self, name: str, args: StateKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp-state:bootstrap:StateKey", name, None, opts)
        primary, replica = args.primary_region, args.replica_region
        policy = json.dumps(key_policy(args.account_id))
        tags = dict(args.tags)
        key = aws.kms.Key(
            f"{name}-{primary}",
            region=primary,
            description="Pulumi state and secrets of the erlmcp stacks (multi-Region primary)",
            multi_region=True,
            enable_key_rotation=True,
            deletion_window_in_days=DELETION_WINDOW_DAYS,
            policy=policy,
            tags=tags,
            opts=self._stateful(args.providers[primary]),
        )
        # Rotation is the primary's: a replica rotates with it (it has no setting of its own).
        replica_key = aws.kms.ReplicaKey(
            f"{name}-{replica}",
            region=replica,
            primary_key_arn=key.arn,
            description="Pulumi state and secrets of the erlmcp stacks (replica)",
            deletion_window_in_days=DELETION_WINDOW_DAYS,
            policy=policy,
            tags=tags,
            opts=self._stateful(args.providers[replica]),
        )
        self.alias_name = f"alias/{args.alias_name}"
        for region, key_id in ((primary, key.key_id), (replica, replica_key.key_id)):
            aws.kms.Alias(
                f"{name}-alias-{region}",
                region=region,
                name=self.alias_name,
                target_key_id=key_id,
                opts=pulumi.ResourceOptions(parent=self, provider=args.providers[region]),
            )
        self.key_id = key.key_id
        self.arns = {primary: key.arn, replica: replica_key.arn}
        self.register_outputs({"key_id": self.key_id, "arns": self.arns})

    def _stateful(self, provider: pulumi.ProviderResource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(
            parent=self, provider=provider, protect=True, retain_on_delete=True
        )


def key_policy(account_id: str) -> dict[str, Any]:
    """The account root only: IAM policies of the account decide who uses the key."""
    return {"Version": "2012-10-17", "Statement": [account_administers(account_id)]}
