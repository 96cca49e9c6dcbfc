"""dns-zone-dnssec: every public hosted zone of the stack is signed with DNSSEC.

A zone counts as signed when a Route 53 DNSSEC configuration with `signingStatus: SIGNING`
names it (its `hostedZoneId` is the zone's id, or takes it from the zone, as in a first
preview) and an ACTIVE key-signing key exists for it. Without signatures a resolver cannot tell
the domain's real answers from forged ones (cache poisoning sends users to another server).
"""

from __future__ import annotations

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from erlmcp_policies.stack.graph import StackIndex, names_zone, prop

NAME = "dns-zone-dnssec"

SIGNING = "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec"
KSK = "aws:route53/keySigningKey:KeySigningKey"


def _signs(resource: PolicyResource, zone: PolicyResource) -> bool:
    """`resource` names `zone`, directly or through the key-signing key it takes the zone from."""
    return names_zone(resource, zone, "hostedZoneId") or any(
        names_zone(ksk, zone, "hostedZoneId")
        for ksk in resource.property_dependencies.get("hostedZoneId", [])
    )


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    index = StackIndex(args.resources)
    for zone in index.public_zones():
        signed = any(
            prop(s.props, "signingStatus") in ("SIGNING", None) and _signs(s, zone)
            for s in index.of_type(SIGNING)
        )
        active_key = any(
            prop(k.props, "status") in ("ACTIVE", None) and _signs(k, zone)
            for k in index.of_type(KSK)
        )
        if not (signed and active_key):
            missing = (
                "DNSSEC configuration that signs it" if not signed else "active key-signing key"
            )
            report_violation(
                f"Hosted zone {prop(zone.props, 'name')!r} is not DNSSEC-signed: it has no "
                f"{missing} (aws.route53.HostedZoneDnsSec, aws.route53.KeySigningKey).",
                zone.urn,
            )


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "Every public Route 53 hosted zone is signed with DNSSEC [CKV2_AWS_38; NIST SC-20]"
    ),
    validate=validate,
)
