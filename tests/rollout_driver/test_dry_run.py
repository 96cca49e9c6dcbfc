"""`python -m operations.rollout --dry-run`: every step printed, each step's offline plan rendered,
a step that would change more refused; nothing written, the CLI never run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.recorder import RecordedStack
from offline.stacks import run_stack_file
from tests.conftest import recorded_resource
from tests.rollout_driver.world import (
    NEW,
    WAVES,
    World,
)


@pytest.fixture
def world(world_without_aws: World) -> World:
    """A dry run reads no AWS signal (nor runs the CLI): no health checks or alarms to set."""
    return world_without_aws


def test_dry_run_prints_every_step_and_changes_nothing(world: World) -> None:
    original = world.stack_file.read_bytes()

    run = world.run("--to", NEW, "--waves", *WAVES, "--dry-run")

    assert run.code == 0, run.err
    lines = run.out
    for expected in (
        "Rollout of erlmcp 3.0.0 -> 3.1.0 on stack prod (Pulumi.prod.yaml): 3 waves, 15 min",
        "1. wave 1 canary (1 pod): eu-west-1 1/2 pods on 3.1.0; fleet 1/9",
        "2. wave 1 full: eu-west-1 2/2 pods on 3.1.0; fleet 2/9",
        "3. wave 2 canary (1 pod): ap-southeast-1 1/2, ap-northeast-1 1/2 pods on 3.1.0; fleet 4/9",
        "4. wave 2 full: ap-southeast-1 2/2, ap-northeast-1 2/2 pods on 3.1.0; fleet 6/9",
        "5. wave 3 canary (1 pod): us-east-1 1/3 pods on 3.1.0; fleet 7/9",
        "6. wave 3 full: us-east-1 3/3 pods on 3.1.0; fleet 9/9",
        "us-west-2-standby-of-us-east-1-erlmcp-statefulset (3 warm pods)",
        "7. finish: release.version 3.1.0, rollout key removed; fleet 9/9 pods on 3.1.0",
    ):
        assert expected in lines
    assert world.stack_file.read_bytes() == original
    assert world.calls() == []  # the stand-in never ran, not even `pulumi version`
    assert not world.log_file.exists()


def _one_pair(stack_file: Path) -> None:
    """The stack file cut to us-east-1 and its standby (a quick render)."""
    document = yaml.load(stack_file.read_text(), Loader=yaml.CSafeLoader)
    config = document["config"]
    regions = config["erlmcp-infra:regions"]
    config["erlmcp-infra:regions"] = {r: regions[r] for r in ("us-east-1", "us-west-2")}
    config["erlmcp-infra:drPairs"] = [
        # Two regions leave no witness for the automatic failover: off.
        {**p, "autoFailover": {"enabled": False}}
        for p in config["erlmcp-infra:drPairs"]
        if p["primary"] == "us-east-1"
    ]
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))


def test_dry_run_shows_each_steps_offline_plan(world: World) -> None:
    _one_pair(world.stack_file)
    original = world.stack_file.read_bytes()

    run = world.run("--to", NEW, "--waves", "us-east-1", "--dry-run", render=run_stack_file)

    assert run.code == 0, run.out + run.err
    offline = run.out.split("Offline plan of each step")[1]
    assert "1. wave 1 canary (1 pod): us-east-1-erlmcp-statefulset (update)" in offline
    assert (
        "2. wave 1 full: us-east-1-erlmcp-statefulset (update), "
        "us-west-2-standby-of-us-east-1-erlmcp-statefulset (update)"
    ) in offline
    assert "3. finish: nothing" in offline
    assert "REFUSED" not in offline
    assert world.stack_file.read_bytes() == original
    assert world.calls() == []


def test_dry_run_refuses_a_step_whose_offline_plan_changes_more(world: World) -> None:
    stray = recorded_resource(
        "urn:pulumi:prod::erlmcp-infra::aws:ec2/vpc:Vpc::us-west-2-network-vpc",
        "aws:ec2/vpc:Vpc",
        region="us-west-2",
    )
    renders: list[int] = []

    def render(config: dict[str, Any]) -> RecordedStack:
        renders.append(1)
        # From the first step on, a VPC appears: nothing a rollout may create.
        return RecordedStack(project="p", stack="s", resources=[stray] if len(renders) > 1 else [])

    run = world.run("--to", NEW, "--waves", *WAVES, "--dry-run", render=render)

    assert run.code == 1
    assert "REFUSED: the step may not change us-west-2-network-vpc (create)" in run.out
    assert world.calls() == []
