"""The soak (operations/rollout/driver.py `_soak`, operations/health.py): it ends at the first
unhealthy reading and rolls the wave back then, not after `soakMinutes`; and an alarm that went into
ALARM during the step fails it even when it has cleared by the next reading."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

import boto3

from operations.aws_clients import AwsClients
from operations.health import HealthReader
from tests.rollout_driver.world import NEW, WAVES, World, put_alarm, step_of

EU = "eu-west-1"
EU_5XX = "erlmcp-prod-eu-west-1-5xx-rate"
Sleeps = list[tuple[tuple[int, int], float]]


def soak_that(world: World, on_sleep: Callable[[int], None]) -> tuple[Sleeps, Callable]:
    """The injected sleep: records (wave, canaryPods) and the seconds of every sleep, and calls
    `on_sleep` with the sleep's number (1-based) before it returns."""
    slept: Sleeps = []

    def sleep(seconds: float) -> None:
        rollout = world.config()["erlmcp-infra:rollout"]
        slept.append(((rollout["wave"], rollout["canaryPods"]), seconds))
        on_sleep(len(slept))

    return slept, sleep


def test_the_first_unhealthy_reading_ends_the_soak_and_rolls_back(world: World) -> None:
    def fire_at_first(number: int) -> None:
        if number == 1:
            world.alarm(EU, EU_5XX, "ALARM", "Threshold Crossed: 7 5xx responses in 1 minute")

    slept, sleep = soak_that(world, fire_at_first)
    original = world.stack_file.read_bytes()

    run = world.run("--to", NEW, "--waves", *WAVES, "--soak-minutes", "15", sleep=sleep)

    assert run.code == 1
    assert f"wave 1 canary (1 pod) failed: {EU} cloudwatch-alarm {EU_5XX}: UNHEALTHY" in run.err
    # One reading a minute: the first one, a minute into a 15-minute soak, ended it.
    assert slept == [((1, 1), 60.0)]
    assert [step_of(c) for c in world.engine_calls("up")] == [(1, 1), "none@3.0.0"]
    assert world.stack_file.read_bytes() == original


def test_an_alarm_that_fires_and_clears_between_two_readings_fails_the_step(world: World) -> None:
    cloudwatch = world.cloudwatch(EU)

    def flap_in_the_second_minute(number: int) -> None:
        if number == 2:
            reason = "Threshold Crossed: 9 5xx responses in 1 minute"
            cloudwatch.set_alarm_state(AlarmName=EU_5XX, StateValue="ALARM", StateReason=reason)
            cloudwatch.set_alarm_state(AlarmName=EU_5XX, StateValue="OK", StateReason="fine")

    slept, sleep = soak_that(world, flap_in_the_second_minute)

    run = world.run("--to", NEW, "--waves", *WAVES, "--soak-minutes", "15", sleep=sleep)

    assert run.code == 1
    assert f"wave 1 canary (1 pod) failed: {EU} cloudwatch-alarm {EU_5XX}: UNHEALTHY" in run.err
    assert "9 5xx responses in 1 minute" in run.err
    assert "cleared since" in run.err
    assert slept == [((1, 1), 60.0), ((1, 1), 60.0)]
    assert [step_of(c) for c in world.engine_calls("up")] == [(1, 1), "none@3.0.0"]


def test_alarm_history_counts_this_stacks_alarms_since_the_moment_given(
    moto_url: str, moto_reset: str, aws_session: boto3.session.Session, aws_clients: AwsClients
) -> None:
    region = "ca-central-1"
    reader = HealthReader("prod", endpoint_url=moto_url, session=aws_session)
    cloudwatch = aws_clients("cloudwatch", region)
    step_began = datetime.now(timezone.utc)
    flapped = ("erlmcp-prod-ca-central-1-5xx-rate", "erlmcp-staging-ca-central-1-5xx-rate")
    for name in (*flapped, "erlmcp-prod-ca-central-1-latency"):
        # Missing data is no fault: only a change into ALARM counts.
        put_alarm(cloudwatch, name, "ALARM" if name in flapped else "INSUFFICIENT_DATA", "5xx")
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="fine")

    def alarms(since: datetime | None) -> list[tuple[str, bool]]:
        report = reader.read([region], {region: None}, since=since)
        return [(s.name, s.healthy) for s in report.signals if s.kind == "cloudwatch-alarm"]

    # Another stack's alarm (erlmcp-staging-...) is not this stack's business.
    assert alarms(step_began) == [("erlmcp-prod-ca-central-1-5xx-rate", False)]
    assert alarms(datetime.now(timezone.utc)) == [("erlmcp-prod-ca-central-1*", True)]
    assert alarms(None) == [("erlmcp-prod-ca-central-1*", True)]  # the state now, as before
