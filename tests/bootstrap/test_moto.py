"""The S3 settings the state buckets record are ones the S3 API accepts.

As in tests/test_backups_moto.py: the recorded inputs are turned into S3 API requests and sent
with boto3 to a local moto server. botocore checks each request against the S3 API model before
sending it, so a misnamed or misplaced field (the replica-modification sync, the explicit empty
prefix, the delete-marker clean-up next to noncurrent expiry) fails here.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from offline.recorder import RecordedResource, RecordedStack
from tests.bootstrap.conftest import (
    BUCKET,
    BUCKET_POLICY,
    LIFECYCLE,
    PRIMARY,
    REPLICA,
    REPLICATION,
    SSE,
    VERSIONING,
)
from tests.moto_server import moto_endpoint, to_api


@pytest.fixture(scope="module")
def s3(state_stack: RecordedStack) -> Iterator[dict[str, Any]]:
    """An S3 client per region, against a moto server holding the stack's buckets."""
    with moto_endpoint(PRIMARY) as url:
        clients = {
            region: boto3.client("s3", region_name=region, endpoint_url=url)
            for region in (PRIMARY, REPLICA)
        }
        for bucket in state_stack.of_type(BUCKET):
            clients[bucket.region].create_bucket(
                Bucket=bucket.outputs["bucket"],
                CreateBucketConfiguration={"LocationConstraint": bucket.region},
            )
        yield clients


def state_buckets(stack: RecordedStack, type_: str) -> list[RecordedResource]:
    found = [r for r in stack.of_type(type_) if "-access-logs" not in r.name]
    assert len(found) == 2
    return found


def test_versioning_then_two_way_replication_are_accepted(state_stack: RecordedStack, s3):
    for versioning in state_buckets(state_stack, VERSIONING):
        s3[versioning.region].put_bucket_versioning(
            Bucket=versioning.plain_inputs["bucket"],
            VersioningConfiguration=to_api(versioning.plain_inputs["versioningConfiguration"]),
        )
    for replication in state_stack.of_type(REPLICATION):
        client, bucket = s3[replication.region], replication.plain_inputs["bucket"]
        config = {
            "Role": replication.plain_inputs["role"],
            "Rules": to_api(replication.plain_inputs["rules"]),
        }
        client.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=config)
        stored = client.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
        # moto keeps the ID and destination (it answers a fixed filter and delete-marker status);
        # the request itself passed botocore's check against the S3 API model.
        [rule] = stored["Rules"]
        [sent] = config["Rules"]
        assert (rule["ID"], rule["Destination"]) == (sent["ID"], sent["Destination"])
        assert sent["SourceSelectionCriteria"]["ReplicaModifications"] == {"Status": "Enabled"}


def test_lifecycle_is_accepted_and_read_back_equal(state_stack: RecordedStack, s3):
    for lifecycle in state_buckets(state_stack, LIFECYCLE):
        client, bucket = s3[lifecycle.region], lifecycle.plain_inputs["bucket"]
        rules = to_api(lifecycle.plain_inputs["rules"])
        client.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": rules}
        )
        stored = client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        assert stored == without_newer_noncurrent_versions(rules)
        # The cap went out: botocore checked it against the S3 API model before sending.
        assert any(
            "NewerNoncurrentVersions" in rule.get("NoncurrentVersionExpiration", {})
            for rule in rules
        )


def without_newer_noncurrent_versions(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What moto 5.2 reads back: it keeps `NewerNoncurrentVersions` of a noncurrent-version
    transition only, not of an expiration (moto/s3/responses.py, the lifecycle GET)."""
    trimmed = copy.deepcopy(rules)
    for rule in trimmed:
        rule.get("NoncurrentVersionExpiration", {}).pop("NewerNoncurrentVersions", None)
    return trimmed


def test_encryption_and_bucket_policy_are_accepted(state_stack: RecordedStack, s3):
    for encryption in state_buckets(state_stack, SSE):
        client, bucket = s3[encryption.region], encryption.plain_inputs["bucket"]
        config = {"Rules": to_api(encryption.plain_inputs["rules"])}
        client.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=config)
        assert client.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == (
            config
        )
    for policy in state_buckets(state_stack, BUCKET_POLICY):
        client, bucket = s3[policy.region], policy.plain_inputs["bucket"]
        client.put_bucket_policy(Bucket=bucket, Policy=policy.plain_inputs["policy"])
        stored = client.get_bucket_policy(Bucket=bucket)["Policy"]
        assert json.loads(stored) == json.loads(policy.plain_inputs["policy"])
