"""DNSSEC signing of a public hosted zone: a key-signing key in KMS, and the zone signed with it.

Route 53 signs with a key-signing key (KSK) backed by an asymmetric customer managed KMS key in
us-east-1 (`ECC_NIST_P256`, `SIGN_VERIFY`) whose policy lets `dnssec-route53.amazonaws.com`
read the public key, sign and create a grant for this account's hosted zones (AWS Route 53
Developer Guide, "Working with customer managed keys for DNSSEC"). The chain of trust is complete
once the parent zone (the registrar) holds the DS record this component exports as `ds_record`;
until then resolvers treat the signed zone as unsigned, so signing first is safe.

The KMS key, the key-signing key and the zone's signing are all protected (`protect`), and the KMS
key also has a 30-day deletion window: once the parent holds the DS record, losing any of the three
makes every validating resolver reject the domain (SERVFAIL). Deleting the key-signing key
deactivates and deletes it (terraform-provider-aws `internal/service/route53/key_signing_key.go`
`resourceKeySigningKeyDelete`, lines 258-288: `DeactivateKeySigningKey`, `DeleteKeySigningKey`);
deleting the signing disables DNSSEC for the zone (`hosted_zone_dnssec.go`
`resourceHostedZoneDNSSECDelete`, lines 150-158: `DisableHostedZoneDNSSEC`); and both are
replaced by a change of `hosted_zone_id` (ForceNew, `key_signing_key.go:60-63`,
`hosted_zone_dnssec.go:34-37`), the key-signing key also by a change of `name`
(`key_signing_key.go:74-77`). To stop signing on purpose: remove the DS record at the registrar,
wait out its TTL, then `pulumi state unprotect` these resources.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.kms import account_administers

KEY_REGION = "us-east-1"
KEY_SPEC = "ECC_NIST_P256"
KEY_USAGE = "SIGN_VERIFY"
_KSK_NAME = re.compile(r"^[A-Za-z0-9_]{3,128}$")


@dataclass(frozen=True)
class ZoneSigningArgs:
    zone_id: pulumi.Input[str]
    domain: str
    account_id: str
    """The owning account (from config: reading it through STS would be a call at every run)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = True

    def __post_init__(self) -> None:
        if not self.domain:
            raise ValueError("domain must be given")

    @property
    def ksk_name(self) -> str:
        name = re.sub(r"[^A-Za-z0-9_]", "_", self.domain) + "_ksk"
        if not _KSK_NAME.match(name):
            raise ValueError(f"{self.domain!r} gives no valid key-signing key name ({name!r})")
        return name


def signing_key_policy(account_id: str) -> dict[str, Any]:
    """The account administers the key; Route 53's DNSSEC service may only use it to sign for
    this account's hosted zones."""
    route53 = {"Service": "dnssec-route53.amazonaws.com"}
    return {
        "Version": "2012-10-17",
        "Statement": [
            account_administers(account_id),
            {
                "Sid": "Route53DnssecSigns",
                "Effect": "Allow",
                "Principal": route53,
                "Action": ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": "arn:aws:route53:::hostedzone/*"},
                },
            },
            {
                "Sid": "Route53DnssecGrants",
                "Effect": "Allow",
                "Principal": route53,
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": True}},
            },
        ],
    }


class ZoneSigning(pulumi.ComponentResource):
    ds_record: pulumi.Output[str]

    def __init__(
        self, name: str, args: ZoneSigningArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp:components:ZoneSigning", name, None, opts)
        key = aws.kms.Key(
            f"{name}-key",
            region=KEY_REGION,
            description=f"DNSSEC key-signing key of {args.domain}",
            customer_master_key_spec=KEY_SPEC,
            key_usage=KEY_USAGE,
            deletion_window_in_days=30,
            policy=json.dumps(signing_key_policy(args.account_id)),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        ksk = aws.route53.KeySigningKey(
            f"{name}-ksk",
            hosted_zone_id=args.zone_id,
            key_management_service_arn=key.arn,
            name=args.ksk_name,
            status="ACTIVE",
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.route53.HostedZoneDnsSec(
            f"{name}-signing",
            hosted_zone_id=ksk.hosted_zone_id,
            signing_status="SIGNING",
            # Signing needs an active key-signing key.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ksk], protect=args.protect),
        )
        self.ds_record = ksk.ds_record
        self.register_outputs({"ds_record": self.ds_record})
