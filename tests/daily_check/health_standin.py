"""A stand-in for every public name's `/health`, over HTTPS on 127.0.0.1 with a certificate for
`*.erlmcp.io` from the tests' CA: the check dials it for every name and verifies the certificate
against the name, as it would erlmcp's NLB. It answers by the request's Host header what the test
scripted, in erlmcp's shape (erlmcp_health_http.erl `handle_health`: 200 and `"status":
"healthy"`, or 503 and `"unhealthy"`); a name nothing was scripted for answers 503, as an NLB
with no healthy target does not (it resets), which is close enough for a release at 0 pods.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.http_standin import send_json, serving
from tests.tls import LocalPki


class StandinHealth:
    def __init__(self, pki: LocalPki) -> None:
        self.answers: dict[str, tuple[int, dict[str, Any]]] = {}
        self.paths: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.socket = pki.server_context().wrap_socket(
            self._server.socket, server_side=True
        )

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self._server.server_address[1])

    def healthy(self, fqdn: str, version: str = "3.0.0") -> None:
        self.answers[fqdn] = (200, {"status": "healthy", "version": version, "checks": {}})

    def unhealthy(self, fqdn: str) -> None:
        self.answers[fqdn] = (503, {"status": "unhealthy", "version": "3.0.0", "checks": {}})

    def reset(self) -> None:
        self.answers.clear()
        self.paths.clear()


def _handler(standin: StandinHealth) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_GET(self) -> None:
            host = self.headers.get("Host", "").split(":")[0]
            standin.paths.append((host, self.path))
            code, body = standin.answers.get(host, (503, {"status": "unhealthy"}))
            if self.path != "/health":
                code, body = 404, {"error": "Not found"}
            send_json(self, code, body)

    return Handler


@contextmanager
def served(pki: LocalPki) -> Iterator[StandinHealth]:
    standin = StandinHealth(pki)
    with serving(standin._server):
        yield standin
