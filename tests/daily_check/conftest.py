"""The daily check's world: the session's moto server for Route 53, CloudWatch, S3 and ACM; the
AWS Backup stand-in for recovery points (moto has none); the Kubernetes stand-in for the pods;
a stand-in for every public name's `/health` over HTTPS. `healthy(regions)` builds, for those
regions, everything their checks read, all of it healthy; a test then breaks one thing.

A region that is `down` has every endpoint (its AWS APIs, its cluster, its public names) on a
closed local port: connections are refused at once, as from a region that is gone.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from rich.console import Console

from operations.aws_clients import AwsClients
from operations.check.__main__ import main
from operations.check.endpoints import HealthEndpoints
from operations.fleet import Fleet
from operations.kubernetes_api import ClusterAccess
from tests.backup_standin import StandinBackup
from tests.daily_check.health_standin import StandinHealth
from tests.daily_check.health_standin import served as health_served
from tests.kubernetes_standin import StandinKubernetes
from tests.tls import LocalPki, self_signed_pem

ACCOUNT = "123456789012"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class FixedClock:
    moment: datetime

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        raise AssertionError("the check never waits")


@dataclass
class CheckWorld:
    moto: str
    backup: StandinBackup
    kubernetes: StandinKubernetes
    health: StandinHealth
    pki: LocalPki
    clients: AwsClients
    fleet: Fleet
    out: Path
    console: Console
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    down: set[str] = field(default_factory=set)
    closed: int = field(default_factory=closed_port)
    buckets_made: set[str] = field(default_factory=set)
    backup_url: str = ""

    # -- building a healthy fleet -------------------------------------------------------------

    def healthy(self, regions: list[str], *, lags: bool = True) -> None:
        route53 = self.clients("route53", "us-east-1")
        for region in regions:
            for endpoint in self.fleet.endpoints(region):
                route53.create_health_check(
                    CallerReference=endpoint.fqdn,
                    HealthCheckConfig={
                        "Type": "HTTPS",
                        "FullyQualifiedDomainName": endpoint.fqdn,
                        "Port": 443,
                        "ResourcePath": "/health",
                    },
                )
                if endpoint.expected_up:
                    self.health.healthy(endpoint.fqdn)
            self.clients("cloudwatch", region).put_metric_alarm(
                AlarmName=f"erlmcp-prod-{region}-5xx-rate",
                MetricName="x",
                Namespace="x",
                Statistic="Maximum",
                Period=60,
                EvaluationPeriods=1,
                Threshold=1,
                ComparisonOperator="GreaterThanThreshold",
            )
            if lags:
                self.lags(region)
            self.points(region, own=timedelta(hours=6), copy=timedelta(hours=5))
            self.certificate(region, timedelta(days=80))
            cluster = self.kubernetes.cluster(self.fleet.cluster_name(region))
            for release in self.fleet.releases(region):
                cluster.add_release(
                    release.namespace, replicas=release.pods, ready=release.pods, version="3.0.0"
                )
        self.objects(regions, age=timedelta(minutes=30))

    def lags(self, region: str, seconds: float = 0.4) -> None:
        """Every DR copy in `region` reports `seconds` of lag, in the metric its alarm reads."""
        data = []
        for replica in self.fleet.replicating(region):
            copy = replica.copy
            if copy.mechanism == "aurora-global":
                dims = [
                    {"Name": "DBClusterIdentifier", "Value": copy.identifier},
                    {"Name": "SourceRegion", "Value": copy.primary},
                ]
                data.append(("AWS/RDS", "AuroraGlobalDBRPOLag", dims, seconds * 1000))
            else:
                dims = [{"Name": "DBInstanceIdentifier", "Value": copy.identifier}]
                data.append(("AWS/RDS", "ReplicaLag", dims, seconds))
        for group, _ in self.fleet.standby_cache_groups(region):
            for member in ("001", "002"):
                dims = [
                    {"Name": "CacheClusterId", "Value": f"{group}-{member}"},
                    {"Name": "CacheNodeId", "Value": "0001"},
                ]
                data.append(("AWS/ElastiCache", "GlobalDatastoreReplicationLag", dims, seconds))
        for namespace, name, dims, value in data:
            self.clients("cloudwatch", region).put_metric_data(
                Namespace=namespace,
                MetricData=[
                    {
                        "MetricName": name,
                        "Dimensions": dims,
                        "Value": value,
                        "Timestamp": self.now - timedelta(minutes=1),
                    }
                ],
            )

    def points(self, region: str, *, own: timedelta, copy: timedelta) -> None:
        """Recovery points in `region`'s vault: its writers' (`own` old) and the copies of its
        partners' writers (`copy` old)."""
        vault = self.fleet.vault_name(region)
        self.backup.add_vault(region, vault)
        for writing in self.fleet.writing_databases():
            arn = self.fleet.database_arn(writing.copy)
            age = own if writing.copy.region == region else copy
            if region in (writing.copy.region, writing.partner):
                self.backup.add_point(
                    region,
                    vault,
                    arn=f"arn:aws:rds:{region}:{ACCOUNT}:snapshot:awsbackup:job-{age.seconds}",
                    resource_arn=arn,
                    resource_type="RDS",
                    created=self.now - age,
                )

    def certificate(self, region: str, left: timedelta) -> None:
        fqdn = f"{region}.{self.fleet.stack.domain}"
        cert, key = self_signed_pem(fqdn, self.now + left)
        self.clients("acm", region).import_certificate(Certificate=cert, PrivateKey=key)

    def bucket(self, region: str) -> str:
        return f"{self.fleet.backup_bucket_prefix(region)}0a1b2c3"

    def objects(self, regions: list[str], age: timedelta, *, replicated: bool = True) -> None:
        """One object per scheduled prefix in each pair's primary bucket, and in its standby's."""
        made = self.buckets_made
        for source, destination in self.fleet.backup_replications():
            if destination not in regions:
                continue
            for region in (source, destination):
                if region not in made:
                    s3 = self.clients("s3", region)
                    location = (
                        {}
                        if region == "us-east-1"
                        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
                    )
                    s3.create_bucket(Bucket=self.bucket(region), **location)
                    made.add(region)
            for prefix in ("postgres", "ets"):
                key = f"prod/{prefix}/erlmcp-backup-{source}.gz"
                self.put(source, key, age)
                if replicated:
                    self.put(destination, key, age)

    def put(self, region: str, key: str, age: timedelta) -> None:
        """An object whose LastModified is `age` ago (moto stamps now: set in its backend)."""
        self.clients("s3", region).put_object(Bucket=self.bucket(region), Key=key, Body=b"x")
        from moto.s3.models import s3_backends

        stored = s3_backends[ACCOUNT]["aws"].buckets[self.bucket(region)].keys[key]
        stored.last_modified = (self.now - age).replace(tzinfo=None)

    # -- running it ---------------------------------------------------------------------------

    def endpoint_for(self, service: str, region: str) -> str:
        if region in self.down:
            return f"http://127.0.0.1:{self.closed}"
        return self.backup_url if service == "backup" else self.moto

    def address_for(self, fqdn: str) -> tuple[str, int]:
        down = {e.fqdn for r in self.down for e in self.fleet.endpoints(r)}
        return ("127.0.0.1", self.closed) if fqdn in down else self.health.address

    def kube_access(self, region: str, name: str) -> ClusterAccess:
        endpoint = self.kubernetes.endpoint(name)
        if region in self.down:
            endpoint = f"https://127.0.0.1:{self.closed}"
        return ClusterAccess(name, region, endpoint, self.kubernetes.ca_pem)

    def run(self, *args: str) -> int:
        clients = self.clients
        if self.down:  # those that built the world point at moto for every region
            clients = AwsClients(
                session=self.clients.session,
                endpoint_for=self.endpoint_for,
                max_attempts=1,
                connect_timeout=2,
                read_timeout=5,
            )
        return main(
            [*args, "--json", str(self.out)],
            clients=clients,
            clock=FixedClock(self.now),
            health=HealthEndpoints(
                "/health", self.address_for, context=self.pki.client_context(), timeout=5
            ),
            kube_access=self.kube_access,
            console=self.console,
        )

    def findings(self, region: str, check: str | None = None) -> list[dict[str, Any]]:
        import json

        found = json.loads(self.out.read_text())["regions"][region]["findings"]
        return [f for f in found if check is None or f["check"] == check]

    def statuses(self, region: str, check: str) -> list[str]:
        return [f["status"] for f in self.findings(region, check)]


@pytest.fixture(scope="session")
def health_server(test_pki: LocalPki) -> Iterator[StandinHealth]:
    with health_served(test_pki) as standin:
        yield standin


@pytest.fixture
def world(
    moto_reset: str,
    backup: tuple[str, StandinBackup],
    kubernetes: StandinKubernetes,
    health_server: StandinHealth,
    test_pki: LocalPki,
    aws_session: boto3.session.Session,
    prod_fleet: Fleet,
    tmp_path: Path,
) -> CheckWorld:
    health_server.reset()
    w = CheckWorld(
        moto_reset,
        backup[1],
        kubernetes,
        health_server,
        test_pki,
        AwsClients(session=aws_session, max_attempts=1, connect_timeout=2, read_timeout=5),
        prod_fleet,
        tmp_path / "check.json",
        Console(width=150, record=True, force_terminal=False),
    )
    w.backup_url = backup[0]
    w.clients = AwsClients(
        session=aws_session,
        endpoint_for=w.endpoint_for,
        max_attempts=1,
        connect_timeout=2,
        read_timeout=5,
    )
    return w
