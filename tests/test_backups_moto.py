"""The S3 settings BackupBucket and BucketReplication record are ones an S3 API accepts.

The recorded inputs (engine camelCase) are turned into S3 API requests, sent with boto3 to a local
moto server, and read back. botocore checks every request against the S3 API model before it is
sent, so a misnamed or misplaced field fails here; moto then stores and returns what it got.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from components.backups import (
    BackupBucket,
    BackupBucketArgs,
    BucketReplication,
    BucketReplicationArgs,
    LifecycleRule,
)
from offline.recorder import RecordedResource, RecordedStack, run_components
from tests.moto_server import moto_endpoint, to_api

SOURCE, DESTINATION = "us-east-1", "us-west-2"
RULES = (
    LifecycleRule("test-postgres", "test/postgres/", 120, 7, glacier_after_days=30),
    LifecycleRule("test-ets", "test/ets/", 7, 1),
)


# Engine names whose S3 API spelling is not just the name with a capital first letter.
@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_endpoint(SOURCE) as url:
        yield url


def client(endpoint: str, service: str, region: str) -> Any:
    return boto3.client(service, region_name=region, endpoint_url=endpoint)


@pytest.fixture(scope="module")
def stack(endpoint: str) -> RecordedStack:
    """Both buckets and their replication, recorded with keys that exist in moto."""
    keys = {
        region: client(endpoint, "kms", region).create_key()["KeyMetadata"]["Arn"]
        for region in (SOURCE, DESTINATION)
    }

    def build() -> None:
        buckets = {
            region: BackupBucket(
                f"{region}-backups",
                BackupBucketArgs(region=region, kms_key_arn=keys[region], lifecycle_rules=RULES),
            )
            for region in (SOURCE, DESTINATION)
        }
        BucketReplication(
            f"{SOURCE}-backups-to-{DESTINATION}",
            BucketReplicationArgs(
                region=SOURCE, source=buckets[SOURCE], destination=buckets[DESTINATION]
            ),
        )

    recorded = run_components(build)
    for bucket in recorded.of_type("aws:s3/bucket:Bucket"):
        region = bucket.region
        assert region is not None
        s3 = client(endpoint, "s3", region)
        # moto's state is the process's: with `--dist worksteal` a worker may set this module's
        # fixture up twice (its tests interleaved with others'), and the buckets stay.
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(
                Bucket=bucket.outputs["bucket"],
                **(
                    {}
                    if region == "us-east-1"
                    else {"CreateBucketConfiguration": {"LocationConstraint": region}}
                ),
            )
    return recorded


def recorded(stack: RecordedStack, kind: str, region: str = SOURCE) -> RecordedResource:
    [found] = [
        r for r in stack.of_type(f"aws:s3/{kind[0].lower()}{kind[1:]}:{kind}") if r.region == region
    ]
    return found


def s3_for(endpoint: str, resource: RecordedResource) -> tuple[Any, str]:
    assert resource.region is not None
    return client(endpoint, "s3", resource.region), resource.plain_inputs["bucket"]


def test_lifecycle_rules_are_accepted_and_read_back_equal(endpoint: str, stack: RecordedStack):
    lifecycle = recorded(stack, "BucketLifecycleConfiguration")
    s3, bucket = s3_for(endpoint, lifecycle)
    rules = to_api(lifecycle.plain_inputs["rules"])
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == rules
    assert [r["ID"] for r in rules] == ["test-postgres", "test-ets", "abort-incomplete-uploads"]


def test_bucket_policy_is_accepted_and_read_back_equal(endpoint: str, stack: RecordedStack):
    policy = recorded(stack, "BucketPolicy")
    s3, bucket = s3_for(endpoint, policy)
    s3.put_bucket_policy(Bucket=bucket, Policy=policy.plain_inputs["policy"])
    try:
        stored = s3.get_bucket_policy(Bucket=bucket)["Policy"]
        assert json.loads(stored) == json.loads(policy.plain_inputs["policy"])
    finally:
        # moto applies Deny statements without their conditions, so the policy would refuse
        # every upload other tests make; AWS itself only refuses plain HTTP and wrong keys.
        s3.delete_bucket_policy(Bucket=bucket)


def test_default_encryption_is_accepted_and_encrypts_plain_uploads_with_the_key(
    endpoint: str, stack: RecordedStack
):
    encryption = recorded(stack, "BucketServerSideEncryptionConfiguration")
    s3, bucket = s3_for(endpoint, encryption)
    config = {"Rules": to_api(encryption.plain_inputs["rules"])}
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=config)
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == config
    # An upload that names no encryption (as the runbook's `aws s3 cp` does) gets the key.
    put = s3.put_object(Bucket=bucket, Key="test/ets/snapshot.bin", Body=b"ets")
    key = encryption.plain_inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", key["kmsMasterKeyId"])


def test_public_access_block_is_accepted_and_read_back_equal(endpoint: str, stack: RecordedStack):
    block = recorded(stack, "BucketPublicAccessBlock")
    s3, bucket = s3_for(endpoint, block)
    settings = to_api(
        {k: v for k, v in block.plain_inputs.items() if k not in ("bucket", "region")}
    )
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=settings)
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == settings


def test_ownership_controls_are_accepted_and_read_back_equal(endpoint: str, stack: RecordedStack):
    ownership = recorded(stack, "BucketOwnershipControls")
    s3, bucket = s3_for(endpoint, ownership)
    controls = {"Rules": [to_api(ownership.plain_inputs["rule"])]}
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=controls)
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"] == controls


def test_replication_is_accepted_once_both_buckets_are_versioned(
    endpoint: str, stack: RecordedStack
):
    for region in (SOURCE, DESTINATION):
        versioning = recorded(stack, "BucketVersioning", region)
        s3, bucket = s3_for(endpoint, versioning)
        s3.put_bucket_versioning(
            Bucket=bucket,
            VersioningConfiguration=to_api(versioning.plain_inputs["versioningConfiguration"]),
        )
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    replication = recorded(stack, "BucketReplicationConfig")
    s3, bucket = s3_for(endpoint, replication)
    config = {
        "Role": replication.plain_inputs["role"],
        "Rules": to_api(replication.plain_inputs["rules"]),
    }
    s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=config)
    stored = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    assert stored["Role"] == config["Role"]
    [rule] = stored["Rules"]
    [sent] = config["Rules"]
    # moto answers DeleteMarkerReplication and Filter with fixed values and leaves out
    # SourceSelectionCriteria; botocore has checked their shape on the way in.
    assert (rule["ID"], rule["Status"]) == (sent["ID"], sent["Status"])
    assert rule["Destination"] == sent["Destination"]
