"""The canary's thresholds (operations/rollout/canary.py `judge`) case by case, a region's reading
through the stand-in Prometheus (worse than the stable pods, crash-looping, a full step), and the
signed reads of a workspace (operations/rollout/prometheus.py)."""

from __future__ import annotations

import re
import socket

import boto3
import pytest

from operations.live import LiveRelease
from operations.rollout.canary import FAIL, HOLD, PASS, CanaryJudge, Reading, Traffic, judge
from operations.rollout.canary_metrics import check_p99_limit, latency_le_regex
from operations.rollout.prometheus import PrometheusError, PrometheusReader, prometheus_endpoints
from regions.config.observability import CanaryConfig
from tests.rollout_driver.prometheus_standin import StandinPrometheus

LIMITS = CanaryConfig()  # maxErrorRatio 5 %, maxP99Seconds 10, 2 x stable above 1 %, ...
# The credentials the stand-in checks signatures with (tests/moto_server.py).
SIGNED = boto3.session.Session(
    aws_access_key_id="testing", aws_secret_access_key="testing", aws_session_token="testing"
)


def reading(
    requests: float = 1000,
    errors: float = 0,
    within: float | None = 1.0,
    restarts: float | None = 0,
    stable: tuple[float, float] | None = (1000, 0),
) -> Reading:
    return Reading(
        canary=Traffic(requests, errors),
        within_p99_limit=within,
        restarts=restarts,
        stable=Traffic(*stable) if stable else None,
    )


@pytest.mark.parametrize(
    ("measured", "outcome", "reason"),
    [
        (reading(errors=5), PASS, None),
        (reading(errors=50, stable=(1000, 40)), PASS, None),  # 5 % is not over 5 %
        (reading(errors=51, stable=(1000, 40)), FAIL, "canary error ratio 5.10 % over 5 min"),
        (reading(within=0.99), PASS, None),  # P99 at the limit, not over it
        (reading(within=0.989), FAIL, "only 98.90 % of its requests within 10 s"),
        (reading(within=None), HOLD, "no latency for the canary's pods"),
        (reading(errors=15, stable=(1000, 5)), FAIL, "> 2 x the stable pods' 0.50 %"),
        (reading(errors=8, stable=(1000, 1)), PASS, None),  # 8x the stable, under the floor
        (reading(errors=30, stable=(1000, 20)), PASS, None),  # 1.5x the stable pods'
        (reading(errors=30, stable=None), PASS, None),  # a full step: nothing to compare with
        (reading(requests=99, errors=99), HOLD, "99 canary requests in 5 min, minRequests 100"),
        (reading(requests=0, restarts=3), FAIL, "restarted 3 times (maxRestarts 2)"),
        (reading(restarts=2), PASS, None),
        (reading(restarts=None), HOLD, "no restart count"),
        (reading(errors=60, restarts=None), FAIL, "canary error ratio 6.00 %"),
    ],
)
def test_judge(measured: Reading, outcome: str, reason: str | None) -> None:
    verdict = judge(measured, LIMITS)
    assert verdict.outcome == outcome
    if reason is None:
        assert verdict.reasons == ()
    else:
        assert any(reason in text for text in verdict.reasons), verdict.reasons


def test_thresholds_come_from_the_config() -> None:
    strict = CanaryConfig(max_error_ratio=0.01, min_requests=10, max_restarts=0)
    assert judge(reading(errors=20), strict).outcome == FAIL
    assert judge(reading(restarts=1), strict).outcome == FAIL
    assert judge(reading(requests=20), strict).outcome == PASS


def release(current: str, update: str) -> LiveRelease:
    return LiveRelease(
        region="eu-west-1",
        replicas=5,
        partition=4,
        ready=5,
        available=5,
        updated=1,
        namespace="erlmcp-prod",
        current_revision=current,
        update_revision=update,
    )


CANARY_STEP = release("erlmcp-cluster-3-0-0", "erlmcp-cluster-3-1-0")
FULL_STEP = release("erlmcp-cluster-3-1-0", "erlmcp-cluster-3-1-0")


@pytest.mark.parametrize(
    ("live", "canary", "stable", "healthy", "detail"),
    [
        (
            CANARY_STEP,
            {"requests": 1000, "errors": 30},
            {"requests": 4000, "errors": 4},
            False,
            "canary error ratio 3.00 % > 2 x the stable pods' 0.10 % and > errorRatioFloor "
            "1.00 %; canary: 1000 requests, 3.00 % 5xx, 100.00 % within the P99 limit, "
            "restarts 0; stable pods: 4000 requests, 0.10 % 5xx",
        ),
        (
            CANARY_STEP,
            {"restarts": 3},
            {},
            False,
            "a canary pod restarted 3 times (maxRestarts 2)",
        ),
        (
            FULL_STEP,
            {"requests": 1000, "errors": 30},
            {"requests": 1000, "errors": 1},
            True,
            "canary: 1000 requests, 3.00 % 5xx, 100.00 % within the P99 limit, restarts 0; "
            "no stable pods to compare with",
        ),
        (
            CANARY_STEP,
            {"timed": False},
            {},
            None,
            "no latency for the canary's pods (no duration histogram); canary: 1000 requests, "
            "0.10 % 5xx, latency ?",
        ),
    ],
    ids=["worse-than-stable", "crash-looping", "full-step", "no-histogram"],
)
def test_a_regions_reading(
    prometheus: StandinPrometheus,
    live: LiveRelease,
    canary: dict[str, float],
    stable: dict[str, float],
    healthy: bool | None,
    detail: str,
) -> None:
    """`healthy` None: the reading holds."""
    prometheus.set("eu-west-1", "3.1.0", **canary)
    prometheus.set("eu-west-1", "3.0.0", **stable)
    judge_ = CanaryJudge(LIMITS, PrometheusReader(SIGNED))

    signal = judge_.canary("eu-west-1", prometheus.endpoint("eu-west-1"), live)

    assert (signal.kind, signal.name) == ("canary-metrics", live.update_revision)
    assert (signal.healthy, signal.hold) == (bool(healthy), healthy is None)
    assert detail in signal.detail
    assert all(seen.refused is None for seen in prometheus.seen)


QUERY = (
    'max(sum by (namespace, pod) (kube_pod_container_status_restarts_total{namespace="erlmcp-prod"}'
    " * on (namespace, pod) group_left() max by (namespace, pod) (kube_pod_labels{"
    'namespace="erlmcp-prod",label_controller_revision_hash="erlmcp-cluster-3-1-0"})))'
)


def test_a_query_is_signed_for_aps_as_it_is_sent(prometheus: StandinPrometheus) -> None:
    """Spaces, quotes, braces and parentheses in the query: signed as SigV4 wants it encoded,
    and sent so."""
    prometheus.set("eu-west-1", "3.1.0", restarts=4)
    reader = PrometheusReader(SIGNED)

    assert reader.query(prometheus.endpoint("eu-west-1"), "eu-west-1", QUERY) == [({}, 4.0)]
    assert reader.alerts(prometheus.endpoint("eu-west-1"), "eu-west-1") == []
    assert [(s.api, s.refused) for s in prometheus.seen] == [("query", None), ("alerts", None)]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("other-credentials", "HTTP 403"),
        ("other-region", "HTTP 403"),
        ("failing", "HTTP 503"),
        ("unknown-query", "HTTP 400"),
        ("nobody-listening", "did not answer"),
    ],
)
def test_no_usable_answer_raises(prometheus: StandinPrometheus, case: str, message: str) -> None:
    session, region, query = SIGNED, "eu-west-1", QUERY
    endpoint = prometheus.endpoint(region)
    if case == "other-credentials":
        session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="y")
    elif case == "other-region":
        region = "us-east-1"  # signed for us-east-1, sent to eu-west-1's workspace
    elif case == "failing":
        prometheus.failing.add("eu-west-1")
    elif case == "unknown-query":
        query = "up"
    else:
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            endpoint = f"http://127.0.0.1:{closed.getsockname()[1]}/workspaces/ws-eu-west-1/"

    with pytest.raises(PrometheusError, match=message):
        PrometheusReader(session).query(endpoint, region, query)


@pytest.mark.parametrize(
    ("seconds", "matches", "misses"),
    [
        (10, ["10.000", "10.0", "10"], ["1.000", "100.000", "0.010"]),
        (0.25, ["0.250", "0.25"], ["0.025", "2.500"]),
        (2.5, ["2.500", "2.5"], ["0.250", "25.000"]),
    ],
)
def test_the_p99_limit_is_matched_in_every_spelling_of_its_bucket(
    seconds: float, matches: list[str], misses: list[str]
) -> None:
    regex = latency_le_regex(seconds)
    assert all(re.fullmatch(regex, le) for le in matches)
    assert not any(re.fullmatch(regex, le) for le in misses)


def test_a_p99_limit_that_is_no_bucket_is_refused() -> None:
    check_p99_limit(10)
    check_p99_limit(0.25)
    with pytest.raises(ValueError, match="maxP99Seconds 7 is no bucket bound"):
        check_p99_limit(7)


def test_the_endpoints_come_from_the_stack_outputs() -> None:
    outputs = {
        "regions": {
            "eu-west-1": {"healthCheckId": "a", "prometheusEndpoint": "https://aps/ws-1/"},
            "us-east-1": {"healthCheckId": "b"},
        }
    }
    assert prometheus_endpoints(outputs) == {
        "eu-west-1": "https://aps/ws-1/",
        "us-east-1": None,
    }
    assert prometheus_endpoints({}) == {}
