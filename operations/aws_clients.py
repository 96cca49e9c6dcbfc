"""boto3 clients for the commands that read or change the live fleet, one per (service, region),
made once and reused.

`endpoint_for(service, region)` sends a client elsewhere than AWS: the tests' moto server, or a
stand-in for an API moto does not model (AWS Backup's recovery points). None keeps AWS's own
endpoint. A region that does not answer must cost a command seconds, not minutes: connect and
read timeouts are short, and `max_attempts` is a parameter (tests use 1: botocore's standard
retry mode sleeps between attempts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

EndpointFor = Callable[[str, str], "str | None"]
# No answer at all from an endpoint, as opposed to an answer that refuses.
UNREACHABLE = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
)


def aws_endpoints(service: str, region: str) -> str | None:
    """AWS's own endpoint for every service and region."""
    return None


class AwsClients:
    def __init__(
        self,
        *,
        session: boto3.session.Session | None = None,
        endpoint_for: EndpointFor = aws_endpoints,
        max_attempts: int = 3,
        connect_timeout: float = 5,
        read_timeout: float = 20,
    ) -> None:
        self._session = session
        self._endpoint_for = endpoint_for
        self._config = Config(
            retries={"max_attempts": max_attempts, "mode": "standard"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
        self._clients: dict[tuple[str, str], Any] = {}

    @property
    def session(self) -> boto3.session.Session:
        if self._session is None:
            self._session = boto3.session.Session()
        return self._session

    def __call__(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.session.client(
                service,  # type: ignore[call-overload]
                region_name=region,
                endpoint_url=self._endpoint_for(service, region),
                config=self._config,
            )
        return self._clients[key]
