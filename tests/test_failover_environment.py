"""What the failover's shell needs (operations/failover_environment.py): the secrets key in a region
that answers, and static session credentials with nothing beside them that would call STS in
the failed region."""

from __future__ import annotations

import pytest

from offline.stacks import PROD_STACK_FILE
from operations.failover_environment import (
    credentials_commands,
    credentials_problems,
    environment_problems,
    secrets_key_problems,
    secrets_key_regions,
    secrets_provider_of,
)

URL = "awskms://alias/erlmcp-pulumi-state"
KEY_REGIONS = {"us-east-2", "us-west-2", "eu-central-1"}
SESSION = {
    "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "secret",
    "AWS_SESSION_TOKEN": "token",
}


def test_the_key_is_looked_up_where_aws_region_points():
    assert secrets_key_problems(URL, KEY_REGIONS, "eu-central-1", {"eu-west-1"}) == []


def test_a_region_without_a_replica_cannot_load_the_stack():
    [problem] = secrets_key_problems(URL, KEY_REGIONS, "ap-northeast-1", {"ap-southeast-1"})
    assert "look for its key in ap-northeast-1, which has no replica" in problem
    assert "keyReplicaRegions" in problem


def test_the_keys_region_being_the_failed_one_cannot_load_the_stack():
    [problem] = secrets_key_problems(URL, {"eu-west-1"}, "eu-west-1", {"eu-west-1"})
    assert "in eu-west-1, which is down" in problem


def test_a_pinned_region_wins_over_aws_region():
    # gocloud's opener: the URL's `region` parameter, else the SDK's chain (AWS_REGION).
    pinned = f"{URL}?region=us-east-2"
    assert secrets_key_problems(pinned, KEY_REGIONS, "eu-central-1", set()) == []
    [problem] = secrets_key_problems(pinned, KEY_REGIONS, "eu-central-1", {"us-east-2"})
    assert "in us-east-2, which is down" in problem


def test_no_region_at_all_is_named():
    [problem] = secrets_key_problems(URL, KEY_REGIONS, None, set())
    assert "AWS_REGION, which is not set" in problem


def test_other_secrets_providers_are_not_judged():
    assert secrets_key_problems(None, set(), None, {"eu-west-1"}) == []
    assert secrets_key_problems("passphrase", set(), None, {"eu-west-1"}) == []


def test_the_shipped_stacks_read_their_key_where_it_is():
    assert secrets_provider_of(PROD_STACK_FILE) == URL
    assert {"us-east-2", "us-west-2"} <= secrets_key_regions()


def test_a_session_alone_is_enough():
    assert credentials_problems({**SESSION, "AWS_REGION": "us-west-2", "HOME": "/root"}) == []


@pytest.mark.parametrize("missing", sorted(SESSION))
def test_each_part_of_the_session_is_required(missing):
    environ = {k: v for k, v in SESSION.items() if k != missing}
    assert credentials_problems(environ) == [f"{missing} is not set"]


@pytest.mark.parametrize(
    ("variable", "why"),
    [
        ("AWS_PROFILE", "a profile is used instead of the session's keys"),
        ("AWS_DEFAULT_PROFILE", "a profile is used instead of the session's keys"),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "a web identity calls STS in each provider's region"),
        ("AWS_ROLE_ARN", "a web identity calls STS in each provider's region"),
    ],
)
def test_anything_that_would_call_sts_in_the_failed_region_is_refused(variable, why):
    assert credentials_problems({**SESSION, variable: "x"}) == [f"{variable} is set: {why}"]


def test_the_environment_needs_both_credentials_and_the_keys_region():
    problems = environment_problems(
        {"AWS_PROFILE": "ops", "AWS_REGION": "eu-west-1"},
        secrets_provider=URL,
        key_regions={"eu-west-1", "us-east-2"},
        down={"eu-west-1"},
    )
    assert problems[:3] == [f"{name} is not set" for name in sorted(SESSION)]
    assert problems[3].startswith("AWS_PROFILE is set")
    assert "in eu-west-1, which is down" in problems[4]
    assert len(problems) == 5


def test_the_printed_commands_go_through_the_standbys_sts_only():
    text = credentials_commands("ap-northeast-1")
    sts = "--region ap-northeast-1 --endpoint-url https://sts.ap-northeast-1.amazonaws.com"
    assert text.count(sts) == 3  # assume-role, assume-role-with-web-identity, the check
    assert "export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN" in text
    assert "AWS_REGION=ap-northeast-1" in text
    assert "unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN" in text
