"""`erlmcp-infra:secrets`: generations and a rotation in progress (regions/config/secrets.py)."""

from __future__ import annotations

from typing import Any

import pytest

from regions.config import ConfigError, parse_stack_config

IMAGE = "docker.io/library/postgres@sha256:" + "a" * 64


def rotation(**fields: Any) -> dict[str, Any]:
    return {
        "secret": "redis-auth-token",
        "region": "ap-southeast-1",
        "to": 2,
        "step": "roll",
        "wave": 1,
        "waves": [["ap-southeast-1"], ["ap-northeast-1"]],
        **fields,
    }


def refused(values: dict[str, Any], secrets: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as error:
        parse_stack_config({**values, "secrets": secrets})
    return str(error.value)


def test_a_stack_without_the_key_is_at_generation_one_everywhere(prod_values):
    secrets = parse_stack_config(prod_values).secrets
    assert secrets.rotation is None
    assert secrets.generation("erlang-cookie") == 1
    assert secrets.generation("db-password", "us-east-1") == 1


def test_generations_are_read_per_secret_and_region(prod_values):
    generations = {"erlang-cookie": 3, "db-password": {"eu-west-1": 2}}
    secrets = parse_stack_config({**prod_values, "secrets": {"generations": generations}}).secrets
    assert secrets.generation("erlang-cookie") == 3
    assert secrets.generation("db-password", "eu-west-1") == 2
    assert secrets.generation("db-password", "us-east-1") == 1
    assert secrets.generation("jwt-secret") == 1


def test_a_regional_generation_names_a_serving_region(prod_values):
    message = refused(prod_values, {"generations": {"db-password": {"us-west-2": 2}}})
    assert "secrets.generations.db-password.us-west-2: us-west-2 is not a serving region" in message


def test_a_rotation_in_progress_is_accepted(prod_values):
    secrets = parse_stack_config({**prod_values, "secrets": {"rotation": rotation()}}).secrets
    assert secrets.rotation is not None and secrets.rotation.rolled("ap-southeast-1")
    assert not secrets.rotation.rolled("ap-northeast-1")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"region": None}, "secrets.rotation.region: redis-auth-token belongs to a serving region"),
        ({"region": "us-west-2", "waves": [["us-west-2"]]}, "us-west-2 is not a serving region"),
        (
            {"secret": "erlang-cookie", "waves": [["us-east-1"]]},
            "erlang-cookie is the whole fleet's: name no region",
        ),
        ({"to": 3}, "redis-auth-token is at generation 1: a rotation goes to 2"),
        ({"wave": 3}, "secrets.rotation.wave: a wave from 1 to 2 is expected"),
        ({"step": "prepare", "wave": 1}, "only the roll step has a wave, not prepare"),
        ({"waves": [["ap-southeast-1"]]}, "missing ap-northeast-1"),
        (
            {"waves": [["ap-southeast-1"], ["ap-northeast-1"], ["eu-west-1"]]},
            "not using it: eu-west-1",
        ),
        (
            {"waves": [["ap-southeast-1", "ap-northeast-1"]]},
            "secrets.rotation.waves[0]: ap-southeast-1 and ap-northeast-1 are a DR pair",
        ),
        ({"secret": "db-password"}, "secrets.sqlClientImage: a database password rotation"),
    ],
)
def test_a_rotation_that_does_not_fit_the_stack_is_refused(prod_values, fields, reason):
    assert reason in refused(prod_values, {"rotation": rotation(**fields)})


def test_the_fleet_waves_keep_a_mutual_pair_apart(prod_values):
    waves = [[r] for r in prod_values["regions"]]
    waves[4] = ["ap-southeast-1", "ap-northeast-1"]
    del waves[5]
    fleet = rotation(secret="erlang-cookie", region=None, waves=waves)
    assert "ap-southeast-1 and ap-northeast-1 are a DR pair" in refused(
        prod_values, {"rotation": fleet}
    )


def test_the_psql_image_must_be_pinned_by_digest(prod_values):
    message = refused(prod_values, {"sqlClientImage": "postgres:16"})
    assert "'postgres:16' is not an image pinned by digest" in message
    accepted = parse_stack_config({**prod_values, "secrets": {"sqlClientImage": IMAGE}})
    assert accepted.secrets.sql_client_image == IMAGE


def test_a_rotation_waits_for_a_rollout(prod_values):
    prod_values["release"]["imageDigests"]["3.1.0"] = "sha256:" + "b" * 64
    prod_values["rollout"] = {
        "version": "3.1.0",
        "waves": [["us-east-1"], ["eu-west-1"], ["ap-southeast-1"], ["ap-northeast-1"]],
        "wave": 1,
    }
    message = refused(prod_values, {"rotation": rotation()})
    assert "secrets.rotation: a rollout is in progress" in message
