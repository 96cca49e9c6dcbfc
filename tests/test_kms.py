"""The RegionKey component: rotation, protection, region placement and a narrow key policy."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from components.kms import RegionKey, RegionKeyArgs
from offline.mocks import ACCOUNT_ID
from offline.recorder import RecordedResource, RecordedStack
from tests.conftest import assert_parented_under

REGION = "ap-northeast-1"
NAME = f"{REGION}-key"
COMPONENT = "erlmcp:components:RegionKey"


def build(record: Callable[..., RecordedStack], **overrides: Any) -> RecordedStack:
    fields: dict[str, Any] = {
        "region": REGION,
        "description": "erlmcp prod ap-northeast-1: data at rest",
        "alias_name": "erlmcp-prod-ap-northeast-1",
        "account_id": ACCOUNT_ID,
        "tags": {"project": "erlmcp"},
    }
    fields.update(overrides)

    def program() -> None:
        key = RegionKey(NAME, RegionKeyArgs(**fields))
        pulumi.export("key_arn", key.key_arn)
        pulumi.export("key_id", key.key_id)
        pulumi.export("alias_name", key.alias_name)

    return record(program)


@pytest.fixture
def stack(record: Callable[..., RecordedStack]) -> RecordedStack:
    return build(record)


def key_of(stack: RecordedStack) -> RecordedResource:
    return stack.one("aws:kms/key:Key", f"{NAME}-key")


def statements(stack: RecordedStack) -> list[dict[str, Any]]:
    return json.loads(key_of(stack).plain_inputs["policy"])["Statement"]


def principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal", {})
    if isinstance(principal, str):
        return [principal]
    found: list[str] = []
    for value in principal.values():
        found.extend([value] if isinstance(value, str) else value)
    return found


def test_key_rotates_and_waits_before_deletion(stack: RecordedStack) -> None:
    inputs = key_of(stack).plain_inputs
    assert inputs["enableKeyRotation"] is True
    assert inputs["deletionWindowInDays"] == 30
    assert inputs["description"] == "erlmcp prod ap-northeast-1: data at rest"
    assert inputs["tags"] == {"project": "erlmcp"}


def test_key_is_protected_by_default(stack: RecordedStack) -> None:
    assert key_of(stack).protect is True


def test_protection_can_be_turned_off(record: Callable[..., RecordedStack]) -> None:
    assert key_of(build(record, protect=False)).protect is False


def test_key_and_alias_live_in_the_region(stack: RecordedStack) -> None:
    regional = [r for r in stack.resources if r.custom]
    assert {r.type for r in regional} == {"aws:kms/key:Key", "aws:kms/alias:Alias"}
    assert all(r.region == REGION for r in regional)


def test_everything_is_parented_under_the_component(stack: RecordedStack) -> None:
    assert_parented_under(stack, COMPONENT, NAME)


def test_alias_points_at_the_key(stack: RecordedStack) -> None:
    alias = stack.one("aws:kms/alias:Alias", f"{NAME}-alias").plain_inputs
    key = key_of(stack)
    assert alias["name"] == "alias/erlmcp-prod-ap-northeast-1"
    assert alias["targetKeyId"] == key.outputs["keyId"]
    assert stack.outputs["alias_name"] == "alias/erlmcp-prod-ap-northeast-1"
    assert stack.outputs["key_arn"] == key.outputs["arn"]
    assert stack.outputs["key_id"] == key.outputs["keyId"]


def test_policy_grants_nothing_to_anyone(stack: RecordedStack) -> None:
    for statement in statements(stack):
        assert statement["Effect"] == "Allow"
        assert "NotPrincipal" not in statement
        assert principals(statement), statement
        for principal in principals(statement):
            assert "*" not in principal, statement


def test_policy_delegates_to_the_accounts_iam(stack: RecordedStack) -> None:
    root = [s for s in statements(stack) if "AWS" in s["Principal"]]
    assert root == [
        {
            "Sid": "EnableIamPoliciesOfTheAccount",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]


def test_only_this_regions_cloudwatch_logs_may_use_the_key(stack: RecordedStack) -> None:
    services = [s for s in statements(stack) if "Service" in s["Principal"]]
    [logs] = [s for s in services if s["Principal"]["Service"] == f"logs.{REGION}.amazonaws.com"]
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:*"}
    }
    assert "kms:*" not in logs["Action"]
    assert not any(a.startswith(("kms:Put", "kms:Create", "kms:Schedule")) for a in logs["Action"])


def test_the_services_that_publish_to_encrypted_topics_may_only_encrypt_and_decrypt(
    stack: RecordedStack,
) -> None:
    publishers = {
        tuple(_as_list(s["Principal"]["Service"])): s
        for s in statements(stack)
        if "Service" in s["Principal"] and not str(s["Principal"]["Service"]).startswith("logs.")
    }
    assert set(publishers) == {
        ("cloudwatch.amazonaws.com", "aps.amazonaws.com"),
        ("events.amazonaws.com",),
    }
    for statement in publishers.values():
        assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    alarms = publishers[("cloudwatch.amazonaws.com", "aps.amazonaws.com")]
    assert alarms["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    # EventBridge's KMS request carries no source keys: a condition would drop every event.
    assert "Condition" not in publishers[("events.amazonaws.com",)]


def test_a_given_account_id_is_used(record: Callable[..., RecordedStack]) -> None:
    stack = build(record, account_id="210987654321")
    text = key_of(stack).plain_inputs["policy"]
    assert "arn:aws:iam::210987654321:root" in text
    assert f"arn:aws:logs:{REGION}:210987654321:*" in text
    assert ACCOUNT_ID not in text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"deletion_window_days": 5}, "deletion_window_days"),
        ({"deletion_window_days": 31}, "deletion_window_days"),
        ({"alias_name": "alias/erlmcp"}, "alias_name"),
        ({"alias_name": "aws/erlmcp"}, "alias_name"),
        ({"alias_name": "erlmcp prod"}, "alias_name"),
    ],
)
def test_bad_arguments_are_rejected(
    record: Callable[..., RecordedStack], overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build(record, **overrides)


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value
