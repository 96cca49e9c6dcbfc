"""Probe HTTPS endpoints from this region once a minute and publish, per target, whether it
answered: `<PROBE_NAMESPACE> Up{Target=<name>}` = 1 (an answer below 400 within the timeout) or
0 (anything else). A CloudWatch alarm on it sees a region as other regions' users do, with no
dependency on us-east-1 (Route 53's health-check metrics exist only there).

Configuration (environment): TARGETS, a JSON object {name: url}; PROBE_NAMESPACE;
TIMEOUT_SECONDS (default 10).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import boto3

Fetch = Callable[[str, float], int]


def handler(event: Mapping[str, Any], context: Any) -> dict[str, int]:
    return probe_all(os.environ, cloudwatch=boto3.client("cloudwatch"), fetch=http_status)


def http_status(url: str, timeout: float) -> int:
    request = urllib.request.Request(url, method="GET", headers={"User-Agent": "erlmcp-probe"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def probe_all(env: Mapping[str, str], *, cloudwatch: Any, fetch: Fetch) -> dict[str, int]:
    targets: dict[str, str] = json.loads(env["TARGETS"])
    timeout = float(env.get("TIMEOUT_SECONDS", "10"))
    results = {name: up(fetch, url, timeout) for name, url in sorted(targets.items())}
    cloudwatch.put_metric_data(
        Namespace=env["PROBE_NAMESPACE"],
        MetricData=[
            {
                "MetricName": "Up",
                "Dimensions": [{"Name": "Target", "Value": name}],
                "Value": float(value),
                "Unit": "Count",
            }
            for name, value in results.items()
        ],
    )
    return results


def up(fetch: Fetch, url: str, timeout: float) -> int:
    try:
        status = fetch(url, timeout)
    except (OSError, ValueError):
        # Refused, reset, timed out, TLS or DNS failure: the target did not answer.
        return 0
    return 1 if 200 <= status < 400 else 0
