"""The canary sized on the pods the HPA runs: the driver reads each wave's live StatefulSets
(operations/live.py) before the canary, writes `rollout.livePods`, and the soak reads every pod
Ready and the canary's pods still on the new version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.rollout_driver.world import (
    NEW,
    STS,
    WAVES,
    World,
    step_of,
)

EU = "eu-west-1"
EU_STS_URN = (
    "urn:pulumi:prod::erlmcp-infra::erlmcp:regions:Region$erlmcp:components:ErlmcpRelease"
    f"$kubernetes:apps/v1:StatefulSet::{STS.format(EU)}"
)


def stop_in_wave_1_full_soak(world: World) -> Callable[[float], None]:
    """A soak that interrupts the driver once wave 1's full step is up: the test is about it."""

    def soak(_: float) -> None:
        rollout = world.config()["erlmcp-infra:rollout"]
        if (rollout["wave"], rollout["canaryPods"]) == (1, 0):
            raise KeyboardInterrupt

    return soak


def test_canary_partition_follows_the_pods_the_hpa_runs(world: World) -> None:
    """eu-west-1 is configured with 2 pods and its HPA runs 5: the canary's partition is 4."""
    world.scenario(live_pods={EU: 5})

    run = world.run(
        "--to", NEW, "--waves", *WAVES, "--soak-minutes", "1", sleep=stop_in_wave_1_full_soak(world)
    )

    assert run.code == 130, run.err  # interrupted in wave 1's full soak, as asked
    ups = world.engine_calls("up")
    assert [c["rollout"] for c in ups] == [
        {
            "version": NEW,
            "waves": [["eu-west-1"], ["ap-southeast-1", "ap-northeast-1"], ["us-east-1"]],
            "wave": 1,
            "canaryPods": 1,
            "soakMinutes": 1,
            "livePods": {EU: 5},
        },
        {
            "version": NEW,
            "waves": [["eu-west-1"], ["ap-southeast-1", "ap-northeast-1"], ["us-east-1"]],
            "wave": 1,
            "canaryPods": 0,
            "soakMinutes": 1,
        },
    ]
    calls = world.calls()
    first_refresh = next(i for i, c in enumerate(calls) if c["args"][0] == "refresh")
    first_preview = next(i for i, c in enumerate(calls) if c["args"][0] == "preview")
    assert first_refresh < first_preview  # read before the step was written
    assert calls[first_refresh]["args"].count("--target") == 1
    assert EU_STS_URN in calls[first_refresh]["args"]
    # The state is read with its secrets left encrypted.
    exports = [c["args"] for c in calls if c["args"][:2] == ["stack", "export"]]
    assert exports and all("--show-secrets" not in args for args in exports)
    log = world.log_file.read_text()
    assert "wave 1 canary (1 pod): live pods: eu-west-1 5" in log
    assert (
        "statefulset eu-west-1-erlmcp-statefulset: healthy (5/5 Ready, 5 available, "
        "1 on the template's revision (partition 4))" in log
    )
    assert world.deployed()[STS.format(EU)] == [NEW, 0]


@pytest.mark.parametrize(
    ("cluster", "signal"),
    [
        (
            {"live_pods": {EU: 1}},
            "no pod runs the new version any more (the HPA scaled the region to 1, at or under "
            "the partition 1)",
        ),
        ({"unready": {EU: 1}}, "not every pod is Ready: 1/2 Ready"),
    ],
    ids=["hpa-scaled-the-canary-away", "pod-not-ready"],
)
def test_canary_pods_gone_or_not_ready_in_the_soak_roll_the_wave_back(
    world: World, cluster: dict[str, Any], signal: str
) -> None:
    def soak(_: float) -> None:
        if world.config()["erlmcp-infra:rollout"]["canaryPods"] == 1:
            world.scenario(**cluster)

    original = world.stack_file.read_bytes()

    run = world.run("--to", NEW, "--waves", *WAVES, "--soak-minutes", "1", sleep=soak)

    assert run.code == 1
    assert "wave 1 canary (1 pod) failed" in run.err
    assert f"eu-west-1 statefulset eu-west-1-erlmcp-statefulset: UNHEALTHY ({signal}" in run.err
    assert world.stack_file.read_bytes() == original
    assert [step_of(c) for c in world.engine_calls("up")] == [(1, 1), "none@3.0.0"]


def test_a_live_count_the_program_refuses_stops_before_anything_is_written(world: World) -> None:
    """The HPA's floor is 2; a region running 1 pod is not what the stack file describes."""
    world.scenario(live_pods={EU: 1})
    original = world.stack_file.read_bytes()

    run = world.run("--to", NEW, "--waves", *WAVES)

    assert run.code == 1
    assert "wave 1 canary (1 pod) cannot start on the pods the cluster runs" in run.err
    assert "erlmcp-infra:rollout.livePods.eu-west-1" in run.err
    assert world.stack_file.read_bytes() == original
    assert world.engine_calls("preview") == [] and world.engine_calls("up") == []
