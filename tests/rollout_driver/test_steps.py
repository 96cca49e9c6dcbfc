"""`python -m operations.rollout`, step by step: a healthy rollout to the end, an unhealthy canary
rolled back, an interruption resumed, a failed `up`, a change outside the wave, bad input, and what
the health readings make of each answer (world.py: the stand-in CLI and moto)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from operations.health import HealthReader
from tests.rollout_driver.world import (
    FILE_CLI,
    NEW,
    STREAMING_CLI,
    STS,
    WAVES,
    World,
    step_of,
)


def test_healthy_rollout_goes_through_every_wave_to_the_end(world: World) -> None:
    world.scenario(version=STREAMING_CLI)
    original = world.stack_file.read_text()

    run = world.run("--to", NEW, "--waves", *WAVES, "--soak-minutes", "1")

    assert run.code == 0, run.err
    assert f"Rolled out {NEW}" in run.out
    # The file ends as a plain release of the new version, every comment where it was.
    assert world.stack_file.read_text() == original.replace(
        "    version: 3.0.0\n", f"    version: {NEW}\n", 1
    )
    ups = world.engine_calls("up")
    assert [step_of(c) for c in ups] == [
        (1, 1),
        (1, 0),
        (2, 1),
        (2, 0),
        (3, 1),
        (3, 0),
        f"none@{NEW}",
    ]
    # Each preview ran against the step the up then applied, and changed only what it should.
    previews = world.engine_calls("preview")
    assert [step_of(c) for c in previews] == [step_of(c) for c in ups]
    standby = "{}-standby-of-{}-erlmcp-statefulset"
    assert [sorted(c["changed"]) for c in previews] == [
        [STS.format("eu-west-1")],
        [standby.format("eu-central-1", "eu-west-1"), STS.format("eu-west-1")],
        [STS.format("ap-northeast-1"), STS.format("ap-southeast-1")],
        sorted(
            [
                STS.format("ap-northeast-1"),
                STS.format("ap-southeast-1"),
                standby.format("ap-northeast-1", "ap-southeast-1"),
                standby.format("ap-southeast-1", "ap-northeast-1"),
            ]
        ),
        [STS.format("us-east-1")],
        [STS.format("us-east-1"), standby.format("us-west-2", "us-east-1")],
        [],
    ]
    assert all(version == [NEW, 0] for version in world.deployed().values())
    log = world.log_file.read_text()
    for expected in (
        "wave 1 canary (1 pod): wrote Pulumi.prod.yaml: rollout of 3.1.0: wave 1 of 3, "
        "canaryPods 1",
        f"update urn:pulumi:prod::erlmcp-infra::erlmcp:regions:Region$erlmcp:components:"
        f"ErlmcpRelease$kubernetes:apps/v1:StatefulSet::{STS.format('eu-west-1')}",
        "up result 'succeeded'",
        "cloudwatch-alarm erlmcp-prod-eu-west-1*: healthy (no alarm in ALARM)",
        "route53-health-check",
        "DECISION healthy, go on",
        f"finish: DECISION done: the fleet runs {NEW}",
    ):
        assert expected in log
    assert "erlmcp-staging" not in log


def test_unhealthy_canary_rolls_the_wave_back_and_stops(world: World) -> None:
    snapshots: dict[Any, bytes] = {}

    def soak(_: float) -> None:
        rollout = world.config().get("erlmcp-infra:rollout")
        snapshots[(rollout["wave"], rollout["canaryPods"])] = world.stack_file.read_bytes()
        if (rollout["wave"], rollout["canaryPods"]) == (2, 1):
            world.alarm(
                "ap-northeast-1",
                "erlmcp-prod-ap-northeast-1-5xx-rate",
                "ALARM",
                "Threshold Crossed: 12 5xx responses in 1 minute",
            )

    run = world.run("--to", NEW, "--waves", *WAVES, "--soak-minutes", "1", sleep=soak)

    assert run.code == 1
    assert "wave 2 canary (1 pod) failed" in run.err
    assert "erlmcp-prod-ap-northeast-1-5xx-rate" in run.err
    assert "Threshold Crossed: 12 5xx responses" in run.err
    # Back where the previous step left it: wave 1 done, wave 2 not begun.
    assert world.stack_file.read_bytes() == snapshots[(1, 0)]
    ups = world.engine_calls("up")
    assert [step_of(c) for c in ups] == [(1, 1), (1, 0), (2, 1), (1, 0)]
    deployed = world.deployed()
    assert deployed[STS.format("eu-west-1")] == [NEW, 0]
    for region in ("ap-southeast-1", "ap-northeast-1", "us-east-1"):
        assert deployed[STS.format(region)] == ["3.0.0", 0]
    log = world.log_file.read_text()
    assert "DECISION roll wave 2 back" in log
    assert "after the rollback" in log


def test_interrupted_rollout_resumes_at_the_wave_it_stopped_in(world: World) -> None:
    # Two waves keep it short.
    def interrupt_in_wave_2(_: float) -> None:
        if world.config()["erlmcp-infra:rollout"]["wave"] == 2:
            raise KeyboardInterrupt

    waves = ["eu-west-1", "ap-southeast-1,ap-northeast-1,us-east-1"]
    first = world.run(
        "--to", NEW, "--waves", *waves, "--soak-minutes", "1", sleep=interrupt_in_wave_2
    )

    assert first.code == 130
    assert "run the same command again to resume" in first.err
    assert world.config()["erlmcp-infra:rollout"]["wave"] == 2
    calls_before = len(world.calls())

    second = world.run("--to", NEW)

    assert second.code == 0, second.err
    resumed = world.calls()[calls_before:]
    ups = [step_of(c) for c in resumed if c["args"][0] == "up"]
    assert ups == [(2, 1), (2, 0), f"none@{NEW}"]
    assert not any(c.get("rollout") and c["rollout"]["wave"] == 1 for c in resumed)
    # The canary that was up when the driver stopped is redone. Its live read refreshes the
    # partitioned StatefulSets, which pulumi-kubernetes' read await calls not initialized: the
    # engine records init errors and the redone canary's `up` updates them again, to the same.
    assert next(c["changed"] for c in resumed if c["args"][0] == "preview") == [
        STS.format(region) for region in ("ap-northeast-1", "ap-southeast-1", "us-east-1")
    ]
    assert "erlmcp-infra:rollout" not in world.config()
    assert "resuming: rollout of 3.1.0: wave 2 of 2, canaryPods 1" in world.log_file.read_text()


def test_failed_canary_update_rolls_the_wave_back(world: World) -> None:
    """pulumi-kubernetes fails the update when the canary's pods do not become Ready in time."""
    world.scenario(fail_up=[{"wave": 1, "canaryPods": 1}])
    original = world.stack_file.read_bytes()

    run = world.run("--to", NEW, "--waves", *WAVES)

    assert run.code == 1
    assert "wave 1 canary (1 pod) failed: `pulumi up` failed: error: update failed" in run.err
    assert world.stack_file.read_bytes() == original
    assert [step_of(c) for c in world.engine_calls("up")] == [(1, 1), "none@3.0.0"]
    assert "up: FAILED urn:pulumi:prod" in world.log_file.read_text()


RELEASE_URN = (
    "urn:pulumi:prod::erlmcp-infra::erlmcp:regions:Region$erlmcp:components:ErlmcpRelease"
    "$kubernetes:apps/v1:StatefulSet::{}"
)
US_FIRST = ["us-east-1", "eu-west-1", "ap-southeast-1,ap-northeast-1"]


@pytest.mark.parametrize(
    ("cli", "waves", "name", "op"),
    [
        (STREAMING_CLI, WAVES, STS.format("us-east-1"), "update"),
        # The issue's case: us-east-1's canary may not move its standby release in us-west-2,
        # which follows the primary only at the full step.
        (FILE_CLI, US_FIRST, "us-west-2-standby-of-us-east-1-erlmcp-statefulset", "update"),
        # A replacement would restart every pod of the canary's region at once.
        (FILE_CLI, WAVES, STS.format("eu-west-1"), "replace"),
    ],
    ids=["another-waves-release", "standby-of-the-canarys-primary", "canary-replaced"],
)
def test_change_outside_the_canary_stops_before_up(
    world: World, cli: str, waves: list[str], name: str, op: str
) -> None:
    """Both event transports (gRPC, the event-log file) carry the refusal."""
    outside = RELEASE_URN.format(name)
    world.scenario(
        version=cli,
        extra_changes=[
            {
                "when": {"wave": 1, "canaryPods": 1},
                "urn": outside,
                "type": "kubernetes:apps/v1:StatefulSet",
                "op": op,
            }
        ],
    )
    original = world.stack_file.read_bytes()

    run = world.run("--to", NEW, "--waves", *waves)

    assert run.code == 1
    assert "stopped before `pulumi up`" in run.err
    assert f"{op} {outside}" in run.err
    assert world.engine_calls("up") == []
    assert len(world.engine_calls("preview")) == 1
    assert world.stack_file.read_bytes() == original


IN_PROGRESS = (
    "  erlmcp-infra:rollout:\n    version: 3.1.0\n    waves: [[eu-west-1], [ap-southeast-1, "
    "ap-northeast-1], [us-east-1]]\n    wave: 2\n    canaryPods: 1\n    soakMinutes: 15\n"
)


@pytest.mark.parametrize(
    ("args", "in_progress", "message"),
    [
        (["--to", "3.2.0"], False, "imageDigests has no digest for 3.2.0"),
        (["--to", "3.2.0"], True, "a rollout of 3.1.0 is in progress (rollout of 3.1.0: wave 2"),
        (
            ["--to", NEW, "--waves", "eu-west-1", "mars-east-1,us-east-1"],
            False,
            "unknown region in the waves: mars-east-1 (the regions of Pulumi.prod.yaml: us-east-1",
        ),
        (["--to", NEW, "--waves", "us-east-1"], True, "differs from the waves of the rollout"),
        (
            ["--to", NEW, "--waves", "eu-west-1", "us-west-2"],
            False,
            "us-west-2 is a standby: its standby releases follow their primaries",
        ),
    ],
    ids=["no-digest", "other-version-in-progress", "unknown-region", "other-waves", "standby"],
)
def test_bad_input_is_refused_with_nothing_changed(
    world_without_aws: World, args: list[str], in_progress: bool, message: str
) -> None:
    if in_progress:
        with world_without_aws.stack_file.open("a") as stream:
            stream.write(IN_PROGRESS)
    original = world_without_aws.stack_file.read_bytes()

    run = world_without_aws.run(*args)

    assert run.code == 2
    assert message in run.err
    assert "Nothing was changed." in run.err
    assert world_without_aws.stack_file.read_bytes() == original
    assert world_without_aws.calls() == []


def test_health_signals(moto_url: str, aws_session: boto3.session.Session) -> None:
    """What each kind of reading makes of an answer: a failing checker, an unreadable check,
    a missing id."""
    reader = HealthReader("prod", endpoint_url=moto_url, session=aws_session)
    route53 = reader._client("route53", "us-east-1")
    with Stubber(route53) as stub:  # type: ignore[arg-type]
        stub.add_response(
            "get_health_check_status",
            {
                "HealthCheckObservations": [
                    {"Region": "us-east-1", "StatusReport": {"Status": "Success: HTTP 200"}},
                    {"Region": "eu-west-1", "StatusReport": {"Status": "Failure: HTTP 503"}},
                ]
            },
            {"HealthCheckId": "abc"},
        )
        failing = reader.read(["eu-west-1"], {"eu-west-1": "abc"})
    [check] = [s for s in failing.signals if s.kind == "route53-health-check"]
    assert not failing.healthy
    assert "1 of 2 checkers report a failure, e.g. eu-west-1: Failure: HTTP 503" in check.detail

    unreadable = reader.read(["eu-west-1", "us-east-1"], {"eu-west-1": "no-such-check"})
    details = {s.region: s.detail for s in unreadable.failing}
    assert "could not be read" in details["eu-west-1"]
    assert details["us-east-1"] == "no healthCheckId in the stack outputs"
