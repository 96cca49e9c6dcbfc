"""The canary judged by its metrics (operations/rollout/canary.py) as the driver runs, against the
stand-in Prometheus (prometheus_standin.py): a healthy canary passes; an erroring or slow canary, or
a page alert, rolls the wave back; a canary without traffic holds, then stops the rollout without
rolling back, and the same command resumes it; a workspace that fails holds. The other thresholds,
case by case: test_canary_judge.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.rollout_driver.prometheus_standin import NAMESPACE
from tests.rollout_driver.world import NEW, WAVES, World, step_of

EU = "eu-west-1"
OLD = "3.0.0"
CANARY_REVISION = "erlmcp-cluster-3-1-0"
STABLE_REVISION = "erlmcp-cluster-3-0-0"
Sleeps = list[tuple[tuple[int, int], float]]


def soak_until_wave_1_full(
    world: World, on_canary_sleep: Callable[[int], None] = lambda _: None
) -> tuple[Sleeps, Callable[[float], None]]:
    """The injected sleep: records (wave, canaryPods) and the seconds of each sleep, calls
    `on_canary_sleep` with the number of each sleep of wave 1's canary (1-based) before it
    returns, and interrupts the driver in wave 1's full soak: past the canary, the test is over."""
    slept: Sleeps = []

    def sleep(seconds: float) -> None:
        rollout = world.config()["erlmcp-infra:rollout"]
        step = (rollout["wave"], rollout["canaryPods"])
        if step == (1, 0):
            raise KeyboardInterrupt
        slept.append((step, seconds))
        assert len(slept) < 20, "the soak does not end"
        on_canary_sleep(len(slept))

    return slept, sleep


def hold_minutes(world: World, minutes: int) -> None:
    text = world.stack_file.read_text()
    assert "      holdMinutes: 30 " in text
    world.stack_file.write_text(text.replace("holdMinutes: 30 ", f"holdMinutes: {minutes} "))


def test_a_healthy_canary_passes_on_its_metrics(world: World) -> None:
    slept, sleep = soak_until_wave_1_full(world)

    run = world.run("--to", NEW, "--waves", *WAVES, "--soak-minutes", "1", sleep=sleep)

    assert run.code == 130, run.err  # interrupted in wave 1's full soak: the canary passed
    assert slept == [((1, 1), 60.0)]
    log = world.log_file.read_text()
    assert (
        f"{EU} canary-metrics {CANARY_REVISION}: healthy (canary: 1000 requests, 0.10 % 5xx, "
        "100.00 % within the P99 limit, restarts 0; stable pods: 1000 requests, 0.10 % 5xx)" in log
    )
    assert f"{EU} burn-alerts severity=page: healthy (no page alert firing)" in log
    assert "wave 1 canary (1 pod): DECISION healthy, go on" in log
    seen = world.prometheus.seen
    assert seen and all(s.refused is None for s in seen)  # every request signed, understood
    queries = {s.query for s in seen if s.region == EU and s.query}
    for revision in (CANARY_REVISION, STABLE_REVISION):
        pods = f'{{namespace="{NAMESPACE}",controller_revision_hash="{revision}"}}'
        assert f"sum(increase(erlmcp_responses_total{pods}[5m]))" in queries
    assert {s.region for s in seen} == {EU}  # only the wave's workspace


@pytest.mark.parametrize(
    ("script", "alerts", "failure"),
    [
        (
            {"requests": 1000, "errors": 120},
            [],
            f"{EU} canary-metrics {CANARY_REVISION}: UNHEALTHY (canary error ratio 12.00 % "
            "over 5 min > maxErrorRatio 5.00 %",
        ),
        (
            {"slow": 20},
            [],
            f"{EU} canary-metrics {CANARY_REVISION}: UNHEALTHY (canary P99 over 5 min > "
            "maxP99Seconds 10 s: only 98.00 % of its requests within 10 s",
        ),
        (
            {},
            [
                {
                    "labels": {
                        "alertname": "ErrorBudgetBurn",
                        "severity": "page",
                        "slo": "availability",
                    },
                    "state": "firing",
                },
                {"labels": {"alertname": "SlowBurn", "severity": "ticket"}, "state": "firing"},
                {"labels": {"alertname": "Coming", "severity": "page"}, "state": "pending"},
            ],
            f"{EU} burn-alerts severity=page: UNHEALTHY (firing: ErrorBudgetBurn "
            "(slo availability))",
        ),
    ],
    ids=["erroring", "slow", "page-alert"],
)
def test_a_bad_canary_rolls_the_wave_back(
    world: World, script: dict[str, Any], alerts: list[dict[str, Any]], failure: str
) -> None:
    def go_bad(number: int) -> None:
        if number == 1:  # the canary is up: from now on its pods misbehave
            world.prometheus.set(EU, NEW, **script)
            world.prometheus.alerts[EU] = alerts

    slept, sleep = soak_until_wave_1_full(world, go_bad)
    original = world.stack_file.read_bytes()

    run = world.run("--to", NEW, "--waves", *WAVES, "--soak-minutes", "15", sleep=sleep)

    assert run.code == 1
    assert "wave 1 canary (1 pod) failed" in run.err
    assert failure in run.err
    assert slept == [((1, 1), 60.0)]  # the first bad reading ends the soak
    assert [step_of(c) for c in world.engine_calls("up")] == [(1, 1), f"none@{OLD}"]
    assert world.stack_file.read_bytes() == original


def test_a_canary_without_traffic_holds_then_stops_without_rolling_back(world: World) -> None:
    hold_minutes(world, 2)
    world.prometheus.set(EU, NEW, requests=0, errors=0)
    slept, sleep = soak_until_wave_1_full(world)

    run = world.run("--to", NEW, "--waves", *WAVES, "--soak-minutes", "1", sleep=sleep)

    assert run.code == 1
    # The soak's minute, then a reading a minute until two minutes of holding.
    assert slept == [((1, 1), 60.0)] * 3
    assert (
        f"{EU} canary-metrics {CANARY_REVISION}: HOLD (too little traffic to judge: 0 canary "
        "requests in 5 min, minRequests 100" in run.out
    )
    assert "wave 1 canary (1 pod): HOLD, the canary cannot be judged yet" in run.out
    assert "wave 1 canary (1 pod) held 2 min without a verdict" in run.err
    assert (
        "Nothing was rolled back: Pulumi.prod.yaml still says rollout of 3.1.0: wave 1 of 3, "
        "canaryPods 1" in run.err
    )
    assert [step_of(c) for c in world.engine_calls("up")] == [(1, 1)]  # no rollback
    assert world.config()["erlmcp-infra:rollout"]["canaryPods"] == 1
    assert "DECISION stop without rollback" in world.log_file.read_text()

    # Traffic reaches the canary: the same command resumes the step, which now passes.
    world.prometheus.set(EU, NEW)
    calls = len(world.calls())
    _, sleep = soak_until_wave_1_full(world)

    again = world.run("--to", NEW, sleep=sleep)

    assert again.code == 130, again.err  # in wave 1's full soak
    ups = [step_of(c) for c in world.calls()[calls:] if c["args"][0] == "up"]
    assert ups == [(1, 1), (1, 0)]


def test_a_workspace_that_fails_holds_the_step(world: World) -> None:
    def fail_for_one_reading(number: int) -> None:
        if number == 1:
            world.prometheus.failing.add(EU)
        else:
            world.prometheus.failing.clear()

    slept, sleep = soak_until_wave_1_full(world, fail_for_one_reading)

    run = world.run("--to", NEW, "--waves", *WAVES, "--soak-minutes", "1", sleep=sleep)

    assert run.code == 130, run.err  # no rollback: the canary passed once it could be judged
    assert slept == [((1, 1), 60.0), ((1, 1), 60.0)]
    held = f"{EU} canary-metrics {CANARY_REVISION}: HOLD (the workspace did not answer: HTTP 503"
    assert held in run.out
    log = world.log_file.read_text()
    assert "wave 1 canary (1 pod): health: HOLD" in log
    assert "wave 1 canary (1 pod): judged again: healthy" in log
    assert [step_of(c) for c in world.engine_calls("up")] == [(1, 1), (1, 0)]


def test_a_workspace_that_fails_before_the_wave_stops_it_unchanged(world: World) -> None:
    world.prometheus.failing.add(EU)
    original = world.stack_file.read_bytes()

    run = world.run("--to", NEW, "--waves", *WAVES)

    assert run.code == 1
    assert "wave 1 (eu-west-1) is unhealthy before the rollout touches it" in run.err
    assert f"{EU} burn-alerts severity=page: HOLD (the workspace did not answer" in run.err
    assert world.engine_calls("preview") == [] and world.engine_calls("up") == []
    assert world.stack_file.read_bytes() == original


def test_a_p99_limit_that_no_bucket_can_count_is_refused_with_nothing_changed(
    world_without_aws: World,
) -> None:
    text = world_without_aws.stack_file.read_text()
    assert "      maxP99Seconds: 10\n" in text
    world_without_aws.stack_file.write_text(
        text.replace("maxP99Seconds: 10\n", "maxP99Seconds: 7\n")
    )
    original = world_without_aws.stack_file.read_bytes()

    run = world_without_aws.run("--to", NEW, "--waves", *WAVES)

    assert run.code == 2
    assert "observability.canary.maxP99Seconds 7 is no bucket bound" in run.err
    assert world_without_aws.stack_file.read_bytes() == original
    assert world_without_aws.calls() == []
