"""The secrets provider of every erlmcp stack: one multi-Region KMS key, replicated into every
region an operator may work from.

The stacks name `secretsprovider: awskms://alias/erlmcp-pulumi-state`, without a region. Pulumi
opens that URL with gocloud both for the stack file's data key (pulumi/pulumi
pkg/secrets/cloud/manager.go, `NewCloudSecretsManager` -> `newCloudSecretsManager` -> `Decrypt`,
lines 188-238 and 94-126) and for the checkpoint's, whose state records the URL it was made with
(`NewCloudSecretsManagerFromState`, lines 156-186, via pkg/backend/secrets/providers.go line 49).
gocloud's `awskms` opener builds its AWS config from the URL's query (google/go-cloud
secrets/awskms/kms.go `URLOpener.OpenKeeperURL`, lines 121-141, at b5401c07b5f1, the version
Pulumi pins): a `region` parameter pins the region (aws/aws.go `V2ConfigFromURLParams`, lines
93-109); without one it is the SDK's default chain, AWS_REGION first. Decrypt sends only the
ciphertext (kms.go lines 170-180), and KMS finds a symmetric ciphertext's key in it; Encrypt (a
new stack, `change-secrets-provider`) names the key by the URL's alias (lines 182-191).

So the key must exist wherever AWS_REGION may point, and the README's failover sets it to the
standby region: every region of the erlmcp stacks gets a replica (`keyReplicaRegions`). A
multi-Region primary and its replicas share key id (`mrk-...`) and key material, which KMS keeps
in sync (KMS API reference, ReplicateKey), so the data keys the stacks already hold decrypt in
every replica. Aliases are not replicated: each region gets its own.

Pinning the region instead (`awskms://alias/...?region=us-east-2`) cannot survive that region's
loss: the checkpoint's secrets state would keep the pinned URL, and
`PULUMI_CLOUD_SECRET_OVERRIDE` changes only the stack file's provider, making a new data key when
the URL differs (manager.go lines 201-225), never the checkpoint's.

The key policy hands the key to the account only (its IAM policies decide who may use it, as for
the regions' keys in components/kms.py); the keys of the two bucket regions encrypt the state
buckets, and S3 replication uses them through its role's IAM policy (state_store/replication.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
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
    replica_regions: Sequence[str]
    alias_name: str
    """Without the `alias/` prefix."""
    account_id: str
    providers: Mapping[str, pulumi.ProviderResource]
    """The AWS provider of each region."""
    tags: Mapping[str, str] = field(default_factory=dict)


class StateKey(pulumi.ComponentResource):
    """The multi-Region primary key, a replica in each other region and an alias of the same
    name in every one. Every key is protected and retained: deleting one loses every stack's
    secrets in that region, and a key scheduled for deletion cannot be used."""

    key_id: pulumi.Output[str]
    """The multi-Region key id (`mrk-...`), the same in every region."""
    arns: dict[str, pulumi.Output[str]]
    """Each region's key ARN (they differ only in the region)."""
    alias_name: str
    """`alias/<name>`, in every region."""

    def __init__(
        self, name: str, args: StateKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp-state:bootstrap:StateKey", name, None, opts)
        primary = args.primary_region
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
        replicas = {
            region: aws.kms.ReplicaKey(
                f"{name}-{region}",
                region=region,
                primary_key_arn=key.arn,
                description="Pulumi state and secrets of the erlmcp stacks (replica)",
                deletion_window_in_days=DELETION_WINDOW_DAYS,
                policy=policy,
                tags=tags,
                opts=self._stateful(args.providers[region]),
            )
            for region in args.replica_regions
        }
        self.alias_name = f"alias/{args.alias_name}"
        key_ids = {primary: key.key_id} | {r: replica.key_id for r, replica in replicas.items()}
        for region, key_id in key_ids.items():
            aws.kms.Alias(
                f"{name}-alias-{region}",
                region=region,
                name=self.alias_name,
                target_key_id=key_id,
                opts=pulumi.ResourceOptions(parent=self, provider=args.providers[region]),
            )
        self.key_id = key.key_id
        self.arns = {primary: key.arn} | {r: replica.arn for r, replica in replicas.items()}
        self.register_outputs({"key_id": self.key_id, "arns": self.arns})

    def _stateful(self, provider: pulumi.ProviderResource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(
            parent=self, provider=provider, protect=True, retain_on_delete=True
        )


def key_policy(account_id: str) -> dict[str, Any]:
    """The account root only: IAM policies of the account decide who uses the key."""
    return {"Version": "2012-10-17", "Statement": [account_administers(account_id)]}
