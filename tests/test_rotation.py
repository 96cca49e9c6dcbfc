"""What every store and release holds at each step of a rotation (regions/rotation.py), walked
through every step of each kind, with a model of what each store accepts."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from operations.rotation_plan import FINISH, RETIRE, plan_rotation
from operations.stack_file import stack_config
from regions.config import StackConfig
from regions.config.secrets import rotation_hosts
from regions.rotation import (
    RoleChange,
    database_credentials,
    database_user,
    default_waves,
    generation_for,
    keepers_of,
    redis_token,
    release_generations,
    restart_annotation,
    slot_generations,
)

IMAGE = "docker.io/library/postgres@sha256:" + "a" * 64


def walk(config: dict[str, Any], secret: str, region: str | None) -> list[tuple[str, StackConfig]]:
    """(step label, the stack as the step leaves it), from the first step to the finish."""
    config = copy.deepcopy(config)
    config.setdefault("erlmcp-infra:secrets", {})["sqlClientImage"] = IMAGE
    plan = plan_rotation(
        config, stack="prod", stack_file=Path("Pulumi.prod.yaml"), secret=secret, region=region
    )
    return [(step.label, stack_config(plan.config_at(config, step))) for step in plan.steps]


def at_generation(config: dict[str, Any], generations: dict[str, Any]) -> dict[str, Any]:
    config = copy.deepcopy(config)
    config["erlmcp-infra:secrets"] = {"generations": generations}
    return config


# -- the slots ---------------------------------------------------------------------------------


def test_generation_one_has_no_keepers_so_todays_passwords_stay():
    assert keepers_of(1) is None
    assert keepers_of(2) == {"generation": "2"}


@pytest.mark.parametrize(
    ("settled", "held"), [(1, {"a": 1}), (2, {"a": 1, "b": 2}), (3, {"a": 3, "b": 2})]
)
def test_each_generation_lives_in_its_slot_beside_the_one_before(prod_config, settled, held):
    stack = stack_config(at_generation(prod_config, {"jwt-secret": settled}))
    assert slot_generations(stack, "jwt-secret", None) == held


def test_a_rotation_holds_the_old_and_the_new_generation(prod_config):
    for _, stack in walk(at_generation(prod_config, {"jwt-secret": 2}), "jwt-secret", None)[:-1]:
        assert slot_generations(stack, "jwt-secret", None) == {"a": 3, "b": 2}


def test_pod_templates_change_only_once_a_secret_is_past_generation_one():
    assert restart_annotation({"db-password": 1, "jwt-secret": 1}) is None
    assert restart_annotation({"db-password": 2, "jwt-secret": 1, "erlang-cookie": 3}) == (
        "db-password=2,erlang-cookie=3"
    )


# -- Redis: ROTATE, roll, SET ------------------------------------------------------------------


def accepted_tokens(
    before: set[int], current: int, stack: StackConfig, primary: str
) -> tuple[set[int], int]:
    """ElastiCache's AUTH: ROTATE to a new token accepts it beside the current one; SET keeps
    only the token given (ModifyReplicationGroup, AuthTokenUpdateStrategy)."""
    token = redis_token(stack, primary)
    if token.strategy == "SET":
        return {token.generation}, token.generation
    if token.generation != current:
        return {current, token.generation}, token.generation
    return before, current


def test_redis_the_old_token_stays_valid_until_retire(prod_config):
    accepted, current = {1}, 1
    retired = False
    for label, stack in walk(prod_config, "redis-auth-token", "us-east-1"):
        accepted, current = accepted_tokens(accepted, current, stack, "us-east-1")
        retired = retired or label == RETIRE
        for host in ("us-east-1", "us-west-2"):
            used = generation_for(stack, "redis-auth-token", "us-east-1", host)
            assert used in accepted, (label, host, used, accepted)
        assert (1 in accepted) is not retired, label
    assert accepted == {2}


def test_redis_finishing_changes_no_store_input(prod_config):
    steps = dict(walk(prod_config, "redis-auth-token", "us-east-1"))
    assert redis_token(steps[RETIRE], "us-east-1") == redis_token(steps[FINISH], "us-east-1")


# -- PostgreSQL: alternating users -------------------------------------------------------------


def test_database_users_alternate_after_the_master_user():
    assert [database_user("erlmcp", g) for g in (1, 2, 3, 4)] == [
        "erlmcp",
        "erlmcp_b",
        "erlmcp_a",
        "erlmcp_b",
    ]


def logins_after(
    before: set[tuple[str, int]], stack: StackConfig, primary: str
) -> set[tuple[str, int]]:
    """The (user, generation) pairs that log in once a step is applied."""
    logins = set(before)
    credentials = database_credentials(stack, primary)
    if credentials.master_refreshed:
        logins.discard((stack.release.database_user, 1))
    change = credentials.role_change
    if change is not None and change.action == "enable":
        logins = {(user, g) for user, g in logins if user != change.role} | {
            (change.role, change.generation)
        }
    if change is not None and change.action == "disable":
        logins = {(user, g) for user, g in logins if user != change.role}
    return logins


@pytest.mark.parametrize("settled", [1, 2])
def test_database_the_old_login_stays_valid_until_retire(prod_config, settled):
    config = at_generation(prod_config, {"db-password": {"ap-southeast-1": settled}})
    old = ("erlmcp", 1) if settled == 1 else ("erlmcp_b", 2)
    logins = {old}
    retired = False
    for label, stack in walk(config, "db-password", "ap-southeast-1"):
        logins = logins_after(logins, stack, "ap-southeast-1")
        retired = retired or label == RETIRE
        for host in ("ap-southeast-1", "ap-northeast-1"):
            generation = generation_for(stack, "db-password", "ap-southeast-1", host)
            assert (database_user("erlmcp", generation), generation) in logins, (label, host)
        assert (old in logins) is not retired, label
    assert logins == {(database_user("erlmcp", settled + 1), settled + 1)}


def test_database_the_master_password_changes_once_its_user_is_retired(prod_config):
    first = dict(walk(prod_config, "db-password", "ap-southeast-1"))
    assert not database_credentials(
        first["roll wave 2 (ap-northeast-1)"], "ap-southeast-1"
    ).master_refreshed
    assert database_credentials(first[RETIRE], "ap-southeast-1").master_refreshed
    assert database_credentials(first[FINISH], "ap-southeast-1") == database_credentials(
        first[RETIRE], "ap-southeast-1"
    )


# -- the fleet's secrets: waves of regions -----------------------------------------------------


@pytest.mark.parametrize("secret", ["erlang-cookie", "jwt-secret"])
def test_fleet_secret_every_release_of_a_region_switches_in_its_wave(prod_config, secret):
    steps = walk(prod_config, secret, None)
    waves = default_waves(steps[0][1], secret, None)
    assert [label for label, _ in steps] == [
        "prepare",
        *(f"roll wave {i} ({w[0]})" for i, w in enumerate(waves, start=1)),
        FINISH,
    ]
    for index, (label, stack) in enumerate(steps):
        rolled = {w[0] for w in waves[:index]}
        for host in rotation_hosts(secret, None, stack.regions, stack.dr_pairs):
            expected = 2 if host in rolled or label == FINISH else 1
            # One generation per region: its own release and the standby release it keeps.
            assert generation_for(stack, secret, None, host) == expected, (label, host)
            primaries = [p.primary for p in stack.dr_pairs if p.standby == host]
            for primary in primaries:
                assert release_generations(stack, primary, host)[secret] == expected


def test_fleet_waves_stand_by_first_then_fewest_pods_and_never_a_pair_together(prod_config):
    stack = stack_config(prod_config)
    waves = default_waves(stack, "erlang-cookie", None)
    assert waves == [
        ["us-west-2"],
        ["eu-central-1"],
        ["eu-west-1"],
        ["ap-southeast-1"],
        ["ap-northeast-1"],
        ["us-east-1"],
    ]
    assert default_waves(stack, "db-password", "ap-northeast-1") == [
        ["ap-northeast-1"],
        ["ap-southeast-1"],
    ]


@pytest.mark.parametrize(
    ("secret", "region", "settled"),
    [
        ("redis-auth-token", "us-east-1", 1),
        ("db-password", "ap-southeast-1", 1),
        ("db-password", "ap-southeast-1", 2),
        ("erlang-cookie", None, 1),
        ("jwt-secret", None, 3),
    ],
)
def test_finishing_renders_what_the_last_step_left(prod_config, secret, region, settled):
    """Everything the program reads of a rotation is the same before and after the finish, but
    the role Job of a later database retire, which the finish deletes (its work is done)."""
    scope = {region: settled} if region else settled
    steps = walk(at_generation(prod_config, {secret: scope}), secret, region)
    (_, last), (_, finished) = steps[-2], steps[-1]

    def seen(stack: StackConfig) -> tuple[Any, ...]:
        primaries = [name for name, r in stack.regions.items() if r.serving]
        credentials = [database_credentials(stack, p) for p in primaries]
        return (
            [
                slot_generations(stack, s, p)
                for s in ("db-password", "redis-auth-token")
                for p in primaries
            ],
            [slot_generations(stack, s, None) for s in ("erlang-cookie", "jwt-secret")],
            [release_generations(stack, p, h) for p in primaries for h in stack.regions],
            [redis_token(stack, p) for p in primaries],
            [(c.master_refreshed, c.role_change and c.role_change.action) for c in credentials],
        )

    before, after = seen(last), seen(finished)
    if secret == "db-password" and settled > 1:
        assert ("disable" in str(before[-1])) and "disable" not in str(after[-1])
        before, after = before[:-1], after[:-1]
    assert before == after


def test_after_a_failback_a_job_gives_the_master_user_its_new_password(prod_config):
    """A failback's writer takes no password input (regions/databases.py): the first retire
    resets the master password through the Job, logged in with the one it inherited."""
    pair = next(p for p in prod_config["erlmcp-infra:drPairs"] if p["primary"] == "eu-west-1")
    pair.update(generation=2, retiredGenerations=[1])
    steps = dict(walk(prod_config, "db-password", "eu-west-1"))
    retire = database_credentials(steps[RETIRE], "eu-west-1")
    assert retire.master_refreshed
    assert retire.role_change == RoleChange("reset-master", "erlmcp", 1)
    untouched = dict(walk(prod_config, "db-password", "us-east-1"))
    assert database_credentials(untouched[RETIRE], "us-east-1").role_change is None
