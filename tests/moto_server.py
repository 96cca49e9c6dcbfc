"""A local moto server on 127.0.0.1 with throwaway credentials, for tests that send recorded
settings to an AWS API (botocore checks each request against the API model before sending it)."""

from __future__ import annotations

import functools
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from moto.moto_server import threaded_moto_server
from moto.server import ThreadedMotoServer


@contextmanager
def moto_endpoint(default_region: str = "us-east-1") -> Iterator[str]:
    """The server's URL while it runs; no real credentials or config file can leak in."""
    with pytest.MonkeyPatch.context() as env:
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": default_region,
            "AWS_CONFIG_FILE": "/nonexistent/aws-config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        }.items():
            env.setenv(key, value)
        env.delenv("AWS_PROFILE", raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        # Its thread makes the server (before start() returns) and runs serve_forever() with
        # socketserver's default poll of 0.5 s, which stop() waits out: half a second idle at
        # every moto server's teardown (moto/moto_server/threaded_moto_server.py).
        env.setattr(threaded_moto_server, "make_server", _polling_every_50_ms)
        server.start()
        try:
            host, port = server.get_host_and_port()
            yield f"http://{host}:{port}"
        finally:
            server.stop()


def reset_moto(url: str) -> None:
    """Empty the moto server at `url`: every account, region and service. moto keeps its
    state per process, so whatever another test (or an earlier setup of the same fixture) left
    is gone."""
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).close()


def _polling_every_50_ms(*args: Any, **kwargs: Any) -> Any:
    server = _make_server(*args, **kwargs)
    server.serve_forever = functools.partial(server.serve_forever, poll_interval=0.05)
    return server


_make_server = threaded_moto_server.make_server


def recent_datapoints(
    cloudwatch: Any,
    namespace: str,
    metric: str,
    dimension: tuple[str, str],
    statistics: list[str],
    *,
    period: int,
    minutes: int = 5,
) -> list[dict[str, Any]]:
    """CloudWatch's datapoints of one metric over the last `minutes` (and one ahead, for a
    clock a little behind the server's)."""
    now = datetime.now(timezone.utc)
    name, value = dimension
    return cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName=metric,
        Dimensions=[{"Name": name, "Value": value}],
        StartTime=now - timedelta(minutes=minutes),
        EndTime=now + timedelta(minutes=1),
        Period=period,
        Statistics=statistics,
    )["Datapoints"]


# Where the S3 API spells a name other than by capitalising the recorded camelCase one.
_API_NAMES = {
    "id": "ID",
    "sseAlgorithm": "SSEAlgorithm",
    "kmsMasterKeyId": "KMSMasterKeyID",
    "replicaKmsKeyId": "ReplicaKmsKeyID",
}


def to_api(value: Any) -> Any:
    """Recorded camelCase inputs as S3 API (PascalCase) shapes; numbers travel as floats."""
    if isinstance(value, dict):
        return {_API_NAMES.get(k, k[:1].upper() + k[1:]): to_api(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_api(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
