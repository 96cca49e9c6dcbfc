"""How the stack is put together: explicit providers that agree with each resource's region, IAM
on the global provider, stateful resources protected and retained, tags everywhere, no invokes."""

from __future__ import annotations

import json

from erlmcp_policies.resources._taggable_types import TAGGABLE_AWS_TYPES
from offline.recorder import RecordedStack
from tests.bootstrap.conftest import (
    ALIAS,
    BUCKET,
    KEY,
    KEY_REGIONS,
    PRIMARY,
    REPLICA,
    REPLICA_KEY,
    STACK_FILE_TAGS,
    VERSIONING,
    StateStoreMocks,
    provider_of,
)

IAM_PREFIX = "aws:iam/"
STATEFUL_TYPES = {BUCKET, KEY, REPLICA_KEY, VERSIONING}


def cloud_resources(stack: RecordedStack):
    return [r for r in stack.resources if r.custom and not r.is_provider]


def test_what_the_stack_holds(state_stack: RecordedStack):
    counts: dict[str, int] = {}
    for r in state_stack.resources:
        counts[r.type] = counts.get(r.type, 0) + 1
    assert counts == {
        # One per key region (the two bucket regions among them), one for IAM.
        "pulumi:providers:aws": 8,
        "erlmcp-state:bootstrap:StateKey": 1,
        "erlmcp-state:bootstrap:StateBucket": 2,
        "erlmcp-state:bootstrap:StateReplication": 2,
        "erlmcp:components:AccessLogBucket": 2,
        KEY: 1,
        REPLICA_KEY: 6,
        "aws:kms/alias:Alias": 7,
        # Two state buckets and their two access-log buckets, each with its companions.
        BUCKET: 4,
        VERSIONING: 4,
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 4,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 4,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 4,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 4,
        "aws:s3/bucketPolicy:BucketPolicy": 4,
        "aws:s3/bucketLogging:BucketLogging": 2,
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig": 2,
        "aws:iam/role:Role": 2,
        "aws:iam/rolePolicy:RolePolicy": 2,
        "aws:iam/serviceLinkedRole:ServiceLinkedRole": 1,
    }
    assert len(cloud_resources(state_stack)) == 51


def test_one_provider_per_region_and_one_for_iam_each_tied_to_the_account(
    state_stack: RecordedStack,
):
    providers = {p.name: p.plain_inputs for p in state_stack.resources if p.is_provider}
    assert {name: inputs["region"] for name, inputs in providers.items()} == {
        **{f"aws-{region}": region for region in KEY_REGIONS},
        "aws-global": "us-east-1",
    }
    for inputs in providers.values():
        # Provider inputs reach the engine JSON-encoded.
        assert json.loads(inputs["allowedAccountIds"]) == ["123456789012"]


def test_every_resource_names_a_provider_so_no_default_provider_is_needed(
    state_stack: RecordedStack,
):
    missing = [r.urn for r in cloud_resources(state_stack) if not r.provider]
    assert missing == []


def test_every_regional_resource_is_on_its_own_regions_provider(state_stack: RecordedStack):
    for resource in cloud_resources(state_stack):
        provider = provider_of(state_stack, resource)
        if resource.type.startswith(IAM_PREFIX):
            assert "region" not in resource.plain_inputs
            assert provider.name == "aws-global", resource.urn
        else:
            assert resource.region in KEY_REGIONS, resource.urn
            if resource.region not in (PRIMARY, REPLICA):
                assert resource.type in (REPLICA_KEY, ALIAS), resource.urn  # no bucket there
            assert provider.plain_inputs["region"] == resource.region, resource.urn
            assert provider.name == f"aws-{resource.region}", resource.urn


def test_stateful_resources_are_protected_and_retained(state_stack: RecordedStack):
    stateful = [r for r in state_stack.resources if r.type in STATEFUL_TYPES]
    assert len(stateful) == 15  # 4 buckets, their 4 versionings, 7 keys
    loose = [r.urn for r in stateful if not (r.protect and r.retain_on_delete)]
    assert loose == []
    # Nothing else is retained, but the account's Auto Scaling role, which every Auto Scaling
    # group of the account acts through: removing anything else from the program removes it.
    retained = [r.type for r in state_stack.resources if r.retain_on_delete]
    assert sorted(set(retained) - STATEFUL_TYPES) == ["aws:iam/serviceLinkedRole:ServiceLinkedRole"]


def test_every_taggable_resource_has_the_configured_tags_and_the_project(
    state_stack: RecordedStack,
):
    expected = STACK_FILE_TAGS
    taggable = [r for r in cloud_resources(state_stack) if r.type in TAGGABLE_AWS_TYPES]
    assert {r.type for r in taggable} == {
        BUCKET,
        KEY,
        REPLICA_KEY,
        "aws:iam/role:Role",
        "aws:iam/serviceLinkedRole:ServiceLinkedRole",
    }
    assert {r.urn: r.plain_inputs.get("tags") for r in taggable} == {
        r.urn: expected for r in taggable
    }


def test_the_program_makes_no_invokes(state_run: tuple[RecordedStack, StateStoreMocks]):
    # An invoke is a call into AWS at every run, on a provider that may be in a lost region.
    assert state_run[1].invokes == []
