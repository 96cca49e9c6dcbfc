"""The prod stack passes the whole pack, as an update and as a first preview."""

from __future__ import annotations

import pytest

from offline.policy_runner import (
    pack_analyzer,
    policy_table,
)
from offline.recorder import UNKNOWN
from offline.stacks import REPO_ROOT
from tests.recordings import pack_report, recorded_stack


def test_prod_stack_passes_the_whole_pack(prod_report):
    assert prod_report.diagnostics == [], prod_report.format()
    assert prod_report.passed and prod_report.exit_code == 0


def test_every_policy_of_the_pack_ran(prod_report):
    from erlmcp_policies import ALL_POLICIES

    levels = pack_analyzer().levels
    assert prod_report.policies == len(ALL_POLICIES) == len(levels)
    assert "disabled" not in levels.values()


def test_the_pack_has_resource_and_stack_policies():
    from erlmcp_policies import RESOURCE_POLICIES, STACK_POLICIES

    assert RESOURCE_POLICIES and STACK_POLICIES
    names = [p.name for p in (*RESOURCE_POLICIES, *STACK_POLICIES)]
    assert len(names) == len(set(names))


def test_every_policy_names_its_control():
    from erlmcp_policies import ALL_POLICIES

    for policy in ALL_POLICIES:
        assert policy.description.rstrip().endswith("]"), policy.name
        assert "[" in policy.description, policy.name


@pytest.fixture(scope="module")
def first_preview(prod_stack_config):
    """The prod stack as a first `pulumi preview` sees it: everything AWS assigns is unknown."""
    return recorded_stack(prod_stack_config, preview=True)


def test_first_preview_has_unknowns(first_preview):
    replica = first_preview.named("ap-northeast-1-standby-of-ap-southeast-1-postgres-db")
    assert replica.inputs["replicateSourceDb"] == UNKNOWN
    service = first_preview.named("us-east-1-erlmcp-service")
    assert service.outputs["status"] == UNKNOWN


def test_first_preview_has_no_mandatory_violation(first_preview, prod_stack_config):
    """No policy mistakes a value the engine does not know yet for a violation."""
    report = pack_report(first_preview, stack_config=prod_stack_config, preview=True)
    assert report.mandatory == [], report.format()
    assert report.passed


def test_readme_documents_every_policy_and_knob():
    """policies/README.md has the pack's table: level, control, config keys and defaults."""
    readme = (REPO_ROOT / "policies" / "README.md").read_text()
    assert policy_table() in readme, (
        "policies/README.md is out of date: paste the output of "
        "`python -m offline.policy_runner --list-policies` over its table"
    )
