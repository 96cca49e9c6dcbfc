"""A stand-in for the Kubernetes API of each region's EKS cluster, over HTTPS on 127.0.0.1, for
`make check` (pods of each release) and `make restore-drill` (the one-shot pod of an RDS check).

Each cluster is `https://127.0.0.1:<port>/clusters/<name>`, with a certificate of the tests' CA
(tests/tls.py). It answers only requests whose bearer token EKS would accept for that cluster,
checked as aws-iam-authenticator's verifier checks it (pkg/token/token.go `Verify`): the
`k8s-aws-v1.` prefix, unpadded URL-safe base64 of an https URL on a regional STS host, path `/`,
only the SigV4 query parameters, Action GetCallerIdentity, `x-k8s-aws-id` among the signed
headers, X-Amz-Expires 0..900, X-Amz-Date under 15 minutes old; and then the SigV4 signature is
computed again with the tests' credentials and *this* cluster's name in the header, as STS does
when the verifier forwards the request: a token made for another cluster fails. Anything else is
a 401, as the API server gives.

It serves: a namespace's pods (optionally by `labelSelector`), one StatefulSet, and for the
one-shot pod: create and delete a Secret, create, read and delete a Pod, and its log. A created
pod "runs" at once: its phase and log are what the test scripted (`pod_outcome`), provided its
environment names a key of a Secret that exists (the drill's password), else it fails as a pod
with a missing secret would.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.http_standin import send_json, serving
from tests.tls import LocalPki

CREDENTIALS = Credentials("testing", "testing", "testing")
_STS_HOST = re.compile(r"^sts\.(?P<region>[a-z0-9-]+)\.amazonaws\.com$")
_ALLOWED_QUERY = {
    "action",
    "version",
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "x-amz-expires",
    "x-amz-security-token",
    "x-amz-signature",
    "x-amz-signedheaders",
}


def token_problem(token: str, cluster: str) -> str | None:
    """Why EKS would refuse `token` for `cluster`, or None."""
    prefix = "k8s-aws-v1."
    if not token.startswith(prefix):
        return "missing k8s-aws-v1. prefix"
    encoded = token[len(prefix) :]
    if "=" in encoded:
        return "padded base64 (RawURLEncoding has none)"
    try:
        url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except ValueError:
        return "not base64"
    parts = urlsplit(url)
    host = _STS_HOST.match(parts.netloc)
    if parts.scheme != "https" or host is None or parts.path != "/":
        return (
            f"not an https URL on a regional STS host: {parts.scheme}://{parts.netloc}{parts.path}"
        )
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    lowered = {k.lower(): v for k, v in query.items()}
    if set(lowered) - _ALLOWED_QUERY:
        return f"query parameters outside SigV4's: {sorted(set(lowered) - _ALLOWED_QUERY)}"
    if lowered.get("action") != "GetCallerIdentity":
        return "not GetCallerIdentity"
    if "x-k8s-aws-id" not in lowered.get("x-amz-signedheaders", "").split(";"):
        return "x-k8s-aws-id is not signed"
    if not 0 <= int(lowered.get("x-amz-expires", "-1")) <= 900:
        return "X-Amz-Expires outside 0..900"
    signed_at = datetime.strptime(lowered["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(
        tzinfo=timezone.utc
    )
    if datetime.now(timezone.utc) - signed_at > timedelta(minutes=15):
        return "expired"
    return _signature_problem(url, query, host["region"], cluster)


def _signature_problem(url: str, query: dict[str, str], region: str, cluster: str) -> str | None:
    """STS's own check: the signature recomputed over the URL and this cluster's header."""
    unsigned = "&".join(f"{k}={v}" for k, v in _raw_pairs(url) if k.lower() != "x-amz-signature")
    request = AWSRequest(method="GET", url=f"https://{urlsplit(url).netloc}/?{unsigned}")
    request.headers["host"] = urlsplit(url).netloc
    request.headers["x-k8s-aws-id"] = cluster
    request.context["timestamp"] = query["X-Amz-Date"]
    signer = SigV4QueryAuth(CREDENTIALS, "sts", region, expires=int(query["X-Amz-Expires"]))
    expected = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    if not hmac.compare_digest(expected, query["X-Amz-Signature"]):
        return f"signature does not match a token for cluster {cluster}"
    return None


def _raw_pairs(url: str) -> list[tuple[str, str]]:
    return [tuple(pair.split("=", 1)) for pair in urlsplit(url).query.split("&")]  # type: ignore[misc]


@dataclass
class Cluster:
    name: str
    statefulsets: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    pods: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    secrets: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    logs: dict[tuple[str, str], str] = field(default_factory=dict)
    pod_outcome: tuple[str, str] = ("Succeeded", "1\n")
    """(phase, log) of the next one-shot pod."""
    created: list[dict[str, Any]] = field(default_factory=list)
    """Every pod and secret created, in order (what the test inspects)."""
    deleted: list[str] = field(default_factory=list)

    def add_release(
        self,
        namespace: str,
        *,
        replicas: int,
        ready: int,
        version: str,
        restarts: int = 0,
        name: str = "erlmcp-cluster",
    ) -> None:
        """A StatefulSet as the release makes it (components/release.py) and its pods."""
        selector = {"app.kubernetes.io/name": "erlmcp", "app.kubernetes.io/instance": namespace}
        status: dict[str, Any] = {"replicas": replicas}
        if ready:  # Kubernetes leaves zero counts out (omitempty)
            status["readyReplicas"] = ready
        self.statefulsets[(namespace, name)] = {
            "kind": "StatefulSet",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": replicas, "selector": {"matchLabels": selector}},
            "status": status,
        }
        for ordinal in range(replicas):
            pod = f"{name}-{ordinal}"
            is_ready = ordinal < ready
            self.pods[(namespace, pod)] = {
                "metadata": {
                    "name": pod,
                    "namespace": namespace,
                    "labels": {**selector, "app.kubernetes.io/version": version},
                },
                "spec": {
                    "containers": [
                        {
                            "name": "erlmcp",
                            "image": f"ghcr.io/seanchatmangpt/erlmcp@sha256:{version}",
                        }
                    ]
                },
                "status": {
                    "phase": "Running",
                    "conditions": [{"type": "Ready", "status": str(is_ready)}],
                    "containerStatuses": [
                        {"name": "erlmcp", "ready": is_ready, "restartCount": restarts}
                    ],
                },
            }


class StandinKubernetes:
    def __init__(self, pki: LocalPki) -> None:
        self.clusters: dict[str, Cluster] = {}
        self.refused: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.socket = pki.server_context().wrap_socket(
            self._server.socket, server_side=True
        )
        self.ca_pem = pki.ca_pem

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def endpoint(self, cluster: str) -> str:
        return f"https://127.0.0.1:{self.port}/clusters/{cluster}"

    def cluster(self, name: str) -> Cluster:
        return self.clusters.setdefault(name, Cluster(name))

    def reset(self) -> None:
        self.clusters.clear()
        self.refused.clear()


_PATH = re.compile(r"^/clusters/(?P<cluster>[^/]+)(?P<api>/.*)$")
_ROUTES = {
    "pods": re.compile(r"^/api/v1/namespaces/(?P<ns>[^/]+)/pods$"),
    "pod": re.compile(r"^/api/v1/namespaces/(?P<ns>[^/]+)/pods/(?P<name>[^/]+)$"),
    "log": re.compile(r"^/api/v1/namespaces/(?P<ns>[^/]+)/pods/(?P<name>[^/]+)/log$"),
    "secrets": re.compile(r"^/api/v1/namespaces/(?P<ns>[^/]+)/secrets$"),
    "secret": re.compile(r"^/api/v1/namespaces/(?P<ns>[^/]+)/secrets/(?P<name>[^/]+)$"),
    "statefulset": re.compile(
        r"^/apis/apps/v1/namespaces/(?P<ns>[^/]+)/statefulsets/(?P<name>[^/]+)$"
    ),
}


def _handler(standin: StandinKubernetes) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_DELETE(self) -> None:
            self._route("DELETE")

        def _route(self, method: str) -> None:
            parts = urlsplit(self.path)
            match = _PATH.match(parts.path)
            if match is None or match["cluster"] not in standin.clusters:
                return self._send(404, _status(404, f"no cluster at {parts.path}"))
            cluster = standin.clusters[match["cluster"]]
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            problem = token_problem(token, cluster.name)
            if problem:
                standin.refused.append(problem)
                return self._send(401, _status(401, f"Unauthorized: {problem}"))
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            for route, pattern in _ROUTES.items():
                found = pattern.match(match["api"])
                if found:
                    return self._answer(cluster, method, route, found.groupdict(), query)
            return self._send(404, _status(404, f"no route {match['api']}"))

        def _answer(
            self, cluster: Cluster, method: str, route: str, at: dict[str, str], query: dict
        ) -> None:
            key = (at["ns"], at.get("name", ""))
            if route == "statefulset" and method == "GET":
                return self._found(cluster.statefulsets.get(key), key)
            if route in ("pods", "secrets") and method == "GET":
                wanted = dict(
                    pair.split("=", 1) for pair in query.get("labelSelector", "").split(",") if pair
                )
                store = cluster.pods if route == "pods" else cluster.secrets
                items = [
                    item
                    for (ns, _), item in sorted(store.items())
                    if ns == at["ns"]
                    and wanted.items() <= item["metadata"].get("labels", {}).items()
                ]
                return self._send(200, {"kind": "List", "items": items})
            if route in ("pods", "secrets") and method == "POST":
                return self._create(cluster, route, at["ns"])
            if route in ("pod", "secret") and method == "GET":
                store = cluster.pods if route == "pod" else cluster.secrets
                return self._found(store.get(key), key)
            if route == "log" and method == "GET":
                if key not in cluster.logs:
                    return self._send(404, _status(404, "no log"))
                return self._send_text(cluster.logs[key])
            if route in ("pod", "secret") and method == "DELETE":
                store = cluster.pods if route == "pod" else cluster.secrets
                if store.pop(key, None) is None:
                    return self._send(404, _status(404, f"{route} {key} not found"))
                cluster.deleted.append(f"{route}/{key[0]}/{key[1]}")
                return self._send(200, _status(200, "deleted"))
            return self._send(405, _status(405, f"{method} {route}"))

        def _create(self, cluster: Cluster, route: str, namespace: str) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            name = body["metadata"]["name"]
            cluster.created.append(body)
            if route == "secrets":
                cluster.secrets[(namespace, name)] = body
                return self._send(201, body)
            phase, log = cluster.pod_outcome
            for container in body["spec"]["containers"]:
                for env in container.get("env", []):
                    ref = (env.get("valueFrom") or {}).get("secretKeyRef")
                    secret = cluster.secrets.get((namespace, ref["name"])) if ref else None
                    data = (secret or {}).get("stringData", {})
                    if ref and ref["key"] not in data:
                        phase, log = "Pending", ""  # CreateContainerConfigError: no such secret
            cluster.pods[(namespace, name)] = {**body, "status": {"phase": phase}}
            cluster.logs[(namespace, name)] = log
            return self._send(201, cluster.pods[(namespace, name)])

        def _found(self, obj: dict[str, Any] | None, key: tuple[str, str]) -> None:
            if obj is None:
                return self._send(404, _status(404, f"{key[1]} not found in {key[0]}"))
            return self._send(200, obj)

        def _send(self, code: int, body: dict[str, Any]) -> None:
            send_json(self, code, body)

        def _send_text(self, text: str) -> None:
            data = text.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _status(code: int, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "code": code, "message": message}


@contextmanager
def served(pki: LocalPki) -> Iterator[StandinKubernetes]:
    standin = StandinKubernetes(pki)
    with serving(standin._server):
        yield standin
