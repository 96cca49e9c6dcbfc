"""A stand-in for AWS Backup's ListRecoveryPointsByBackupVault, which moto 5 does not model
(moto/backup/responses.py serves plans, vaults, vault locks, tags and report plans only: no
recovery point, no backup, copy or restore job).

It is a local HTTP server that boto3's `backup` client is pointed at, so the request and the
answer go through botocore's own REST-JSON serializer and parser: `GET
/backup-vaults/{backupVaultName}/recovery-points/` with `resourceArn`, `maxResults` and
`nextToken` in the query (botocore's backup service model), the region read from the SigV4
credential scope. The answer has the service model's shape: `RecoveryPoints` (ARN, vault,
resource ARN and type, status, creation and completion dates as epoch seconds) and `NextToken`;
an unknown vault is a 404 `ResourceNotFoundException`.

The recovery points are the test's: each names an RDS snapshot the test made in moto, in the
vault's region, as AWS Backup's RDS recovery points are RDS snapshots (`awsbackup:job-...` in
the region that took them, `awsbackup:copyjob-...` in a copy's vault).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.http_standin import send_json, serving

_PATH = re.compile(r"^/backup-vaults/(?P<vault>[^/]+)/recovery-points/?$")
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[a-z0-9-]+)/backup/aws4_request")


@dataclass
class StandinBackup:
    vaults: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def add_vault(self, region: str, vault: str) -> None:
        self.vaults.setdefault((region, vault), [])

    def add_point(
        self,
        region: str,
        vault: str,
        *,
        arn: str,
        resource_arn: str,
        resource_type: str,
        created: datetime,
        status: str = "COMPLETED",
        source_vault_arn: str | None = None,
    ) -> None:
        point = {
            "RecoveryPointArn": arn,
            "BackupVaultName": vault,
            "BackupVaultArn": f"arn:aws:backup:{region}:123456789012:backup-vault:{vault}",
            "ResourceArn": resource_arn,
            "ResourceType": resource_type,
            "Status": status,
            "CreationDate": created.timestamp(),
            "CompletionDate": created.timestamp() + 600,
            "IsEncrypted": True,
        }
        if source_vault_arn:
            point["SourceBackupVaultArn"] = source_vault_arn
        self.vaults.setdefault((region, vault), []).append(point)

    def reset(self) -> None:
        self.vaults.clear()
        self.requests.clear()


def _handler(standin: StandinBackup) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            match = _PATH.match(parts.path)
            scope = _SCOPE.search(self.headers.get("Authorization", ""))
            if match is None or scope is None:
                return self._send(400, {"__type": "InvalidRequestException"})
            region, vault = scope["region"], unquote(match["vault"])
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            standin.requests.append((region, vault, query))
            if (region, vault) not in standin.vaults:
                return self._send(
                    404,
                    {"Code": "ResourceNotFoundException", "Message": f"{vault} not found"},
                    error="ResourceNotFoundException",
                )
            points = [
                p
                for p in standin.vaults[(region, vault)]
                if "resourceArn" not in query or p["ResourceArn"] == query["resourceArn"]
            ]
            start = int(query.get("nextToken", "0"))
            size = int(query.get("maxResults", "1000"))
            body: dict[str, Any] = {"RecoveryPoints": points[start : start + size]}
            if start + size < len(points):
                body["NextToken"] = str(start + size)
            return self._send(200, body)

        def _send(self, code: int, body: dict[str, Any], error: str | None = None) -> None:
            send_json(self, code, body, {"x-amzn-ErrorType": error} if error else None)

    return Handler


@contextmanager
def served() -> Iterator[tuple[str, StandinBackup]]:
    """(URL, stand-in) while it runs."""
    standin = StandinBackup()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    with serving(server):
        yield f"http://127.0.0.1:{server.server_address[1]}", standin
