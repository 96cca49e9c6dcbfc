"""DNSSEC signing of the public zone: an asymmetric us-east-1 KMS key, a KSK, the zone signed."""

from __future__ import annotations

import json

import pytest

from components.dnssec import ZoneSigning, ZoneSigningArgs
from tests.conftest import assert_parented_under

ZONE_ID = "Z0123456789ABC"
ACCOUNT = "123456789012"
KEY = "aws:kms/key:Key"
KSK = "aws:route53/keySigningKey:KeySigningKey"
SIGNING = "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec"


@pytest.fixture
def stack(record):
    return record(
        lambda: ZoneSigning(
            "dns-signing", ZoneSigningArgs(zone_id=ZONE_ID, domain="erlmcp.io", account_id=ACCOUNT)
        )
    )


def test_the_key_is_an_asymmetric_signing_key_in_us_east_1_and_protected(stack):
    [key] = stack.of_type(KEY)
    assert key.region == "us-east-1"
    assert key.plain_inputs["customerMasterKeySpec"] == "ECC_NIST_P256"
    assert key.plain_inputs["keyUsage"] == "SIGN_VERIFY"
    assert key.protect and key.plain_inputs["deletionWindowInDays"] == 30


def test_the_ksk_and_the_signing_are_protected_like_the_key(stack):
    # With the DS record at the registrar, deleting either takes the domain dark.
    [ksk] = stack.of_type(KSK)
    [signing] = stack.of_type(SIGNING)
    assert ksk.protect and signing.protect


def test_protect_false_unprotects_all_three(record):
    stack = record(
        lambda: ZoneSigning(
            "dns-signing",
            ZoneSigningArgs(zone_id=ZONE_ID, domain="erlmcp.io", account_id=ACCOUNT, protect=False),
        )
    )
    assert [r.urn for r in stack.resources if r.protect] == []


def test_route53_may_only_sign_for_this_accounts_zones(stack):
    [key] = stack.of_type(KEY)
    statements = {s["Sid"]: s for s in json.loads(key.plain_inputs["policy"])["Statement"]}
    signs = statements["Route53DnssecSigns"]
    assert signs["Principal"] == {"Service": "dnssec-route53.amazonaws.com"}
    assert signs["Action"] == ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"]
    assert signs["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    grants = statements["Route53DnssecGrants"]
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": True}}
    admin = statements["EnableIamPoliciesOfTheAccount"]
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}


def test_the_zone_is_signed_with_an_active_ksk_of_that_key(stack):
    [key] = stack.of_type(KEY)
    [ksk] = stack.of_type(KSK)
    [signing] = stack.of_type(SIGNING)
    assert ksk.plain_inputs == {
        "hostedZoneId": ZONE_ID,
        "keyManagementServiceArn": key.outputs["arn"],
        "name": "erlmcp_io_ksk",
        "status": "ACTIVE",
    }
    assert signing.plain_inputs == {"hostedZoneId": ZONE_ID, "signingStatus": "SIGNING"}
    assert ksk.urn in signing.dependencies
    assert_parented_under(stack, "erlmcp:components:ZoneSigning", "dns-signing")


def test_a_domain_without_a_valid_key_name_is_rejected():
    with pytest.raises(ValueError, match="domain must be given"):
        ZoneSigningArgs(zone_id=ZONE_ID, domain="", account_id=ACCOUNT)


def test_prod_signs_its_zone_and_exports_the_ds_record(prod_stack):
    [zone] = prod_stack.of_type("aws:route53/zone:Zone")
    [ksk] = prod_stack.of_type(KSK)
    assert ksk.plain_inputs["hostedZoneId"] == zone.outputs["zoneId"]
    assert prod_stack.outputs["dnssecDsRecord"] == ksk.outputs["dsRecord"]
