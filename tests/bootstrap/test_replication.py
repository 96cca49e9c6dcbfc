"""Two-way replication: each state bucket replicates everything into the other, re-encrypted with
the other region's key, through a least-privilege role of its own."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from offline.recorder import RecordedResource, RecordedStack
from tests.bootstrap.conftest import (
    BUCKET,
    KEY,
    PRIMARY,
    REPLICA,
    REPLICA_KEY,
    REPLICATION,
    ROLE,
    ROLE_POLICY,
    VERSIONING,
)

Find = Callable[[RecordedStack, str, str], RecordedResource]
DIRECTIONS = pytest.mark.parametrize(
    ("source", "destination"), [(PRIMARY, REPLICA), (REPLICA, PRIMARY)]
)


def key_arn(stack: RecordedStack, region: str) -> str:
    [key] = [k for k in (*stack.of_type(KEY), *stack.of_type(REPLICA_KEY)) if k.region == region]
    return key.outputs["arn"]


def direction(stack: RecordedStack, source: str, destination: str, type_: str) -> RecordedResource:
    [found] = [
        r
        for r in stack.of_type(type_)
        if r.name.startswith(f"state-replication-{source}-to-{destination}-")
    ]
    return found


def test_one_replication_configuration_per_bucket(state_stack: RecordedStack):
    assert sorted(r.region for r in state_stack.of_type(REPLICATION)) == sorted([PRIMARY, REPLICA])


@DIRECTIONS
def test_everything_replicates_to_the_other_bucket_with_its_key(
    state_stack: RecordedStack, in_region: Find, source: str, destination: str
):
    config = direction(state_stack, source, destination, REPLICATION)
    role = direction(state_stack, source, destination, ROLE)
    inputs = config.plain_inputs
    assert config.region == source
    assert inputs["bucket"] == in_region(state_stack, BUCKET, source).outputs["bucket"]
    assert inputs["role"] == role.outputs["arn"]
    assert inputs["rules"] == [
        {
            "id": f"everything-to-{destination}",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "deleteMarkerReplication": {"status": "Enabled"},
            "sourceSelectionCriteria": {
                "sseKmsEncryptedObjects": {"status": "Enabled"},
                "replicaModifications": {"status": "Enabled"},
            },
            "destination": {
                "bucket": in_region(state_stack, BUCKET, destination).outputs["arn"],
                "encryptionConfiguration": {"replicaKmsKeyId": key_arn(state_stack, destination)},
                "replicationTime": {"status": "Enabled", "time": {"minutes": 15}},
                "metrics": {"status": "Enabled", "eventThreshold": {"minutes": 15}},
            },
        }
    ]


@DIRECTIONS
def test_configured_only_once_both_buckets_are_versioned_and_the_role_may_act(
    state_stack: RecordedStack, in_region: Find, source: str, destination: str
):
    config = direction(state_stack, source, destination, REPLICATION)
    role_policy = direction(state_stack, source, destination, ROLE_POLICY)
    for region in (source, destination):
        assert in_region(state_stack, VERSIONING, region).urn in config.dependencies
    assert role_policy.urn in config.dependencies


@DIRECTIONS
def test_only_s3_acting_for_this_account_assumes_the_role(
    state_stack: RecordedStack, source: str, destination: str
):
    role = direction(state_stack, source, destination, ROLE)
    assert json.loads(role.plain_inputs["assumeRolePolicy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
            }
        ],
    }


@DIRECTIONS
def test_the_role_reads_the_source_writes_the_destination_and_uses_each_key_there_only(
    state_stack: RecordedStack, in_region: Find, source: str, destination: str
):
    role = direction(state_stack, source, destination, ROLE)
    policy = direction(state_stack, source, destination, ROLE_POLICY)
    assert policy.plain_inputs["role"] == role.outputs["name"]
    source_arn = in_region(state_stack, BUCKET, source).outputs["arn"]
    destination_arn = in_region(state_stack, BUCKET, destination).outputs["arn"]
    statements = {s["Sid"]: s for s in json.loads(policy.plain_inputs["policy"])["Statement"]}
    assert all(s["Effect"] == "Allow" for s in statements.values())
    grants = {sid: (s["Action"], s["Resource"]) for sid, s in statements.items()}
    assert grants == {
        "ReadSourceConfiguration": (
            ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            source_arn,
        ),
        "ReadSourceVersions": (
            [
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
            ],
            f"{source_arn}/*",
        ),
        "WriteReplicas": (
            ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
            f"{destination_arn}/*",
        ),
        "DecryptWithSourceKey": ("kms:Decrypt", key_arn(state_stack, source)),
        "EncryptWithDestinationKey": ("kms:Encrypt", key_arn(state_stack, destination)),
    }
    for sid, region, bucket_arn in (
        ("DecryptWithSourceKey", source, source_arn),
        ("EncryptWithDestinationKey", destination, destination_arn),
    ):
        assert statements[sid]["Condition"] == {
            "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]},
        }
