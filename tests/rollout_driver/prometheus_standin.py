"""A stand-in for the Prometheus HTTP API of each region's Amazon Managed Service for Prometheus
workspace, on 127.0.0.1, for the driver's canary judgement (operations/rollout/canary.py).

Each region's workspace is `<url>/workspaces/ws-<region>/`, the `prometheusEndpoint` the world
exports per region. It answers `GET .../api/v1/query` and `GET .../api/v1/alerts` as Prometheus
does (`{"status": "success", "data": ...}`), and only:

- requests signed with SigV4 for the service `aps` in the workspace's region, with the
  throwaway credentials the tests run with (tests/moto_server.py). The signature is computed
  again here as the SigV4 spec has a server do it: the query string decoded, then each name and
  value encoded again (RFC 3986: `%20` for a space, nothing but `A-Za-z0-9-_.~` left as is) and
  sorted. A client that signs its query in any other encoding than that is refused, 403, as AWS
  would refuse it;
- the queries the driver must send, matched on their text by the patterns below (written here,
  not imported from the driver, so a change to the driver's PromQL shows). An unknown query is
  a 400 `bad_data`, which the driver reads as "no answer" and holds on.

The answers come from scripted series: what the pods of each (region, version) did over the
window (`Pods`); the version is read back from the revision name (the stand-in CLI names
revisions `erlmcp-cluster-<version, dots as dashes>`). No traffic gives empty results, as
Prometheus gives for series that do not exist. erlmcp's histogram spells its bounds `~.3f`
(`le="10.000"`), so a bucket query's `le=~` regex is tried on those spellings: only one that
matches the 10 s bucket (and no other) finds the series.
"""

from __future__ import annotations

import hmac
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, urlencode, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.http_standin import send_json, serving

NAMESPACE = "erlmcp-prod"
WINDOW = "5m"
# What the driver's session signs with (tests/moto_server.py).
CREDENTIALS = Credentials("testing", "testing", "testing")

_PODS = r'namespace="(?P<ns>[^"]+)",controller_revision_hash="(?P<rev>[^"]+)"'
QUERIES = {
    "traffic": re.compile(
        rf'^sum\(increase\(erlmcp_responses_total\{{{_PODS}(?P<errors>,status=~"5\.\.")?\}}'
        r"\[(?P<window>\w+)\]\)\)$"
    ),
    "within": re.compile(
        rf'^sum\(increase\(erlmcp_request_duration_seconds_bucket\{{{_PODS},le=~"(?P<le>[^"]+)"\}}'
        r"\[(?P<window>\w+)\]\)\)$"
    ),
    "timed": re.compile(
        rf"^sum\(increase\(erlmcp_request_duration_seconds_count\{{{_PODS}\}}"
        r"\[(?P<window>\w+)\]\)\)$"
    ),
    "restarts": re.compile(
        r"^max\(sum by \(namespace, pod\) \(kube_pod_container_status_restarts_total"
        r'\{namespace="(?P<ns>[^"]+)"\} \* on \(namespace, pod\) group_left\(\) '
        r'max by \(namespace, pod\) \(kube_pod_labels\{namespace="(?P=ns)",'
        r'label_controller_revision_hash="(?P<rev>[^"]+)"\}\)\)\)$'
    ),
}
# erlmcp's bucket bounds as it prints them (erlmcp_metrics_collector.erl :30, :512).
BUCKETS = ["0.001", "0.005", "0.010", "0.025", "0.050", "0.100", "0.250", "0.500", "1.000"]
BUCKETS += ["2.500", "5.000", "10.000"]
P99_LIMIT = "10.000"
_PATH = re.compile(r"^/workspaces/ws-(?P<region>[a-z0-9-]+)/api/v1/(?P<api>query|alerts)$")
_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[^,]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclass
class Pods:
    """What one revision's pods of a region did over the window."""

    requests: float = 1000
    errors: float = 1
    slow: float = 0
    """Requests answered in more than 10 s (maxP99Seconds)."""
    timed: bool = True
    """Whether the latency histogram has series."""
    restarts: float | None = 0


@dataclass
class Seen:
    region: str
    api: str
    query: str | None
    refused: str | None
    """Why the request was refused (signature, unknown query), or None."""


@dataclass
class StandinPrometheus:
    url: str = ""
    pods: dict[tuple[str, str], Pods] = field(default_factory=dict)
    """(region, version) -> scripted series; any other pair is healthy (`Pods()`)."""
    alerts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)
    """Regions whose workspace answers 503."""
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.pods.clear()
            self.alerts.clear()
            self.failing.clear()
            self.seen.clear()

    def endpoint(self, region: str) -> str:
        return f"{self.url}/workspaces/ws-{region}/"

    def set(self, region: str, version: str, **series: Any) -> None:
        with self.lock:
            self.pods[(region, version)] = Pods(**series)

    def answer(self, handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(handler.path)
        path = _PATH.match(parts.path)
        if path is None:
            return 404, {"message": f"no such path {parts.path}"}
        region, api = path["region"], path["api"]
        query = (parse_qs(parts.query).get("query") or [None])[0]
        refused = _unsigned(handler, region)
        with self.lock:
            if refused is None and region in self.failing:
                refused = "failing"
            if refused is None and api == "query":
                result = self._evaluate(region, query or "")
                refused = None if isinstance(result, list) else result
            self.seen.append(Seen(region, api, query, refused))
            if refused == "failing":
                return 503, {"message": "Service Unavailable"}
            if refused is not None and refused.startswith("SigV4"):
                return 403, {"message": refused}
            if refused is not None:
                return 400, {"status": "error", "errorType": "bad_data", "error": refused}
            if api == "alerts":
                return 200, {"status": "success", "data": {"alerts": self.alerts.get(region, [])}}
            vector = [{"metric": {}, "value": [0, _text(value)]} for value in result]
            return 200, {"status": "success", "data": {"resultType": "vector", "result": vector}}

    def _evaluate(self, region: str, query: str) -> list[float] | str:
        """The query's values (one, or none for no series), or why it is not understood."""
        for kind, pattern in QUERIES.items():
            match = pattern.match(query)
            if match is None:
                continue
            if match.groupdict().get("window", WINDOW) != WINDOW:
                return f"unexpected window in {query}"
            version = re.fullmatch(r"erlmcp-cluster-(\d+)-(\d+)-(\d+)", match["rev"])
            if match["ns"] != NAMESPACE or version is None:
                return []  # no such pods
            pods = self.pods.get((region, ".".join(version.groups())), Pods())
            if kind == "within" and _bounds(match["le"]) != [P99_LIMIT]:
                return []  # no bucket, or more than the one
            value = {
                "traffic": pods.errors if match.groupdict().get("errors") else pods.requests,
                "within": pods.requests - pods.slow,
                "timed": pods.requests,
                "restarts": pods.restarts,
            }[kind]
            if kind in ("within", "timed") and not pods.timed:
                return []
            no_traffic = kind != "restarts" and not pods.requests
            return [] if value is None or no_traffic else [value]
        return f"unknown query: {query}"


def _bounds(regex: str) -> list[str]:
    """The bucket bounds a PromQL `le=~` regex matches (Prometheus anchors it)."""
    return [bound for bound in BUCKETS if re.fullmatch(regex, bound)]


def _text(value: float) -> str:
    return "+Inf" if value == float("inf") else repr(float(value))


def _unsigned(handler: BaseHTTPRequestHandler, region: str) -> str | None:
    """Why the request's SigV4 signature is not what the test credentials give, or None."""
    auth = _AUTH.match(handler.headers.get("Authorization", ""))
    if auth is None:
        return "SigV4: no AWS4-HMAC-SHA256 Authorization header"
    if (auth["service"], auth["region"]) != ("aps", region):
        return f"SigV4: signed for {auth['service']} in {auth['region']}, not aps in {region}"
    names = auth["signed"].split(";")
    if not {"host", "x-amz-date"} <= set(names):
        return f"SigV4: host and x-amz-date must be signed, not only {names}"
    headers = {name: handler.headers.get(name, "") for name in names}
    parts = urlsplit(handler.path)
    pairs = sorted(parse_qsl(parts.query, keep_blank_values=True))
    canonical = f"{parts.path}?{urlencode(pairs, quote_via=quote)}" if pairs else parts.path
    # botocore takes a URL's query as it stands: given the canonical one, it signs that.
    request = AWSRequest(method="GET", url=f"http://{headers['host']}{canonical}")
    for name, value in headers.items():
        request.headers[name] = value
    request.context["timestamp"] = headers["x-amz-date"]
    signer = SigV4Auth(CREDENTIALS, "aps", region)
    expected = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    if not hmac.compare_digest(expected, auth["signature"]):
        return "SigV4: the signature does not match the request"
    return None


def _handler(standin: StandinPrometheus) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = standin.answer(self)
            send_json(self, status, body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def served() -> Iterator[StandinPrometheus]:
    standin = StandinPrometheus()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    server.daemon_threads = True
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    with serving(server):
        yield standin
