"""The secrets provider: one multi-Region key, a replica in every other key region (each region
of the erlmcp stacks too), and the same alias in each."""

from __future__ import annotations

import json

import yaml

from offline.recorder import RecordedResource, RecordedStack
from offline.stacks import PROD_STACK_FILE, stack_file_config
from tests.bootstrap.conftest import ALIAS, KEY, KEY_REGIONS, PRIMARY, REPLICA_KEY

ROOT_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "EnableIamPoliciesOfTheAccount",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


def test_the_primary_is_a_rotated_multi_region_key_in_the_primary_region(
    state_stack: RecordedStack,
):
    [key] = state_stack.of_type(KEY)
    inputs = key.plain_inputs
    assert key.region == PRIMARY
    assert inputs["multiRegion"] is True
    assert inputs["enableKeyRotation"] is True
    assert inputs["deletionWindowInDays"] == 30
    assert json.loads(inputs["policy"]) == ROOT_ONLY
    assert key.outputs["keyId"].startswith("mrk-")


def replicas_by_region(stack: RecordedStack) -> dict[str, RecordedResource]:
    return {r.region: r for r in stack.of_type(REPLICA_KEY)}


def test_a_replica_of_that_key_is_in_every_other_key_region(state_stack: RecordedStack):
    [key] = state_stack.of_type(KEY)
    replicas = replicas_by_region(state_stack)
    assert sorted(replicas) == sorted(KEY_REGIONS[1:])
    for region, replica in replicas.items():
        inputs = replica.plain_inputs
        assert inputs["primaryKeyArn"] == key.outputs["arn"]
        assert key.urn in replica.property_dependencies["primaryKeyArn"]
        assert inputs["deletionWindowInDays"] == 30
        assert json.loads(inputs["policy"]) == ROOT_ONLY
        # Same key material, same id: what the stacks' encrypted data keys need in every region.
        assert replica.outputs["keyId"] == key.outputs["keyId"]
        assert replica.outputs["arn"] == key.outputs["arn"].replace(PRIMARY, region)
        assert replica.name == f"state-key-{region}"  # the name follows the region, not the order


def test_each_key_region_has_the_alias_the_secrets_provider_names(state_stack: RecordedStack):
    [key] = state_stack.of_type(KEY)
    replicas = replicas_by_region(state_stack)
    key_ids = {PRIMARY: key} | replicas
    aliases = {a.region: a for a in state_stack.of_type(ALIAS)}
    assert {region: a.plain_inputs for region, a in aliases.items()} == {
        region: {
            "region": region,
            "name": "alias/erlmcp-pulumi-state",
            "targetKeyId": target.outputs["keyId"],
        }
        for region, target in key_ids.items()
    }
    for region, replica in replicas.items():
        assert aliases[region].property_dependencies["targetKeyId"] == [replica.urn]
    assert state_stack.outputs["secretsProvider"] == "awskms://alias/erlmcp-pulumi-state"


def test_the_stack_exports_the_multi_region_key(state_stack: RecordedStack):
    [key] = state_stack.of_type(KEY)
    assert state_stack.outputs["keyId"] == key.outputs["keyId"]
    assert state_stack.outputs["keyArns"] == {PRIMARY: key.outputs["arn"]} | {
        region: replica.outputs["arn"]
        for region, replica in replicas_by_region(state_stack).items()
    }


def test_the_main_stack_uses_this_key_as_its_secrets_provider(state_stack: RecordedStack):
    document = yaml.safe_load(PROD_STACK_FILE.read_text())
    assert document["secretsprovider"] == state_stack.outputs["secretsProvider"]
    assert "region=" not in document["secretsprovider"]  # AWS_REGION picks the replica


def test_the_key_is_in_every_region_of_the_main_stack(state_stack: RecordedStack):
    # A failover sets AWS_REGION to its standby (docs/failover.md, "Failover while a region is
    # down"), and the secrets provider looks for the key there (bootstrap/state_store/key.py).
    main_regions = set(stack_file_config()["erlmcp-infra:regions"])
    key_regions = {k.region for k in (*state_stack.of_type(KEY), *state_stack.of_type(REPLICA_KEY))}
    assert main_regions <= key_regions, main_regions - key_regions
