"""`make failover PRIMARY=<region>` (operations/failover.py): for every DR pair of prod it edits the
stack file, writes the failover's plan and prints a `pulumi up` whose targets are the standby
region's changes only; bad input, or a shell whose credentials or secrets key would need the
failed region, gets a clear error and changes nothing. A second failover keeps the first."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from offline.recorder import RecordedStack
from offline.stacks import PROD_STACK_FILE, stack_file_config
from operations import failover as command
from operations.failover import FailoverError, commands, plan_failover
from operations.outage import calls_into
from tests.conftest import dr_stage_config
from tests.recordings import pack_report, recorded_stack

PAIRS = [(p["primary"], p["standby"]) for p in stack_file_config()["erlmcp-infra:drPairs"]]


# A shell fit for a failover to `standby`: a session taken through its STS, AWS_REGION there.
def session_in(standby: str) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_SESSION_TOKEN": "token",
        "AWS_REGION": standby,
    }


def shared_render(config: dict[str, Any], stack: str, down: frozenset[str]) -> RecordedStack:
    """The same renders the other tests use (the failover ones with the region down)."""
    return recorded_stack(config, stack=stack, outage=down)


def shared_report(recorded: RecordedStack, config: dict[str, Any]):
    return pack_report(recorded, stack_config=config)


@pytest.fixture
def stack_file(tmp_path: Path) -> Path:
    copy = tmp_path / "Pulumi.prod.yaml"
    shutil.copyfile(PROD_STACK_FILE, copy)
    return copy


@pytest.fixture(scope="module", params=PAIRS, ids=[f"{p}-to-{s}" for p, s in PAIRS])
def planned(request):
    primary, standby = request.param
    plan = plan_failover(PROD_STACK_FILE, primary, render=shared_render, report=shared_report)
    return primary, standby, plan


def test_the_targets_are_the_standby_regions_changes_only(planned):
    primary, standby, plan = planned
    # A target may be a deletion: the promoted copies' lag alarms (regions/alarms.py) go.
    by_urn = {**plan.before.by_urn(), **plan.after.by_urn()}
    assert plan.targets
    assert {by_urn[urn].region for urn in plan.targets} == {standby}
    assert calls_into(primary, plan.before, plan.after, plan.targets) == []


def test_the_printed_update_names_every_target_and_nothing_of_the_failed_region(planned):
    primary, _, plan = planned
    text = commands(plan)
    now = text.split("\n2. ")[1].split("\n3. ")[0]
    assert "pulumi up --stack prod --target-dependents" in now
    named = [
        line.split("--target ", 1)[1].strip(" \\'")
        for line in now.splitlines()
        if "--target '" in line
    ]
    assert named == plan.targets
    assert not [urn for urn in named if f"::{primary}-" in urn]
    later = text.split("\n3. ")[1]
    assert "pulumi up --stack prod\n" in later
    assert f"{primary}-erlmcp-statefulset" in later


def test_the_printed_commands_start_with_credentials_through_the_standbys_sts(planned):
    _, standby, plan = planned
    first = commands(plan).split("\n0. ")[1].split("\n1. ")[0]
    assert f"aws sts assume-role --region {standby} --endpoint-url https://sts.{standby}." in first
    assert f"AWS_REGION={standby}" in first


def test_the_failover_plan_passes_the_pack_and_replaces_nothing_stateful(planned):
    _, _, plan = planned
    assert plan.plan["policy"]["passed"]
    # A backup selection that gains the promoted copy is replaced (its `resources` is ForceNew);
    # it holds no data.
    replaced = plan.plan["diff"]["replaced"]
    assert {r["type"] for r in replaced} <= {"aws:backup/selection:Selection"}
    assert not [r for r in replaced if r["stateful"]]
    assert plan.plan["dr"]["failover"] == {planned[0]: planned[1]}


def test_the_command_writes_the_stack_file_and_the_plan(stack_file, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(command, "plan_failover", _with_shared_report(command.plan_failover))
    before = stack_file.read_text()
    argv = ["--primary", "ap-southeast-1", "--config", str(stack_file), "--out", str(tmp_path)]
    assert command.main(argv, environ=session_in("ap-northeast-1")) == 0
    after = stack_file.read_text()
    assert after.startswith(before.rstrip("\n"))  # comments and layout kept, one key added
    assert after.endswith("  erlmcp-infra:failover:\n    ap-southeast-1: ap-northeast-1\n")
    config = stack_file_config(stack_file)
    assert config["erlmcp-infra:failover"] == {"ap-southeast-1": "ap-northeast-1"}
    assert (tmp_path / "failover-ap-southeast-1" / "plan.json").exists()
    assert "--target-dependents" in capsys.readouterr().out
    # Run again: already failed over, refused, nothing changes.
    assert command.main(argv, environ=session_in("ap-northeast-1")) == 2
    assert stack_file.read_text() == after
    assert "already failed over to ap-northeast-1" in capsys.readouterr().err


def _with_shared_report(plan_failover_function):
    def plan(stack_file, primary, *, stack=None):
        return plan_failover_function(
            stack_file, primary, stack=stack, render=shared_render, report=shared_report
        )

    return plan


@pytest.mark.parametrize(
    ("primary", "message"),
    [
        ("us-west-2", "us-west-2 is not the primary of a DR pair"),
        ("eu-central-1", "eu-central-1 is not the primary of a DR pair"),
        ("sa-east-1", "'sa-east-1' is not a region of Pulumi.prod.yaml"),
    ],
)
def test_bad_input_is_named_and_changes_nothing(stack_file, capsys, primary, message):
    before = stack_file.read_bytes()
    assert command.main(["--primary", primary, "--config", str(stack_file)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Nothing was changed." in err
    assert stack_file.read_bytes() == before


def test_a_primary_whose_standby_has_failed_over_itself_is_refused(stack_file):
    text = stack_file.read_text() + "  erlmcp-infra:failover:\n    ap-southeast-1: ap-northeast-1\n"
    stack_file.write_text(text)
    with pytest.raises(FailoverError, match="standby ap-southeast-1 is itself failed over"):
        plan_failover(stack_file, "ap-northeast-1", render=shared_render)
    assert stack_file.read_text() == text


def test_a_program_that_needs_the_failed_region_is_refused(stack_file, monkeypatch):
    from operations.outage import RegionDown

    def down(config, stack, outage):
        if outage:
            raise RegionDown(f"{outage} is down: invoke of aws:index/getAvailabilityZones")
        return shared_render(config, stack, outage)

    before = stack_file.read_bytes()
    with pytest.raises(FailoverError, match="needs us-east-1 while down"):
        plan_failover(stack_file, "us-east-1", render=down)
    assert stack_file.read_bytes() == before


def test_a_shell_that_would_need_the_failed_region_is_refused_before_any_render(
    stack_file, monkeypatch, capsys
):
    def no_render(*args, **kwargs):
        raise AssertionError("rendered before the shell was checked")

    monkeypatch.setattr(command, "plan_failover", no_render)
    before = stack_file.read_bytes()
    environ = {"AWS_PROFILE": "operator", "AWS_REGION": "eu-west-1"}
    assert command.main(["--primary", "eu-west-1", "--config", str(stack_file)], environ) == 2
    err = capsys.readouterr().err
    assert "AWS_SESSION_TOKEN is not set" in err
    assert "AWS_PROFILE is set: a profile is used instead of the session's keys" in err
    assert "look for its key in eu-west-1, which is down" in err
    assert "aws sts assume-role --region eu-central-1 --endpoint-url" in err
    assert "Nothing was changed." in err
    assert stack_file.read_bytes() == before


def test_a_standby_without_the_secrets_key_is_refused(stack_file):
    with pytest.raises(FailoverError, match="ap-northeast-1, which has no replica of it"):
        plan_failover(
            stack_file,
            "ap-southeast-1",
            render=shared_render,
            key_regions={"us-east-2", "us-west-2"},
        )


def test_a_second_failover_keeps_the_first(stack_file, tmp_path, monkeypatch, capsys):
    # us-east-1 is failed over and still down when eu-west-1 fails too.
    first = "  erlmcp-infra:failover:\n    us-east-1: us-west-2\n"
    stack_file.write_text(stack_file.read_text() + first)
    renders: list[frozenset[str]] = []

    def render(config, stack, down):
        renders.append(down)
        return shared_render(config, stack, down)

    def plan(stack_file, primary, *, stack=None):
        return plan_failover(stack_file, primary, stack=stack, render=render, report=shared_report)

    monkeypatch.setattr(command, "plan_failover", plan)
    argv = ["--primary", "eu-west-1", "--config", str(stack_file), "--out", str(tmp_path)]
    assert command.main(argv, environ=session_in("eu-central-1")) == 0

    both = {"us-east-1": "us-west-2", "eu-west-1": "eu-central-1"}
    assert stack_file_config(stack_file)["erlmcp-infra:failover"] == both
    assert stack_file.read_text().endswith(first + "    eu-west-1: eu-central-1\n")
    written = json.loads((tmp_path / "failover-eu-west-1" / "plan.json").read_text())
    assert written["dr"]["failover"] == both
    # Both regions are down while the update runs: the renders, and the providers that skip.
    assert renders == [frozenset({"us-east-1"}), frozenset({"us-east-1", "eu-west-1"})]
    out = capsys.readouterr().out
    assert "make no call when configured: aws-eu-west-1, aws-us-east-1 and aws-global" in out


def test_a_failover_that_would_undo_an_earlier_one_is_refused(stack_file):
    # As if the config had lost us-east-1's failover: the update would quietly undo it.
    still_failed_over = dr_stage_config("us-east-1", "failover")
    lost = dr_stage_config("eu-west-1", "failover")

    def render(config, stack, down):
        if "eu-west-1" in config.get("erlmcp-infra:failover", {}):
            return shared_render(lost, stack, frozenset({"eu-west-1"}))
        return shared_render(still_failed_over, stack, frozenset({"us-east-1"}))

    with pytest.raises(FailoverError, match="would change other regions") as error:
        plan_failover(stack_file, "eu-west-1", render=render)
    assert "us-west-2-standby-of-us-east-1" in str(error.value)
