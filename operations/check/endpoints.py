"""Each public name's `/health`, over HTTPS, as a client sees it: DNS, TLS with the name
verified against the system's trust store, then erlmcp's answer.

erlmcp's `/health` (seanchatmangpt/erlmcp at 1356e12,
apps/erlmcp_observability/src/erlmcp_health_http.erl `handle_health`, lines 79-124, routed by
erlmcp_health_http_server.erl line 90) answers 200 with
JSON `{"status": "healthy", "version": ..., "checks": {...}}` when its system, memory, ETS and
process checks all pass, and 503 with `"status": "unhealthy"` otherwise (`status_to_binary`,
line 404). The check wants both: a 200 whose body says anything but `healthy` is red too.

A release the config sizes to 0 pods (a cold standby, a fenced primary: operations/fleet.py)
answers nothing by design: whatever it answers is `idle`, not red.

`address_for` gives where to connect for a name (default: the name itself, port 443); the TLS
handshake and the Host header always carry the public name, so the certificate is checked
against it whatever address is dialled (the tests dial a local stand-in).
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from collections.abc import Callable

from operations.check.findings import IDLE, OK, RED, Finding
from operations.fleet import Endpoint

AddressFor = Callable[[str], tuple[str, int]]


def public_address(port: int) -> AddressFor:
    return lambda fqdn: (fqdn, port)


class _Dialled(http.client.HTTPSConnection):
    """HTTPS to `address`, with SNI, certificate check and Host header for `fqdn`."""

    def __init__(
        self, fqdn: str, address: tuple[str, int], context: ssl.SSLContext, timeout: float
    ) -> None:
        super().__init__(fqdn, port=address[1], context=context, timeout=timeout)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection(self._address, self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


class HealthEndpoints:
    def __init__(
        self,
        path: str,
        address_for: AddressFor,
        *,
        context: ssl.SSLContext | None = None,
        timeout: float = 10,
    ) -> None:
        self.path = path
        self.address_for = address_for
        self.context = context or ssl.create_default_context()
        self.timeout = timeout

    def check(self, region: str, endpoint: Endpoint) -> Finding:
        url = f"https://{endpoint.fqdn}{self.path}"
        status, detail = self._judge(endpoint.fqdn)
        if not endpoint.expected_up:
            return Finding(region, "health", url, IDLE, f"0 pods configured; {detail}")
        return Finding(region, "health", url, status, detail)

    def _judge(self, fqdn: str) -> tuple[str, str]:
        connection = _Dialled(fqdn, self.address_for(fqdn), self.context, self.timeout)
        try:
            connection.request("GET", self.path, headers={"Accept": "application/json"})
            answer = connection.getresponse()
            body = answer.read()
        except (OSError, http.client.HTTPException) as error:
            return RED, f"no answer: {error}"
        finally:
            connection.close()
        try:
            document = json.loads(body)
        except ValueError:
            return RED, f"HTTP {answer.status}, not erlmcp's JSON"
        said = document.get("status") if isinstance(document, dict) else None
        version = document.get("version", "?") if isinstance(document, dict) else "?"
        if answer.status == 200 and said == "healthy":
            return OK, f"healthy, version {version}"
        return RED, f"HTTP {answer.status}, status {said!r}"
