"""rds-encrypted-with-cmk, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "rds-encrypted-with-cmk"
INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
KEY = "arn:aws:kms:us-east-1:123456789012:key/cbf97e6f-6d57-42cc-8cbf-cbf97e6f6d57"
SOURCE_ARN = "arn:aws:rds:us-east-1:123456789012:db:erlmcp-prod-us-east-1"


def check(analyze_resource, type_: str, **props: object) -> list[str]:
    return messages(analyze_resource(type_, {"engine": "postgres", **props}), POLICY)


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


@pytest.mark.parametrize("type_", [INSTANCE, CLUSTER])
def test_encrypted_with_customer_key_passes(analyze_resource, type_):
    assert check(analyze_resource, type_, storageEncrypted=True, kmsKeyId=KEY) == []


@pytest.mark.parametrize("type_", [INSTANCE, CLUSTER])
def test_unencrypted_is_a_violation(analyze_resource, type_):
    assert check(analyze_resource, type_, kmsKeyId=KEY) == ["storageEncrypted must be true."]
    [found] = only(analyze_resource(type_, {"storageEncrypted": False}), POLICY)
    assert found.detail == "storageEncrypted must be true."
    assert found.enforcement_level == "mandatory"


def test_encrypted_without_a_key_is_a_violation(analyze_resource):
    assert check(analyze_resource, INSTANCE, storageEncrypted=True) == [
        "kmsKeyId is not set: name a customer managed KMS key."
    ]


def test_aws_managed_key_is_a_violation(analyze_resource):
    found = check(analyze_resource, INSTANCE, storageEncrypted=True, kmsKeyId="alias/aws/rds")
    assert found == ["kmsKeyId 'alias/aws/rds' is an AWS managed key; use a customer managed key."]


def test_cross_region_replica_needs_its_own_key(analyze_resource):
    replica = {"replicateSourceDb": SOURCE_ARN, "storageEncrypted": True, "region": "us-west-2"}
    assert messages(analyze_resource(INSTANCE, replica), POLICY) == [
        "kmsKeyId is not set: name a customer managed KMS key."
    ]
    own_key = KEY.replace("us-east-1", "us-west-2")
    assert messages(analyze_resource(INSTANCE, {**replica, "kmsKeyId": own_key}), POLICY) == []


def test_cross_region_replica_with_its_sources_key_is_a_violation(analyze_resource):
    replica = {"replicateSourceDb": SOURCE_ARN, "storageEncrypted": True, "region": "us-west-2"}
    assert messages(analyze_resource(INSTANCE, {**replica, "kmsKeyId": KEY}), POLICY) == [
        "kmsKeyId is a key of us-east-1, but the database is in us-west-2: "
        "encrypt it with a key of us-west-2."
    ]


@pytest.mark.parametrize("type_", [INSTANCE, CLUSTER])
def test_a_key_of_another_region_is_a_violation(analyze_resource, type_):
    found = check(
        analyze_resource, type_, storageEncrypted=True, kmsKeyId=KEY, region="eu-central-1"
    )
    assert found == [
        "kmsKeyId is a key of us-east-1, but the database is in eu-central-1: "
        "encrypt it with a key of eu-central-1."
    ]


def test_the_region_may_come_from_the_provider(analyze_resource):
    provider = ("pulumi:providers:aws", "eu", {"region": "eu-west-1"})
    found = analyze_resource(
        INSTANCE, {"storageEncrypted": True, "kmsKeyId": KEY}, provider=provider
    )
    assert messages(found, POLICY) == [
        "kmsKeyId is a key of us-east-1, but the database is in eu-west-1: "
        "encrypt it with a key of eu-west-1."
    ]


def test_every_prod_database_uses_a_key_of_its_own_region(prod_stack):
    databases = [
        r
        for r in prod_stack.resources
        if r.type in (INSTANCE, CLUSTER) and r.plain_inputs.get("kmsKeyId")
    ]
    assert len(databases) >= 8  # primaries, replicas, Aurora writers and secondaries
    for db in databases:
        key_region = db.plain_inputs["kmsKeyId"].split(":")[3]
        assert key_region == db.region, db.name


def test_same_region_replica_inherits_encryption(analyze_resource):
    assert messages(analyze_resource(INSTANCE, {"replicateSourceDb": "db-1"}), POLICY) == []
    found = analyze_resource(INSTANCE, {"replicateSourceDb": "db-1", "storageEncrypted": False})
    assert messages(found, POLICY) == ["storageEncrypted is false on a read replica."]


def test_unknown_values_are_not_violations(analyze_resource):
    assert (
        only(analyze_resource(INSTANCE, {"storageEncrypted": UNKNOWN, "kmsKeyId": KEY}), POLICY)
        == []
    )
    assert (
        only(analyze_resource(INSTANCE, {"storageEncrypted": True, "kmsKeyId": UNKNOWN}), POLICY)
        == []
    )
    replica = {"replicateSourceDb": UNKNOWN, "storageEncrypted": True}
    assert only(analyze_resource(INSTANCE, replica), POLICY) == []
