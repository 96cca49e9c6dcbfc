"""What every HTTP stand-in of the tests shares (the Kubernetes API, AWS Backup, the workspaces'
Prometheus, the public `/health`): a JSON answer, and a server run on a thread of its own for as
long as a `with` block lasts."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any


def send_json(
    handler: BaseHTTPRequestHandler,
    code: int,
    body: Any,
    headers: Mapping[str, str] | None = None,
) -> None:
    data = json.dumps(body).encode()
    handler.send_response(code)
    handler.send_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


@contextmanager
def serving(server: HTTPServer) -> Iterator[None]:
    """`server` answering on a daemon thread; shut down and closed after the block. It looks
    for shutdown every 50 ms, so a test's teardown does not wait the default half second."""
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
