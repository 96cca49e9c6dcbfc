"""BackupBucket and BucketReplication: what they create, where, and how tightly."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from components.backups import (
    BackupBucket,
    BackupBucketArgs,
    BucketReplication,
    BucketReplicationArgs,
    LifecycleRule,
)
from offline.recorder import RecordedResource, RecordedStack
from tests.conftest import assert_parented_under

BUCKET = "aws:s3/bucket:Bucket"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET_COMPONENT = "erlmcp:components:BackupBucket"
REPLICATION_COMPONENT = "erlmcp:components:BucketReplication"

KEY_EAST = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-8444-555555555555"
KEY_WEST = "arn:aws:kms:us-west-2:123456789012:key/66666666-7777-4888-8999-000000000000"
KEYS = {"us-east-1": KEY_EAST, "us-west-2": KEY_WEST}
TAGS = {"service": "erlmcp", "environment": "test"}

RULES = (
    LifecycleRule("test-postgres", "test/postgres/", 120, 7, glacier_after_days=30),
    LifecycleRule("test-ets", "test/ets/", 7, 1),
    LifecycleRule("test-config", "test/config/", 90, 30),
)


def bucket_args(region: str = "us-east-1", **overrides: Any) -> BackupBucketArgs:
    values: dict[str, Any] = {
        "region": region,
        "kms_key_arn": KEYS[region],
        "lifecycle_rules": RULES,
        "tags": TAGS,
    }
    values.update(overrides)
    return BackupBucketArgs(**values)


def build_bucket(record: Callable[..., RecordedStack], **overrides: Any) -> RecordedStack:
    return record(lambda: BackupBucket("us-east-1-backups", bucket_args(**overrides)))


def build_pair(record: Callable[..., RecordedStack], **overrides: Any) -> RecordedStack:
    def program() -> None:
        source = BackupBucket("us-east-1-backups", bucket_args("us-east-1"))
        destination = BackupBucket("us-west-2-backups", bucket_args("us-west-2"))
        values: dict[str, Any] = {
            "region": "us-east-1",
            "source": source,
            "destination": destination,
            "tags": TAGS,
        }
        values.update(overrides)
        BucketReplication("us-east-1-backups-to-us-west-2", BucketReplicationArgs(**values))

    return record(program)


@pytest.fixture
def bucket_stack(record: Callable[..., RecordedStack]) -> RecordedStack:
    return build_bucket(record)


@pytest.fixture
def pair(record: Callable[..., RecordedStack]) -> RecordedStack:
    return build_pair(record)


def only(stack: RecordedStack, type_: str, region: str = "us-east-1") -> RecordedResource:
    found = [r for r in stack.of_type(type_) if r.region in (region, None)]
    assert len(found) == 1, f"{len(found)} {type_} in {region}"
    return found[0]


def policy_of(resource: RecordedResource) -> dict[str, Any]:
    return json.loads(resource.plain_inputs["policy"])


def statement(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    [found] = [s for s in policy["Statement"] if s.get("Sid") == sid]
    return found


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


# -- LifecycleRule -------------------------------------------------------------------------


def test_glacier_rule_needs_ninety_days_in_glacier_before_expiry() -> None:
    with pytest.raises(ValueError, match=r"'db-full'.*90-day minimum"):
        LifecycleRule("db-full", "prod/postgres/", 30, 7, glacier_after_days=1)


def test_glacier_rule_with_exactly_ninety_days_in_glacier_is_accepted() -> None:
    rule = LifecycleRule("db-full", "prod/postgres/", 120, 7, glacier_after_days=30)
    assert rule.glacier_after_days == 30


def test_glacier_rule_one_day_short_is_refused() -> None:
    with pytest.raises(ValueError, match="db-full"):
        LifecycleRule("db-full", "prod/postgres/", 119, 7, glacier_after_days=30)


@pytest.mark.parametrize("prefix", ["prod/postgres", "/prod/postgres/", ""])
def test_rule_prefix_must_be_a_folder(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        LifecycleRule("r", prefix, 30, 7)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("expire_days", {"expire_days": 0}),
        ("noncurrent_expire_days", {"noncurrent_expire_days": 0}),
        ("glacier_after_days", {"expire_days": 200, "glacier_after_days": 0}),
    ],
)
def test_rule_days_must_be_positive(field: str, kwargs: dict[str, int]) -> None:
    values: dict[str, Any] = {
        "id": "r",
        "prefix": "p/",
        "expire_days": 30,
        "noncurrent_expire_days": 7,
    }
    values.update(kwargs)
    with pytest.raises(ValueError, match=field):
        LifecycleRule(**values)


# -- BackupBucket: argument checks ----------------------------------------------------------


def test_bucket_needs_at_least_one_rule(record: Callable[..., RecordedStack]) -> None:
    with pytest.raises(ValueError, match="at least one lifecycle rule"):
        build_bucket(record, lifecycle_rules=())


def test_bucket_refuses_repeated_rule_ids(record: Callable[..., RecordedStack]) -> None:
    rules = (LifecycleRule("same", "a/", 7, 1), LifecycleRule("same", "b/", 7, 1))
    with pytest.raises(ValueError, match="same"):
        build_bucket(record, lifecycle_rules=rules)


def test_bucket_refuses_overlapping_prefixes(record: Callable[..., RecordedStack]) -> None:
    rules = (LifecycleRule("all", "prod/", 7, 1), LifecycleRule("db", "prod/postgres/", 120, 7))
    with pytest.raises(ValueError, match="overlap"):
        build_bucket(record, lifecycle_rules=rules)


@pytest.mark.parametrize("prefix", ["Erlmcp-", "erlmcp.backups-", "x" * 38, "-erlmcp"])
def test_bucket_refuses_invalid_name_prefix(
    record: Callable[..., RecordedStack], prefix: str
) -> None:
    with pytest.raises(ValueError, match="bucket_prefix"):
        build_bucket(record, bucket_prefix=prefix)


# -- BackupBucket: resources ----------------------------------------------------------------


def test_every_bucket_resource_lives_in_the_given_region(
    record: Callable[..., RecordedStack],
) -> None:
    stack = record(lambda: BackupBucket("us-west-2-backups", bucket_args("us-west-2")))
    custom = [r for r in stack.resources if r.custom]
    assert {r.type for r in custom} == {
        BUCKET,
        OWNERSHIP,
        PUBLIC_ACCESS,
        VERSIONING,
        ENCRYPTION,
        LIFECYCLE,
        POLICY,
    }
    assert {r.name: r.region for r in custom} == {r.name: "us-west-2" for r in custom}


def test_children_are_parented_and_named_after_the_component(bucket_stack: RecordedStack) -> None:
    component = assert_parented_under(bucket_stack, BUCKET_COMPONENT, "us-east-1-backups")
    children = bucket_stack.children_of(component.urn)
    assert sorted(c.name for c in children) == sorted(
        f"us-east-1-backups-{suffix}"
        for suffix in (
            "bucket",
            "ownership",
            "public-access-block",
            "versioning",
            "encryption",
            "lifecycle",
            "policy",
        )
    )


def test_bucket_is_protected_never_force_destroyed_and_tagged(bucket_stack: RecordedStack) -> None:
    bucket = only(bucket_stack, BUCKET)
    assert bucket.protect is True
    assert bucket.plain_inputs["forceDestroy"] is False
    assert bucket.plain_inputs["tags"] == TAGS


def test_versioning_is_protected_with_the_bucket(bucket_stack: RecordedStack) -> None:
    assert only(bucket_stack, VERSIONING).protect is True


def test_protect_false_unprotects_bucket_and_versioning(
    record: Callable[..., RecordedStack],
) -> None:
    stack = build_bucket(record, protect=False)
    assert only(stack, BUCKET).protect is False
    assert only(stack, VERSIONING).protect is False


def test_bucket_is_auto_named_unless_a_prefix_is_given(
    record: Callable[..., RecordedStack], bucket_stack: RecordedStack
) -> None:
    auto = only(bucket_stack, BUCKET).plain_inputs
    assert "bucket" not in auto and "bucketPrefix" not in auto
    prefixed = only(build_bucket(record, bucket_prefix="erlmcp-test-use1-"), BUCKET).plain_inputs
    assert prefixed["bucketPrefix"] == "erlmcp-test-use1-"
    assert "bucket" not in prefixed


def test_configuration_resources_target_the_bucket(bucket_stack: RecordedStack) -> None:
    name = only(bucket_stack, BUCKET).outputs["bucket"]
    for type_ in (OWNERSHIP, PUBLIC_ACCESS, VERSIONING, ENCRYPTION, LIFECYCLE, POLICY):
        assert only(bucket_stack, type_).plain_inputs["bucket"] == name, type_


def test_acls_are_disabled(bucket_stack: RecordedStack) -> None:
    rule = only(bucket_stack, OWNERSHIP).plain_inputs["rule"]
    assert rule == {"objectOwnership": "BucketOwnerEnforced"}


def test_all_public_access_is_blocked(bucket_stack: RecordedStack) -> None:
    inputs = only(bucket_stack, PUBLIC_ACCESS).plain_inputs
    for setting in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert inputs[setting] is True, setting


def test_versioning_is_enabled(bucket_stack: RecordedStack) -> None:
    inputs = only(bucket_stack, VERSIONING).plain_inputs
    assert inputs["versioningConfiguration"] == {"status": "Enabled"}


def test_objects_are_encrypted_with_the_given_key_and_a_bucket_key(
    bucket_stack: RecordedStack,
) -> None:
    [rule] = only(bucket_stack, ENCRYPTION).plain_inputs["rules"]
    assert rule == {
        "applyServerSideEncryptionByDefault": {
            "sseAlgorithm": "aws:kms",
            "kmsMasterKeyId": KEY_EAST,
        },
        "bucketKeyEnabled": True,
    }


def test_lifecycle_has_one_rule_per_input_and_one_that_aborts_uploads_anywhere(
    bucket_stack: RecordedStack,
) -> None:
    rules = only(bucket_stack, LIFECYCLE).plain_inputs["rules"]
    abort = {"daysAfterInitiation": 7}
    assert rules == [
        {
            "id": "test-postgres",
            "status": "Enabled",
            "filter": {"prefix": "test/postgres/"},
            "expiration": {"days": 120},
            "noncurrentVersionExpiration": {"noncurrentDays": 7},
            "transitions": [{"days": 30, "storageClass": "GLACIER"}],
            "abortIncompleteMultipartUpload": abort,
        },
        {
            "id": "test-ets",
            "status": "Enabled",
            "filter": {"prefix": "test/ets/"},
            "expiration": {"days": 7},
            "noncurrentVersionExpiration": {"noncurrentDays": 1},
            "abortIncompleteMultipartUpload": abort,
        },
        {
            "id": "test-config",
            "status": "Enabled",
            "filter": {"prefix": "test/config/"},
            "expiration": {"days": 90},
            "noncurrentVersionExpiration": {"noncurrentDays": 30},
            "abortIncompleteMultipartUpload": abort,
        },
        {
            # Every object (an explicit empty prefix): uploads abandoned outside the schedule's
            # prefixes are aborted too [checkov CKV_AWS_300].
            "id": "abort-incomplete-uploads",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "abortIncompleteMultipartUpload": abort,
        },
    ]


def test_lifecycle_waits_for_versioning(bucket_stack: RecordedStack) -> None:
    versioning = only(bucket_stack, VERSIONING)
    assert versioning.urn in only(bucket_stack, LIFECYCLE).dependencies


def test_policy_waits_for_the_public_access_block(bucket_stack: RecordedStack) -> None:
    block = only(bucket_stack, PUBLIC_ACCESS)
    assert block.urn in only(bucket_stack, POLICY).dependencies


def test_policy_only_denies(bucket_stack: RecordedStack) -> None:
    policy = policy_of(only(bucket_stack, POLICY))
    assert {s["Effect"] for s in policy["Statement"]} == {"Deny"}


def test_policy_denies_every_request_without_tls(bucket_stack: RecordedStack) -> None:
    arn = only(bucket_stack, BUCKET).outputs["arn"]
    deny = statement(policy_of(only(bucket_stack, POLICY)), "DenyInsecureTransport")
    assert deny["Principal"] == "*"
    assert deny["Action"] == "s3:*"
    assert sorted(deny["Resource"]) == [arn, f"{arn}/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_policy_denies_uploads_asking_for_other_encryption(bucket_stack: RecordedStack) -> None:
    arn = only(bucket_stack, BUCKET).outputs["arn"]
    policy = policy_of(only(bucket_stack, POLICY))
    other_algorithm = statement(policy, "DenyEncryptionOtherThanKms")
    other_key = statement(policy, "DenyOtherKmsKeys")
    customer_key = statement(policy, "DenyCustomerProvidedKeys")
    for deny in (other_algorithm, other_key, customer_key):
        assert (deny["Principal"], deny["Action"], deny["Resource"]) == (
            "*",
            "s3:PutObject",
            f"{arn}/*",
        )
    # Null=false: uploads naming no encryption get the bucket default and stay allowed.
    assert other_algorithm["Condition"] == {
        "Null": {"s3:x-amz-server-side-encryption": "false"},
        "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
    }
    assert other_key["Condition"] == {
        "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
        "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": KEY_EAST},
    }
    assert customer_key["Condition"] == {
        "Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}
    }


def test_outputs_name_the_bucket_its_versioning_region_and_key(
    record: Callable[..., RecordedStack],
) -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        bucket = BackupBucket("us-east-1-backups", bucket_args())
        seen["versioning"] = bucket.versioning
        seen["region"] = bucket.region
        pulumi.Output.all(
            bucket.bucket_name, bucket.bucket_arn, bucket.kms_key_arn, bucket.versioning.urn
        ).apply(lambda values: seen.update(values=values))

    stack = record(program)
    recorded = only(stack, BUCKET)
    assert seen["values"] == [
        recorded.outputs["bucket"],
        recorded.outputs["arn"],
        KEY_EAST,
        only(stack, VERSIONING).urn,
    ]
    assert seen["region"] == "us-east-1"


# -- BucketReplication ----------------------------------------------------------------------


def replication_of(stack: RecordedStack) -> RecordedResource:
    [config] = stack.of_type(REPLICATION)
    return config


def role_policy_of(stack: RecordedStack) -> dict[str, Any]:
    [policy] = stack.of_type(ROLE_POLICY)
    return policy_of(policy)


def test_replication_config_lives_in_the_source_region_on_the_source_bucket(
    pair: RecordedStack,
) -> None:
    config = replication_of(pair)
    assert config.region == "us-east-1"
    assert config.plain_inputs["bucket"] == only(pair, BUCKET, "us-east-1").outputs["bucket"]


def test_replication_waits_for_versioning_of_both_buckets(pair: RecordedStack) -> None:
    dependencies = replication_of(pair).dependencies
    assert only(pair, VERSIONING, "us-west-2").urn in dependencies
    assert only(pair, VERSIONING, "us-east-1").urn in dependencies


def test_replication_waits_for_the_role_policy(pair: RecordedStack) -> None:
    [policy] = pair.of_type(ROLE_POLICY)
    assert policy.urn in replication_of(pair).dependencies


def test_replication_rule_copies_the_whole_bucket_with_delete_markers(pair: RecordedStack) -> None:
    [rule] = replication_of(pair).plain_inputs["rules"]
    destination = rule.pop("destination")
    assert rule == {
        "id": "all-objects-to-us-west-2",
        "status": "Enabled",
        "filter": {"prefix": ""},  # a V2 rule over the whole bucket, spelled out
        "deleteMarkerReplication": {"status": "Enabled"},
        "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": "Enabled"}},
    }
    assert destination["bucket"] == only(pair, BUCKET, "us-west-2").outputs["arn"]
    assert destination["encryptionConfiguration"] == {"replicaKmsKeyId": KEY_WEST}


def test_replication_time_control_is_on_by_default(pair: RecordedStack) -> None:
    [rule] = replication_of(pair).plain_inputs["rules"]
    assert rule["destination"]["replicationTime"] == {"status": "Enabled", "time": {"minutes": 15}}
    assert rule["destination"]["metrics"] == {
        "status": "Enabled",
        "eventThreshold": {"minutes": 15},
    }


def test_replication_time_control_can_be_turned_off_but_metrics_stay_on(
    record: Callable[..., RecordedStack],
) -> None:
    """Without metrics S3 publishes no ReplicationLatency nor OperationsFailedReplication, and
    the replication alarms (regions/alarms.py) would watch nothing."""
    stack = build_pair(record, replication_time_control=False)
    [rule] = replication_of(stack).plain_inputs["rules"]
    assert "replicationTime" not in rule["destination"]
    assert rule["destination"]["metrics"] == {"status": "Enabled"}


def test_replication_uses_its_own_role(pair: RecordedStack) -> None:
    [role] = pair.of_type(ROLE)
    assert replication_of(pair).plain_inputs["role"] == role.outputs["arn"]


def test_role_is_global_tagged_and_assumable_only_by_s3(pair: RecordedStack) -> None:
    [role] = pair.of_type(ROLE)
    [role_policy] = pair.of_type(ROLE_POLICY)
    assert role.region is None and "region" not in role.plain_inputs
    assert role_policy.region is None
    assert role.plain_inputs["tags"] == TAGS
    trust = json.loads(role.plain_inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    assert role_policy.plain_inputs["role"] == role.outputs["name"]


def test_role_policy_grants_exactly_the_replication_actions(pair: RecordedStack) -> None:
    source = only(pair, BUCKET, "us-east-1").outputs["arn"]
    destination = only(pair, BUCKET, "us-west-2").outputs["arn"]
    granted = {
        (action, resource)
        for s in role_policy_of(pair)["Statement"]
        for action in as_list(s["Action"])
        for resource in as_list(s["Resource"])
    }
    assert granted == {
        ("s3:GetReplicationConfiguration", source),
        ("s3:ListBucket", source),
        ("s3:GetObjectVersionForReplication", f"{source}/*"),
        ("s3:GetObjectVersionAcl", f"{source}/*"),
        ("s3:GetObjectVersionTagging", f"{source}/*"),
        ("s3:ReplicateObject", f"{destination}/*"),
        ("s3:ReplicateDelete", f"{destination}/*"),
        ("s3:ReplicateTags", f"{destination}/*"),
        ("kms:Decrypt", KEY_EAST),
        ("kms:Encrypt", KEY_WEST),
    }


def test_role_policy_has_no_wildcard_actions_or_resources_and_only_allows(
    pair: RecordedStack,
) -> None:
    for s in role_policy_of(pair)["Statement"]:
        assert s["Effect"] == "Allow"
        assert not any("*" in action for action in as_list(s["Action"])), s
        assert "*" not in as_list(s["Resource"]), s


def test_keys_are_usable_only_through_s3_of_their_own_region_for_their_bucket(
    pair: RecordedStack,
) -> None:
    source = only(pair, BUCKET, "us-east-1").outputs["arn"]
    destination = only(pair, BUCKET, "us-west-2").outputs["arn"]
    policy = role_policy_of(pair)
    assert statement(policy, "DecryptWithSourceKey")["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": [source, f"{source}/*"]},
    }
    assert statement(policy, "EncryptWithDestinationKey")["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": [destination, f"{destination}/*"]},
    }


def test_replication_children_are_parented_and_named_after_the_component(
    pair: RecordedStack,
) -> None:
    component = pair.one(REPLICATION_COMPONENT, "us-east-1-backups-to-us-west-2")
    children = pair.children_of(component.urn)
    assert sorted((c.type, c.name) for c in children) == sorted(
        [
            (ROLE, "us-east-1-backups-to-us-west-2-role"),
            (ROLE_POLICY, "us-east-1-backups-to-us-west-2-role-policy"),
            (REPLICATION, "us-east-1-backups-to-us-west-2-config"),
        ]
    )
    assert pair.descendants_of(component.urn) == children


def test_role_arn_output_is_the_role(record: Callable[..., RecordedStack]) -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        source = BackupBucket("us-east-1-backups", bucket_args("us-east-1"))
        destination = BackupBucket("us-west-2-backups", bucket_args("us-west-2"))
        replication = BucketReplication(
            "us-east-1-backups-to-us-west-2",
            BucketReplicationArgs(region="us-east-1", source=source, destination=destination),
        )
        replication.role_arn.apply(lambda arn: seen.update(arn=arn))

    stack = record(program)
    [role] = stack.of_type(ROLE)
    assert seen["arn"] == role.outputs["arn"]


def test_replication_region_must_be_the_source_region(
    record: Callable[..., RecordedStack],
) -> None:
    with pytest.raises(ValueError, match="source bucket's region"):
        build_pair(record, region="us-west-2")


def test_a_bucket_cannot_replicate_into_itself(record: Callable[..., RecordedStack]) -> None:
    def program() -> None:
        bucket = BackupBucket("us-east-1-backups", bucket_args())
        BucketReplication(
            "loop",
            BucketReplicationArgs(region="us-east-1", source=bucket, destination=bucket),
        )

    with pytest.raises(ValueError, match="itself"):
        record(program)


def test_args_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        bucket_args().region = "eu-west-1"  # type: ignore[misc]
