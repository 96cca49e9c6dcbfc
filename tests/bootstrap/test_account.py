"""The account's one-time prerequisite (state_store/account.py): the EC2 Auto Scaling
service-linked role that the main stacks grant their node-volume keys to, made here only when
the account has none."""

from __future__ import annotations

from components.eks import autoscaling_role_arn as granted_role_arn
from offline.recorder import RecordedStack
from tests.bootstrap.conftest import provider_of, record_state_store, state_config

SERVICE_LINKED_ROLE = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
ROLE_ARN = (
    "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/"
    "AWSServiceRoleForAutoScaling"
)


def test_a_fresh_account_gets_the_role_kept_beyond_this_stack(state_stack: RecordedStack):
    [role] = state_stack.of_type(SERVICE_LINKED_ROLE)
    assert role.plain_inputs["awsServiceName"] == "autoscaling.amazonaws.com"
    # Every Auto Scaling group of the account acts through it.
    assert role.protect and role.retain_on_delete
    assert provider_of(state_stack, role).name == "aws-global"  # IAM is global
    assert state_stack.outputs["autoscalingServiceRoleArn"] == ROLE_ARN


def test_an_account_that_has_the_role_gets_nothing_but_its_arn():
    config = state_config()
    config["erlmcp-state:autoscalingServiceRole"] = "exists"
    stack = record_state_store(config)
    assert stack.of_type(SERVICE_LINKED_ROLE) == []
    assert stack.outputs["autoscalingServiceRoleArn"] == ROLE_ARN


def test_it_is_the_role_the_main_stacks_grant_their_keys_to(state_stack: RecordedStack):
    key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert state_stack.outputs["autoscalingServiceRoleArn"] == granted_role_arn(key) == ROLE_ARN
