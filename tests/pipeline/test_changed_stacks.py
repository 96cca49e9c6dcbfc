"""Which stacks a push to main changes (pipeline/changed_stacks.py)."""

from __future__ import annotations

import pytest

from pipeline.changed_stacks import NO_COMMIT, changed_files, changed_stacks, stack_names
from tests.pipeline.conftest import REPO_ROOT

STACKS = ["prod", "staging"]


@pytest.mark.parametrize(
    ("paths", "stacks"),
    [
        (["Pulumi.prod.yaml"], ["prod"]),
        (["Pulumi.staging.yaml", "README.md"], ["staging"]),
        (["components/eks.py"], STACKS),
        (["Pulumi.yaml"], STACKS),
        (["pyproject.toml", "Pulumi.prod.yaml"], STACKS),
        (["docs/x.md", "tests/test_x.py", ".github/workflows/deploy.yml"], []),
        (["bootstrap/Pulumi.state.yaml", "operations/rollout/driver.py", "planning/plan.py"], []),
        (["Pulumi.unknown.yaml"], []),
    ],
)
def test_a_stack_file_changes_its_stack_and_code_changes_all(paths, stacks):
    assert changed_stacks(paths, STACKS) == stacks


def test_the_projects_stacks_and_no_earlier_commit():
    assert stack_names(REPO_ROOT) == ["prod"]
    assert changed_files(NO_COMMIT, "HEAD") is None
    assert changed_files("", "HEAD") is None
