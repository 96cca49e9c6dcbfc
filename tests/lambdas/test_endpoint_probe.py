"""The endpoint probe: 1 for an answer below 400, 0 for anything else, one metric per target,
published to a moto server's CloudWatch; and its real HTTP fetch against a local server."""

from __future__ import annotations

import http.server
import json
from collections.abc import Iterator

import boto3
import pytest

from components.lambdas import endpoint_probe as probe
from regions.auto_failover import PROBE_METRIC, PROBE_NAMESPACE
from tests.http_standin import serving
from tests.moto_server import recent_datapoints

REGION = "us-west-2"


def answers(status: dict[str, int | Exception]):
    def fetch(url: str, timeout: float) -> int:
        result = status[url]
        if isinstance(result, Exception):
            raise result
        return result

    return fetch


def env(targets: dict[str, str]) -> dict[str, str]:
    return {"TARGETS": json.dumps(targets), "PROBE_NAMESPACE": PROBE_NAMESPACE}


def published(url: str, target: str) -> list[float]:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION, endpoint_url=url)
    points = recent_datapoints(
        cloudwatch,
        PROBE_NAMESPACE,
        PROBE_METRIC,
        ("Target", target),
        ["Minimum", "SampleCount"],
        period=300,
    )
    return [p["Minimum"] for p in points]


def test_up_and_down_per_target_in_the_probing_region(moto_url, moto_reset):
    cloudwatch = boto3.client("cloudwatch", region_name=REGION, endpoint_url=moto_url)
    targets = {
        "probe-a": "https://a.example/health",
        "probe-b": "https://b.example/health",
        "probe-c": "https://c.example/health",
        "probe-d": "https://d.example/health",
    }
    fetch = answers(
        {
            targets["probe-a"]: 200,
            targets["probe-b"]: 503,
            targets["probe-c"]: TimeoutError("timed out"),
            targets["probe-d"]: 302,
        }
    )
    result = probe.probe_all(env(targets), cloudwatch=cloudwatch, fetch=fetch)
    assert result == {"probe-a": 1, "probe-b": 0, "probe-c": 0, "probe-d": 1}
    assert published(moto_url, "probe-a") == [1.0]
    assert published(moto_url, "probe-b") == [0.0]
    assert published(moto_url, "probe-c") == [0.0]


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 500)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    with serving(server):
        yield f"http://127.0.0.1:{server.server_address[1]}"


def test_the_real_fetch_reads_the_status_and_treats_errors_as_down(local_server):
    assert probe.http_status(f"{local_server}/health", 2) == 200
    assert probe.http_status(f"{local_server}/other", 2) == 500
    assert probe.up(probe.http_status, "http://127.0.0.1:9/health", 1) == 0
