"""The restore drill's world: the session's moto server for RDS, Secrets Manager and the Data
API; the AWS Backup stand-in for recovery points (moto has none, tests/backup_standin.py); the
Kubernetes stand-in for the one-shot pod; and a clock that never sleeps.

moto 5 also lacks RDS EnableHttpEndpoint (its RDS responses raise NotImplementedError) and runs no
SQL for the Data API (moto/rdsdata/models.py: every statement answers from a queue the test
fills). Both are stood in here, inside moto's own server: EnableHttpEndpoint records the cluster,
and ExecuteStatement refuses, as AWS would, a cluster whose HTTP endpoint is off or a secret that
is not the cluster's managed master secret, and otherwise answers the test's scripted value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.rds.models import MasterUserSecret, RDSBackend, rds_backends
from moto.rds.responses import RDSResponse
from moto.rdsdata.responses import RDSDataServiceResponse
from rich.console import Console

from operations.aws_clients import AwsClients
from operations.drill.__main__ import main
from operations.fleet import Fleet
from operations.kubernetes_api import ClusterAccess
from tests.backup_standin import StandinBackup
from tests.kubernetes_standin import StandinKubernetes

ACCOUNT = "123456789012"
START = datetime(2026, 12, 7, 6, 0, tzinfo=timezone.utc)
AURORA = ("us-east-1", "us-west-2")
RDS = ("ap-southeast-1", "ap-northeast-1")


@dataclass
class FakeClock:
    """Time moves only when the drill sleeps; `on_sleep` runs at each sleep (e.g. an instance
    becomes available, or Ctrl-C)."""

    moment: datetime = START
    sleeps: list[float] = field(default_factory=list)
    on_sleep: list[Callable[[int], None]] = field(default_factory=list)

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.moment += timedelta(seconds=seconds)
        for hook in self.on_sleep:
            hook(len(self.sleeps))


@dataclass
class DataApi:
    enabled: set[str] = field(default_factory=set)
    statements: list[dict[str, Any]] = field(default_factory=list)
    answer: str = "12"


@dataclass
class DrillWorld:
    moto: str
    backup: StandinBackup
    kubernetes: StandinKubernetes
    data_api: DataApi
    clock: FakeClock
    clients: AwsClients
    fleet: Fleet
    out: Path
    console: Console
    restores: list[Any] = field(default_factory=list)
    deleted_passwords: list[str] = field(default_factory=list)
    """Master passwords of the managed secrets RDS deleted with their database."""
    restore_polls: int = 3
    """The scratch instances reach `restore_ends` at the drill's `restore_polls`-th sleep."""
    restore_ends: str = "available"

    def __post_init__(self) -> None:
        def hook(count: int) -> None:
            if count == self.restore_polls:
                for instance in self.restores:
                    instance.status = self.restore_ends

        self.clock.on_sleep.append(hook)

    def rds(self, region: str) -> Any:
        return self.clients("rds", region)

    def network(self, region: str) -> tuple[str, str]:
        """A VPC's DB subnet group and security group in `region` (the standby copy's)."""
        ec2 = self.clients("ec2", region)
        vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.99.{i}.0/24")["Subnet"]["SubnetId"]
            for i in (1, 2)
        ]
        group = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
        self.rds(region).create_db_subnet_group(
            DBSubnetGroupName=f"{region}-db", DBSubnetGroupDescription="db", SubnetIds=subnets
        )
        return f"{region}-db", group

    def aurora_pair(self) -> str:
        """us-east-1's secondary in us-west-2 and a cluster snapshot there: returns its ARN."""
        primary, standby = AURORA
        subnets, group = self.network(standby)
        placed = {"DBSubnetGroupName": subnets, "VpcSecurityGroupIds": [group]}
        rds = self.rds(standby)
        for identifier in (f"erlmcp-prod-{primary}-secondary", "source-of-the-copy"):
            rds.create_db_cluster(
                DBClusterIdentifier=identifier,
                Engine="aurora-postgresql",
                EngineVersion="16.6",
                MasterUsername="erlmcp",
                MasterUserPassword="not-a-real-one",
                **placed,
            )
        snapshot = rds.create_db_cluster_snapshot(
            DBClusterSnapshotIdentifier="awsbackup:copyjob-aurora-1",
            DBClusterIdentifier="source-of-the-copy",
        )["DBClusterSnapshot"]
        rds.delete_db_cluster(DBClusterIdentifier="source-of-the-copy", SkipFinalSnapshot=True)
        return str(snapshot["DBClusterSnapshotArn"])

    def rds_pair(self) -> str:
        """ap-southeast-1's replica in ap-northeast-1 and a snapshot there: returns its ARN.
        moto refuses the `:` of AWS Backup's `awsbackup:copyjob-...` in a DB snapshot id."""
        primary, standby = RDS
        subnets, group = self.network(standby)
        placed = {"DBSubnetGroupName": subnets, "VpcSecurityGroupIds": [group]}
        rds = self.rds(standby)
        for identifier in (f"erlmcp-prod-{primary}-replica", "source-of-the-copy"):
            rds.create_db_instance(
                DBInstanceIdentifier=identifier,
                Engine="postgres",
                EngineVersion="16.6",
                DBInstanceClass="db.r6g.large",
                AllocatedStorage=100,
                MasterUsername="erlmcp",
                MasterUserPassword="not-a-real-one",
                **placed,
            )
        snapshot = rds.create_db_snapshot(
            DBSnapshotIdentifier="awsbackup-copyjob-rds-1",
            DBInstanceIdentifier="source-of-the-copy",
        )["DBSnapshot"]
        rds.delete_db_instance(DBInstanceIdentifier="source-of-the-copy", SkipFinalSnapshot=True)
        self.kubernetes.cluster(f"erlmcp-prod-{standby}")
        return str(snapshot["DBSnapshotArn"])

    def point(
        self,
        pair: tuple[str, str],
        snapshot_arn: str,
        *,
        age: timedelta,
        status: str = "COMPLETED",
        kind: str = "cluster",
    ) -> None:
        primary, standby = pair
        self.backup.add_point(
            standby,
            f"erlmcp-prod-{standby}",
            arn=snapshot_arn,
            resource_arn=f"arn:aws:rds:{primary}:{ACCOUNT}:{kind}:erlmcp-prod-{primary}",
            resource_type="Aurora" if kind == "cluster" else "RDS",
            created=self.clock.now() - age,
            status=status,
            source_vault_arn=f"arn:aws:backup:{primary}:{ACCOUNT}:backup-vault:erlmcp-prod-{primary}",
        )

    def scratch_cluster(self, region: str = "us-west-2") -> dict[str, Any]:
        [cluster] = [
            c
            for c in self.rds(region).describe_db_clusters()["DBClusters"]
            if c["DBClusterIdentifier"].startswith("erlmcp-drill-")
        ]
        return cluster

    def scratch_left(self, region: str) -> list[str]:
        rds = self.rds(region)
        names = [c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"]]
        names += [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]]
        return sorted(n for n in names if n.startswith("erlmcp-drill-"))

    def run(self, *args: str) -> int:
        return main(
            [*args, "--json", str(self.out)],
            clients=self.clients,
            clock=self.clock,
            kube_access=lambda region, name: ClusterAccess(
                name, region, self.kubernetes.endpoint(name), self.kubernetes.ca_pem
            ),
            console=self.console,
        )


def _data_api_standin(monkeypatch: pytest.MonkeyPatch, data_api: DataApi) -> None:
    def enable_http_endpoint(self: RDSResponse) -> ActionResult:
        arn = self._get_param("ResourceArn")
        data_api.enabled.add(arn)
        return ActionResult({"ResourceArn": arn, "HttpEndpointEnabled": True})

    def execute_statement(self: RDSDataServiceResponse) -> str:
        arn, secret = self._get_param("resourceArn"), self._get_param("secretArn")
        backend = rds_backends[ACCOUNT][self.region]
        cluster = next((c for c in backend.clusters.values() if c.db_cluster_arn == arn), None)
        managed = getattr(cluster, "master_user_secret", None)
        if arn not in data_api.enabled:
            raise JsonRESTError("BadRequestException", f"HttpEndpoint is not enabled for {arn}")
        if managed is None or managed.secret_arn != secret:
            raise JsonRESTError("BadRequestException", "the secret is not the cluster's")
        data_api.statements.append(
            {"arn": arn, "database": self._get_param("database"), "sql": self._get_param("sql")}
        )
        return json.dumps({"records": [[{"longValue": int(data_api.answer)}]]})

    monkeypatch.setattr(RDSResponse, "enable_http_endpoint", enable_http_endpoint, raising=False)
    monkeypatch.setattr(RDSDataServiceResponse, "execute_statement", execute_statement)


@pytest.fixture
def world(
    moto_reset: str,
    backup: tuple[str, StandinBackup],
    kubernetes: StandinKubernetes,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    aws_session: boto3.session.Session,
    prod_fleet: Fleet,
) -> DrillWorld:
    backup_url, standin = backup
    data_api = DataApi()
    _data_api_standin(monkeypatch, data_api)
    clients = AwsClients(
        session=aws_session,
        endpoint_for=lambda service, region: backup_url if service == "backup" else moto_reset,
        max_attempts=1,
    )
    fleet = prod_fleet
    for region in fleet.regions:
        standin.add_vault(region, fleet.vault_name(region))
    w = DrillWorld(
        moto_reset,
        standin,
        kubernetes,
        data_api,
        FakeClock(),
        clients,
        fleet,
        tmp_path / "restore-drill.json",
        Console(width=160, record=True, force_terminal=False),
    )
    original = RDSBackend.create_db_instance

    def creating(self: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
        instance = original(self, db_kwargs)
        if instance.db_instance_identifier.startswith("erlmcp-drill-"):
            instance.status = "creating"
            w.restores.append(instance)
        return instance

    monkeypatch.setattr(RDSBackend, "create_db_instance", creating)
    forget = MasterUserSecret.delete_secret

    def deleted(self: MasterUserSecret) -> None:
        w.deleted_passwords.append(json.loads(self.secret.secret_string)["password"])
        forget(self)

    monkeypatch.setattr(MasterUserSecret, "delete_secret", deleted)
    return w
