"""What the deploy job does for a stack (pipeline/deploy.py): `make up`, or a rollout started or
resumed from the last deployment's config."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from offline.stacks import PROD_STACK_FILE
from operations.rollout.state import (
    ROLLOUT_KEY,
    RolloutState,
    read_rollout,
    write_state,
)
from operations.stack_file import (
    RELEASE_KEY,
    StackFileError,
    load_config,
    release_version,
)
from pipeline.deploy import decide, main, run_decision

RUNNING, TARGET = "3.0.0", "3.1.0"
WAVES = (("eu-west-1",), ("ap-southeast-1", "ap-northeast-1"), ("us-east-1",))
STOPPED_AT = RolloutState(TARGET, WAVES, wave=2, canary_pods=1, soak_minutes=15)
UP = ["make", "up", "STACK=prod"]


def config(version: str = RUNNING, rollout: RolloutState | None = None) -> dict[str, Any]:
    values = copy.deepcopy(load_config(PROD_STACK_FILE))
    values[RELEASE_KEY]["version"] = version
    if rollout is not None:
        values[ROLLOUT_KEY] = rollout.as_config()
    return values


def test_the_shipped_stack_runs_the_version_the_tests_assume():
    assert release_version(load_config(PROD_STACK_FILE)) == RUNNING


def test_an_unchanged_version_is_a_plain_up():
    decision = decide("prod", config(), config())
    assert (decision.mode, decision.commands) == ("up", [UP])


def test_a_first_deployment_is_a_plain_up():
    assert decide("prod", config(TARGET), None).commands == [UP]


def test_a_new_version_settles_the_rest_then_rolls_out_wave_by_wave():
    decision = decide("prod", config(TARGET), config(), waves="eu-west-1 us-east-1")
    assert decision.mode == "rollout"
    assert (decision.running, decision.version, decision.resume) == (RUNNING, TARGET, None)
    assert decision.commands == [
        UP,
        ["make", "rollout", "STACK=prod", f"VERSION={TARGET}", "WAVES=eu-west-1 us-east-1"],
    ]


def test_an_unfinished_rollout_is_resumed_with_its_own_waves():
    decision = decide("prod", config(TARGET), config(rollout=STOPPED_AT), waves="us-east-1")
    assert decision.mode == "rollout"
    assert decision.resume == STOPPED_AT
    assert decision.commands[-1] == ["make", "rollout", "STACK=prod", f"VERSION={TARGET}"]
    assert "resuming the rollout of 3.1.0: wave 2 of 3" in decision.reason


def test_main_naming_another_version_than_the_unfinished_rollout_is_refused():
    with pytest.raises(StackFileError, match=r"set it back to 3\.1\.0 to resume, or to 3\.0\.0"):
        decide("prod", config("3.2.0"), config(rollout=STOPPED_AT))


def test_a_rollout_key_on_main_is_refused():
    with pytest.raises(StackFileError, match="is set on main"):
        decide("prod", config(rollout=STOPPED_AT), config())


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """main's stack file at TARGET, in a scratch project."""
    path = tmp_path / "Pulumi.prod.yaml"
    shutil.copy(PROD_STACK_FILE, path)
    write_state(path, None, TARGET)
    return path


class Driver:
    """Stands in for make: records each command and the stack file it saw; `make rollout`
    finishes as the driver does (release.version set, the rollout key removed)."""

    def __init__(self, stack_file: Path, finish: bool = True, fail: str = "") -> None:
        self.stack_file, self.finish, self.fail = stack_file, finish, fail
        self.seen: list[tuple[list[str], str, RolloutState | None]] = []

    def __call__(self, command: Sequence[str]) -> int:
        current = load_config(self.stack_file)
        self.seen.append((list(command), release_version(current), read_rollout(current)))
        if command[1] == self.fail:
            return 1
        if command[1] == "rollout" and self.finish:
            write_state(self.stack_file, None, TARGET)
        return 0


def test_the_workspace_is_rewound_to_what_runs_and_ends_as_main(workspace):
    head = load_config(workspace)
    decision = decide("prod", head, config(rollout=STOPPED_AT))
    driver = Driver(workspace)
    assert run_decision(workspace, head, decision, driver) == 0
    # Both commands ran on the deployed version and rollout state.
    assert [(c[1], v, r) for c, v, r in driver.seen] == [
        ("up", RUNNING, STOPPED_AT),
        ("rollout", RUNNING, STOPPED_AT),
    ]
    assert load_config(workspace) == head


def test_a_failed_step_stops_the_deploy_with_its_code(workspace):
    head = load_config(workspace)
    driver = Driver(workspace, fail="up")
    assert run_decision(workspace, head, decide("prod", head, config()), driver) == 1
    assert [c[1] for c, _, _ in driver.seen] == ["up"]


def test_a_rollout_that_ends_elsewhere_than_main_fails(workspace):
    head = load_config(workspace)
    driver = Driver(workspace, finish=False)
    assert run_decision(workspace, head, decide("prod", head, config()), driver) == 1


def test_the_cli_prints_the_decision(tmp_path, capsys):
    deployed = tmp_path / "deployed.yaml"
    shutil.copy(PROD_STACK_FILE, deployed)
    write_state(deployed, STOPPED_AT, "2.9.0")
    assert main(["run", "--deployed", str(deployed), "--dry-run"]) == 2
    assert "main now names release.version 3.0.0" in capsys.readouterr().err
    write_state(deployed, None, "2.9.0")
    assert main(["run", "--deployed", str(deployed), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "prod: rollout (release.version 2.9.0 -> 3.0.0, wave by wave)" in out
    assert "would run: make rollout STACK=prod VERSION=3.0.0" in out
