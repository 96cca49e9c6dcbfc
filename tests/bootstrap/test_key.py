"""The secrets provider: one multi-Region key, its replica, and the same alias in both regions."""

from __future__ import annotations

import json

import yaml

from offline.recorder import RecordedStack
from offline.stacks import PROD_STACK_FILE
from tests.bootstrap.conftest import ALIAS, KEY, PRIMARY, REPLICA, REPLICA_KEY

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


def test_the_replica_replicates_that_key_into_the_replica_region(state_stack: RecordedStack):
    [key] = state_stack.of_type(KEY)
    [replica] = state_stack.of_type(REPLICA_KEY)
    inputs = replica.plain_inputs
    assert replica.region == REPLICA
    assert inputs["primaryKeyArn"] == key.outputs["arn"]
    assert key.urn in replica.property_dependencies["primaryKeyArn"]
    assert inputs["deletionWindowInDays"] == 30
    assert json.loads(inputs["policy"]) == ROOT_ONLY
    # Same key material, same id: what the main stack's encrypted data key needs in both regions.
    assert replica.outputs["keyId"] == key.outputs["keyId"]
    assert replica.outputs["arn"] == key.outputs["arn"].replace(PRIMARY, REPLICA)


def test_each_region_has_the_alias_the_secrets_provider_names(state_stack: RecordedStack):
    [key] = state_stack.of_type(KEY)
    [replica] = state_stack.of_type(REPLICA_KEY)
    aliases = {a.region: a.plain_inputs for a in state_stack.of_type(ALIAS)}
    assert aliases == {
        PRIMARY: {
            "region": PRIMARY,
            "name": "alias/erlmcp-pulumi-state",
            "targetKeyId": key.outputs["keyId"],
        },
        REPLICA: {
            "region": REPLICA,
            "name": "alias/erlmcp-pulumi-state",
            "targetKeyId": replica.outputs["keyId"],
        },
    }
    [replica_alias] = [a for a in state_stack.of_type(ALIAS) if a.region == REPLICA]
    assert replica_alias.property_dependencies["targetKeyId"] == [replica.urn]
    assert state_stack.outputs["secretsProvider"] == "awskms://alias/erlmcp-pulumi-state"


def test_the_stack_exports_the_multi_region_key(state_stack: RecordedStack):
    [key] = state_stack.of_type(KEY)
    [replica] = state_stack.of_type(REPLICA_KEY)
    assert state_stack.outputs["keyId"] == key.outputs["keyId"]
    assert state_stack.outputs["keyArns"] == {
        PRIMARY: key.outputs["arn"],
        REPLICA: replica.outputs["arn"],
    }


def test_the_main_stack_uses_this_key_as_its_secrets_provider(state_stack: RecordedStack):
    document = yaml.safe_load(PROD_STACK_FILE.read_text())
    assert document["secretsprovider"] == state_stack.outputs["secretsProvider"]
    assert "region=" not in document["secretsprovider"]  # AWS_REGION picks the replica
