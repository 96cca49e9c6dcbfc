"""Every step of a rotation rendered offline as `make plan` renders it (operations/rotate.py's dry
run), on a two-region stack cut from prod (us-east-1's Aurora pair with us-west-2, about a
third of prod): what each step changes, that it may (`rotation_plan.allowed`), that nothing
stateful is replaced or removed, and that the policy pack passes. Recordings are shared
(tests/recordings.py), so the stack before a rotation is rendered once for every kind. The JWT
secret takes the cookie's code path (regions/region.py `SharedSecrets`) and is walked step by
step without rendering in tests/test_rotation.py."""

from __future__ import annotations

import copy
import functools
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from components.postgres_roles import derived_salt, scram_verifier
from offline.policy_runner import PolicyReport
from offline.recorder import RecordedStack, reveal
from offline.stacks import project_values, stack_file_config
from operations.rotate import describe_steps, offline_plan_lines
from operations.rotation_plan import FINISH, RotationPlan, plan_rotation
from tests.recordings import pack_report, recorded_stack

IMAGE = "docker.io/library/postgres@sha256:" + "a" * 64
PASSWORD = "random:index/randomPassword:RandomPassword"


@functools.cache
def _pair() -> dict[str, Any]:
    config = copy.deepcopy(stack_file_config())
    regions = config["erlmcp-infra:regions"]
    config["erlmcp-infra:regions"] = {r: regions[r] for r in ("us-east-1", "us-west-2")}
    # Two regions leave no third to witness the primary's loss: no automatic failover.
    config["erlmcp-infra:drPairs"] = [
        {**p, "autoFailover": {"enabled": False}}
        for p in config["erlmcp-infra:drPairs"]
        if p["primary"] == "us-east-1"
    ]
    config["erlmcp-infra:secrets"] = {"sqlClientImage": IMAGE}
    return config


def pair_config(generations: dict[str, Any] | None = None) -> dict[str, Any]:
    config = copy.deepcopy(_pair())
    if generations:
        config["erlmcp-infra:secrets"]["generations"] = generations
    return config


def render(config: dict[str, Any]) -> RecordedStack:
    return recorded_stack(config)


def report(recorded: RecordedStack, config: dict[str, Any]) -> PolicyReport:
    return pack_report(recorded, stack_config=project_values(config))


def plan_of(config: dict[str, Any], secret: str, region: str | None) -> RotationPlan:
    return plan_rotation(
        config, stack="prod", stack_file=Path("Pulumi.prod.yaml"), secret=secret, region=region
    )


GROUPS = "update us-east-1-redis-group, update us-west-2-standby-of-us-east-1-redis-group"
OWN = "us-east-1-erlmcp"
STANDBY = "us-west-2-standby-of-us-east-1-erlmcp"


def rolled(release: str, database: bool = False) -> str:
    config = f", replace {release}-config" if database else ""
    return f"update {release}-statefulset{config}, replace {release}-secrets"


ROLE_JOB = ("job", "sql", "credentials", "network-policy")
EXPECTED = {
    ("redis-auth-token", "us-east-1"): [
        f"prepare: {GROUPS}, create us-east-1-redis-auth-token-b",
        f"roll wave 1 (us-east-1): {rolled(OWN)}",
        f"roll wave 2 (us-west-2): {rolled(STANDBY)}",
        f"retire: {GROUPS}",
    ],
    ("db-password", "us-east-1"): [
        "prepare: "
        + ", ".join(f"create us-east-1-db-roles-{part}" for part in ROLE_JOB)
        + ", create us-east-1-db-password-b",
        f"roll wave 1 (us-east-1): {rolled(OWN, database=True)}, "
        + ", ".join(f"delete us-east-1-db-roles-{part}" for part in ROLE_JOB),
        f"roll wave 2 (us-west-2): {rolled(STANDBY, database=True)}",
        "retire: update us-east-1-aurora-cluster, create us-east-1-db-master-password",
    ],
    ("erlang-cookie", None): [
        "prepare: create erlang-cookie-b",
        f"roll wave 1 (us-west-2): {rolled(STANDBY)}",
        f"roll wave 2 (us-east-1): {rolled(OWN)}",
    ],
}


@pytest.mark.parametrize(("secret", "region"), list(EXPECTED))
def test_every_step_changes_only_what_it_may_keeps_every_stateful_resource_and_passes(
    secret, region
):
    config = pair_config()
    plan = plan_of(config, secret, region)
    # The finish renders what the last step did (tests/test_rotation.py
    # `test_finishing_renders_what_the_last_step_left`): not rendered again, to keep the suite
    # fast; the dry run of `make rotate` renders it.
    assert plan.steps[-1].kind == FINISH
    lines, ok = offline_plan_lines(replace(plan, steps=plan.steps[:-1]), config, render, report)
    assert ok, "\n".join(lines)
    steps = [line.split(". ", 1)[1] for line in lines if line[2:3].isdigit()]
    assert steps == EXPECTED[(secret, region)]
    verdicts = [line.strip() for line in lines if line.strip().startswith("pack")]
    assert verdicts == ["pack passed; stateful replaced or removed: none"] * len(steps)


def test_the_dry_run_says_what_the_stores_accept_at_each_step():
    config = pair_config()
    lines = describe_steps(plan_of(config, "db-password", "us-east-1"), config)
    assert lines[1:4] == [
        "  1. prepare",
        "       database: role erlmcp_b logs in with generation 2; erlmcp still with generation 1",
        "       releases: us-east-1 1 (us-east-1-erlmcp); us-west-2 1 "
        "(us-west-2-standby-of-us-east-1-erlmcp)",
    ]


def secret_inputs(recorded: RecordedStack, name: str) -> dict[str, Any]:
    return recorded.one("kubernetes:core/v1:Secret", name).plain_inputs["stringData"]


def password(recorded: RecordedStack, name: str) -> str:
    resource = next(r for r in recorded.of_type(PASSWORD) if r.name == name)
    return str(reveal(resource.outputs["result"]))


def test_a_later_rotation_enables_the_other_role_as_the_master_user_of_its_own():
    """Generation 2 -> 3: the Job logs in with the master password the first rotation's retire
    made, which is no generation's, and enables erlmcp_a with generation 3's password (its
    retire's `disable` of erlmcp_b: tests/test_rotation.py)."""
    config = pair_config({"db-password": {"us-east-1": 2}})
    plan = plan_of(config, "db-password", "us-east-1")
    prepare_config = plan.config_at(config, plan.steps[0])
    prepare = render(prepare_config)
    master = password(prepare, "us-east-1-db-master-password")
    job = prepare.one("kubernetes:batch/v1:Job", "us-east-1-db-roles-job").plain_inputs
    assert job["metadata"]["name"] == "erlmcp-db-role-enable-g3"
    assert "role=erlmcp_a" in job["spec"]["template"]["spec"]["containers"][0]["command"]
    credentials = secret_inputs(prepare, "us-east-1-db-roles-credentials")
    assert credentials["PGPASSWORD"] == master
    third = password(prepare, "us-east-1-db-password")
    assert credentials["ROLE_PASSWORD_VERIFIER"] == scram_verifier(
        third, derived_salt(master, "erlmcp_a")
    )
    assert master not in {third, password(prepare, "us-east-1-db-password-b")}
    assert report(prepare, prepare_config).passed


def test_after_a_failback_the_first_retire_resets_the_master_password_through_the_job():
    """The writer a failback made takes no password input: the Job logs in with the password
    the copy inherited (generation 1) and gives the master user its new one, as a verifier."""
    config = pair_config()
    config["erlmcp-infra:drPairs"][0].update(generation=2, retiredGenerations=[1])
    plan = plan_of(config, "db-password", "us-east-1")
    retire_config = plan.config_at(config, plan.steps[-2])
    retire = render(retire_config)
    credentials = secret_inputs(retire, "us-east-1-db-roles-credentials")
    first, master = (
        password(retire, name) for name in ("us-east-1-db-password", "us-east-1-db-master-password")
    )
    assert credentials["PGPASSWORD"] == first
    assert credentials["ROLE_PASSWORD_VERIFIER"] == scram_verifier(
        master, derived_salt(first, "erlmcp")
    )
    assert report(retire, retire_config).passed
