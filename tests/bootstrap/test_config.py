"""The `erlmcp-state` config: the stack file parses, and every bad value is named by its key path
before any resource is registered."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from offline.recorder import RecordingMonitor
from state_store.config import (
    UNKNOWN_KEY,
    StateStoreConfigError,
    load_config,
    parse_config,
    project_values,
)
from tests.bootstrap.conftest import (
    STACK_FILE_TAGS,
    StateStoreMocks,
    record_state_store,
    state_config,
)


def values(**overrides: Any) -> dict[str, Any]:
    """The stack file's project values (no namespace), with `overrides`."""
    return {**project_values(state_config()), **overrides}


def problems_of(raw: dict[str, Any]) -> str:
    with pytest.raises(StateStoreConfigError) as error:
        parse_config(raw)
    return str(error.value)


def test_the_stack_file_parses_to_the_documented_defaults():
    config = parse_config(values())
    assert config.account_id == "123456789012"
    assert config.regions == ("us-east-2", "us-west-2")
    assert config.key_alias == "erlmcp-pulumi-state"
    assert config.noncurrent_version_days == 365
    assert config.noncurrent_versions_kept == 100
    assert config.autoscaling_service_role == "create"
    assert config.all_tags == STACK_FILE_TAGS


def test_only_the_account_and_its_autoscaling_role_are_required():
    config = parse_config({"accountId": "012345678901", "autoscalingServiceRole": "exists"})
    assert config.account_id == "012345678901"
    assert config.regions == ("us-east-2", "us-west-2")
    assert config.all_tags == {"project": "erlmcp-state"}
    assert problems_of({}).splitlines() == [
        "erlmcp-state:accountId: required, and has no default",
        "erlmcp-state:autoscalingServiceRole: required: `create` if the account has no EC2 Auto "
        "Scaling service-linked role (`aws iam get-role --role-name "
        "AWSServiceRoleForAutoScaling` answers NoSuchEntity), `exists` if it has one",
    ]


def test_the_autoscaling_role_is_made_or_known_to_exist():
    assert "erlmcp-state:autoscalingServiceRole: Input should be 'create' or 'exists'" in (
        problems_of(values(autoscalingServiceRole="import"))
    )


def test_the_stack_file_disables_default_providers():
    assert state_config()["pulumi:disable-default-providers"] == ["*"]


@pytest.mark.parametrize("account", ["12345678901", "1234567890123", "12345678901a", "acct"])
def test_an_account_id_must_be_twelve_digits(account: str):
    assert problems_of(values(accountId=account)) == (
        f"erlmcp-state:accountId: {account!r} is not a 12-digit AWS account id (quote it in "
        'YAML, so that leading zeros survive: accountId: "012345678901")'
    )


def test_the_replica_must_be_another_region():
    assert problems_of(values(replicaRegion="us-east-2")) == (
        "erlmcp-state:replicaRegion: us-east-2 is also primaryRegion: the replica must be another "
        "region, or losing that one region loses both copies of the state"
    )


def test_the_key_is_also_replicated_into_every_listed_region():
    config = parse_config(values())
    assert config.key_regions == (
        "us-east-2",
        "us-west-2",
        "us-east-1",
        "eu-west-1",
        "eu-central-1",
        "ap-southeast-1",
        "ap-northeast-1",
    )
    bare = parse_config({"accountId": "012345678901", "autoscalingServiceRole": "exists"})
    assert bare.key_regions == ("us-east-2", "us-west-2")


@pytest.mark.parametrize(
    ("regions", "message"),
    [
        (["eu-west-1", "us-west-2"], "us-west-2 has a state bucket and its key already"),
        (["eu-west-1", "eu-west-1"], "names a region twice"),
        (["mars-1"], "'mars-1' is not an AWS region code"),
    ],
)
def test_key_replica_regions_are_other_deployable_regions_each_once(regions, message):
    problems = problems_of(values(keyReplicaRegions=regions))
    assert problems.startswith("erlmcp-state:keyReplicaRegions")
    assert message in problems


@pytest.mark.parametrize(
    ("key", "region", "reason"),
    [
        ("primaryRegion", "us-east-7", "is not an AWS region code"),
        ("replicaRegion", "mars-1", "is not an AWS region code"),
        ("replicaRegion", "cn-north-1", "outside the commercial 'aws' partition"),
    ],
)
def test_regions_must_be_deployable(key: str, region: str, reason: str):
    message = problems_of(values(**{key: region}))
    assert message.startswith(f"erlmcp-state:{key}: {region!r} ")
    assert reason in message
    assert message.count("\n") == 0


def test_an_unknown_key_is_named():
    assert problems_of(values(replicaRegoin="us-west-1")) == (
        f"erlmcp-state:replicaRegoin: {UNKNOWN_KEY}"
    )


def test_every_problem_is_reported_at_once():
    message = problems_of(values(accountId="1", replicaRegion="us-east-2", keyAlais="x"))
    assert [line.split(":")[1] for line in message.splitlines()] == [
        "accountId",
        "replicaRegion",
        "keyAlais",
    ]


@pytest.mark.parametrize(
    ("alias", "reason"),
    [
        ("alias/erlmcp-pulumi-state", "write the alias without its 'alias/' prefix"),
        ("aws/s3", "not under 'aws/'"),
        ("erlmcp pulumi", "letters, digits"),
    ],
)
def test_the_key_alias_is_a_plain_alias_name(alias: str, reason: str):
    message = problems_of(values(keyAlias=alias))
    assert message.startswith("erlmcp-state:keyAlias: ")
    assert reason in message


@pytest.mark.parametrize("kept", [0, 101])
def test_noncurrent_versions_kept_is_what_s3_allows(kept):
    assert problems_of(values(noncurrentVersionsKept=kept)) == (
        "erlmcp-state:noncurrentVersionsKept: Input should be "
        + ("greater than or equal to 1" if kept < 1 else "less than or equal to 100")
    )


def test_noncurrent_versions_are_kept_at_least_a_day():
    assert problems_of(values(noncurrentVersionDays=0)) == (
        "erlmcp-state:noncurrentVersionDays: Input should be greater than or equal to 1"
    )


def test_the_project_tag_is_the_programs():
    message = problems_of(values(tags={"project": "other"}))
    assert message.startswith("erlmcp-state:tags: 'project' is set by the program")


def test_aws_reserved_tag_keys_are_refused():
    assert "reserved by AWS" in problems_of(values(tags={"aws:owner": "x"}))


def test_provider_and_misspelt_namespaces_are_refused():
    engine = {
        "erlmcp-state:accountId": "123456789012",
        "erlmcp-state:autoscalingServiceRole": "exists",
        "aws:region": "us-east-1",
        "erlmcp-stat:tags": '{"owner": "x"}',
        "pulumi:disable-default-providers": '["*"]',
    }
    with pytest.raises(pulumi.RunError) as error:
        load_config(engine)
    assert str(error.value).splitlines() == [
        "invalid stack configuration:",
        "aws:region: no provider reads it (every provider is explicit, and AWS credentials come "
        "from the environment); remove it",
        "erlmcp-stat:tags: unknown config namespace 'erlmcp-stat' (typo of 'erlmcp-state'?); "
        "only erlmcp-state and pulumi are read",
    ]


def test_a_bad_stack_file_stops_the_program_before_any_resource():
    config = state_config()
    config["erlmcp-state:replicaRegion"] = "us-east-2"
    config["erlmcp-state:accountid"] = "123456789012"
    monitor = RecordingMonitor(StateStoreMocks())
    with pytest.raises(pulumi.RunError) as error:
        record_state_store(config, monitor=monitor)
    assert "erlmcp-state:replicaRegion: us-east-2 is also primaryRegion" in str(error.value)
    assert f"erlmcp-state:accountid: {UNKNOWN_KEY}" in str(error.value)
    assert monitor.recorded == []
