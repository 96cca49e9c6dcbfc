"""Reads a region's Amazon Managed Service for Prometheus workspace over its Prometheus HTTP API.

- Where: the workspace's query endpoint, `https://aps-workspaces.<region>.amazonaws.com/
  workspaces/<id>/` (the workspace's `prometheusEndpoint`, terraform-provider-aws
  internal/service/amp/workspace.go line 79), which the stack exports per region as
  `regions.<region>.prometheusEndpoint` (`prometheus_endpoints`, below).
- What: `GET <endpoint>api/v1/query?query=<PromQL>` (QueryMetrics) and
  `GET <endpoint>api/v1/alerts` (ListAlerts), answered as Prometheus answers them:
  `{"status": "success", "data": ...}` (https://docs.aws.amazon.com/prometheus/latest/
  userguide/AMP-APIReference-QueryMetrics.html, .../AMP-APIReference-ListAlerts.html). The
  driver's role needs `aps:QueryMetrics` and `aps:ListAlerts` on the workspaces.
- How: every request signed with SigV4 for the service `aps` in the workspace's region
  (https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-onboard-query-APIs.html), by
  botocore's `SigV4Auth` with the session's credentials. botocore signs a URL's query string as
  it stands (botocore/auth.py `SigV4Auth._canonical_query_string_url`, line 289 in botocore
  1.44): it must already be encoded as SigV4 wants (RFC 3986, `%20` for a space), and sent
  exactly so, which `urlencode(..., quote_via=quote)` does.

Anything but a success answer (no credentials, a refused or failed connection, an HTTP error, a
body that is not Prometheus's) raises PrometheusError: the caller holds, it never passes.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

SERVICE = "aps"
ENDPOINT_OUTPUT = "prometheusEndpoint"


class PrometheusError(Exception):
    """The workspace gave no usable answer; the message says what went wrong."""


def prometheus_endpoints(outputs: Mapping[str, object]) -> dict[str, str | None]:
    """`regions.<region>.prometheusEndpoint` of the stack outputs (plain values, as
    `OutputValue.value` holds them): each region's workspace query endpoint, the one place the
    driver learns it."""
    regions = outputs.get("regions")
    if not isinstance(regions, Mapping):
        return {}
    return {
        str(region): (str(values[ENDPOINT_OUTPUT]) if values.get(ENDPOINT_OUTPUT) else None)
        for region, values in regions.items()
        if isinstance(values, Mapping)
    }


class PrometheusReader:
    """Signed GETs against workspace endpoints; `session` gives the credentials."""

    def __init__(
        self, session: boto3.session.Session | None = None, timeout_seconds: float = 15.0
    ) -> None:
        self._session = session
        self.timeout_seconds = timeout_seconds

    def query(self, endpoint: str, region: str, promql: str) -> list[tuple[dict[str, str], float]]:
        """An instant vector: (labels, value) per series; `[]` when nothing matched."""
        data = self._get(endpoint, "api/v1/query", region, {"query": promql})
        if not isinstance(data, Mapping) or data.get("resultType") not in ("vector", "scalar"):
            raise PrometheusError(f"not an instant vector: {_short(data)}")
        result = data.get("result")
        if data["resultType"] == "scalar":  # [time, "value"]
            return [({}, _number(result[1]))] if isinstance(result, list) else []
        if not isinstance(result, list):
            raise PrometheusError(f"no result list: {_short(data)}")
        return [(dict(item.get("metric") or {}), _number(item["value"][1])) for item in result]

    def alerts(self, endpoint: str, region: str) -> list[dict[str, Any]]:
        """The workspace's active alerts (`state` pending or firing, `labels`, `activeAt`)."""
        data = self._get(endpoint, "api/v1/alerts", region, {})
        alerts = data.get("alerts") if isinstance(data, Mapping) else None
        if not isinstance(alerts, list):
            raise PrometheusError(f"no alert list: {_short(data)}")
        return alerts

    def _get(self, endpoint: str, path: str, region: str, params: dict[str, str]) -> Any:
        base = endpoint if endpoint.endswith("/") else endpoint + "/"
        url = base + path + (f"?{urlencode(params, quote_via=quote)}" if params else "")
        headers = self._signed_headers(url, region)
        request = urllib.request.Request(url, headers=headers, method="GET")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            raise PrometheusError(f"HTTP {error.code} from {base}: {_body(error)}") from None
        except (urllib.error.URLError, OSError) as error:
            raise PrometheusError(f"{base} did not answer: {error}") from None
        try:
            answer = json.loads(body)
        except ValueError:
            raise PrometheusError(f"{base} answered something else than JSON") from None
        if not isinstance(answer, Mapping) or answer.get("status") != "success":
            raise PrometheusError(f"{base} answered an error: {_short(answer)}")
        return answer.get("data")

    def _signed_headers(self, url: str, region: str) -> dict[str, str]:
        """Host, X-Amz-Date, X-Amz-Security-Token (temporary credentials) and Authorization;
        urllib sends the Host that was signed (the URL's host and port)."""
        session = self._session or boto3.session.Session()
        self._session = session
        credentials = session.get_credentials()
        if credentials is None:
            raise PrometheusError("no AWS credentials to sign the query with")
        request = AWSRequest(method="GET", url=url)
        SigV4Auth(credentials.get_frozen_credentials(), SERVICE, region).add_auth(request)
        return dict(request.headers.items())


def _number(text: Any) -> float:
    """A sample value as Prometheus writes it ("12", "NaN", "+Inf")."""
    try:
        return float(text)
    except (TypeError, ValueError):
        raise PrometheusError(f"not a sample value: {text!r}") from None


def finite(value: float | None) -> float | None:
    """None for a missing or NaN value (NaN is what 0/0 gives: no requests)."""
    return None if value is None or math.isnan(value) else value


def _body(error: urllib.error.HTTPError) -> str:
    try:
        return _short(error.read().decode("utf-8", "replace"))
    except OSError:
        return "(no body)"


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "..."
