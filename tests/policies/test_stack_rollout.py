"""rollout-waves-in-order, rollout-at-most-two-versions and rollout-canary-at-most-half on
prod's 3.0.0 -> 3.1.0 rollout (the renders tests/test_rollout.py shares) and broken copies."""

from __future__ import annotations

import copy

import pytest

from offline.policy_runner import stack_policy_config
from tests.policies.conftest import messages, set_property
from tests.recordings import recorded_stack
from tests.test_rollout import canary_config, rollout_config

ORDER = "rollout-waves-in-order"
VERSIONS = "rollout-at-most-two-versions"
HALF = "rollout-canary-at-most-half"
ALL = [ORDER, VERSIONS, HALF]
TEMPLATE_VERSION = "spec.template.metadata.labels.app\\.kubernetes\\.io/version"


@pytest.fixture(scope="module")
def canary():
    config = canary_config()
    return config, recorded_stack(config)


def run(analyze_stack, config, stack, policies=ALL):
    """The named policies, with the config `--print-policy-config` derives for them."""
    pack_config = {k: v for k, v in stack_policy_config(config).items() if k in policies}
    return analyze_stack(stack, pack_config, policies=policies)


def _set_version(stack, name: str, version: str) -> None:
    resource = stack.named(name)
    for props in (resource.inputs, resource.outputs):
        props["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/version"] = version


def test_a_rollout_at_its_canary_passes(analyze_stack, canary):
    config, stack = canary
    assert messages(run(analyze_stack, config, stack)) == []


def test_prod_without_a_rollout_passes(analyze_stack, prod_stack):
    assert messages(run(analyze_stack, rollout_config(None), prod_stack)) == []


def test_a_later_wave_ahead_of_an_earlier_one_is_a_violation(analyze_stack, canary):
    config, stack = canary
    broken = copy.deepcopy(stack)
    _set_version(broken, "us-east-1-erlmcp-statefulset", "3.1.0")  # wave 3 jumps ahead
    _set_version(broken, "eu-west-1-erlmcp-statefulset", "3.0.0")  # wave 1 not there yet
    found = messages(run(analyze_stack, config, broken, [ORDER]), ORDER)
    assert found and found[0].startswith("us-east-1-erlmcp-statefulset runs 3.1.0 (wave 3)")


def test_a_canary_pod_counts_as_running_the_new_version(analyze_stack, canary):
    # Wave 2 may follow a wave 1 that runs 3.1.0 on its canary ordinal only.
    config, stack = canary
    broken = copy.deepcopy(stack)
    _set_version(broken, "ap-southeast-1-erlmcp-statefulset", "3.0.0")
    assert messages(run(analyze_stack, config, broken, [ORDER]), ORDER) == []


def test_a_third_version_is_a_violation(analyze_stack, canary):
    config, stack = canary
    broken = copy.deepcopy(stack)
    _set_version(broken, "ap-northeast-1-erlmcp-statefulset", "2.9.0")
    [message] = messages(run(analyze_stack, config, broken, [VERSIONS]), VERSIONS)
    assert message.startswith("The fleet runs 3 erlmcp versions (2.9.0, 3.0.0, 3.1.0)")


def test_a_canary_of_more_than_half_a_region_is_a_violation(analyze_stack, canary):
    config, stack = canary
    broken = copy.deepcopy(stack)
    set_property(
        broken, "us-east-1-erlmcp-statefulset", "spec.updateStrategy.rollingUpdate.partition", 1
    )
    [message] = messages(run(analyze_stack, config, broken, [HALF]), HALF)
    assert message == (
        "us-east-1-erlmcp-statefulset: the canary takes 2 of 3 pods (partition 1), more than "
        "half the region."
    )
