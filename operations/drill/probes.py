"""The check query a restored scratch database must answer.

The default query counts the tables outside PostgreSQL's own schemas and passes when there is at
least one: a restore that opens but holds nothing (the wrong database, an empty snapshot) fails.
`--query` takes any statement whose first column of the first row is a number; it passes when
that number is above zero (e.g. `SELECT count(*) FROM <an erlmcp table>`).

The password is the one RDS keeps for the scratch database in Secrets Manager
(`ManageMasterUserPassword`, operations/drill/scratch.py): read by the drill and handed on, never
printed, logged or written to the result.

- **Aurora: the RDS Data API.** The scratch cluster's HTTP endpoint is turned on with
  EnableHttpEndpoint (botocore's rds model: the operation for Aurora Serverless v2 and
  provisioned clusters; ModifyDBCluster's `EnableHttpEndpoint` is for Serverless v1 only), then
  `rds-data` ExecuteStatement runs the query with the cluster's managed secret. No network path
  from the drill to the database is needed. Aurora PostgreSQL gained the Data API for
  provisioned clusters in 2023 (Aurora user guide, "Region and version availability" of the
  Data API: 16.1 and later in the 16 line; the fleet runs 16.6).
- **RDS PostgreSQL: a one-shot pod.** The Data API does not serve RDS instances, and the
  scratch instance is reachable only from inside its VPC (it sits beside the primary's DR copy,
  which admits the EKS cluster's security group). So the drill runs `psql` once in a pod of the
  standby region's cluster, through the Kubernetes API with an EKS token
  (operations/kubernetes_api.py): a Secret holding the password, a Pod that reads it from the
  Secret (`secretKeyRef`, never in the pod spec), `restartPolicy: Never` and an active deadline;
  its log is the query's answer. Pod and Secret are deleted on every path, and carry the label
  `erlmcp.io/restore-drill-of` so a later run removes any left behind. The pod runs in
  `--pod-namespace` (default `default`: the release namespaces deny all egress but erlmcp's own,
  components/release_network.py), needs the nodes to pull `--psql-image`, and the caller needs
  to create pods and secrets there (an EKS access entry).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from operations.clock import Clock
from operations.drill.scratch import RestoreFailed, Scratch
from operations.kubernetes_api import KubernetesApi

DEFAULT_QUERY = (
    "SELECT count(*) FROM pg_catalog.pg_tables "
    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
)
PSQL_IMAGE = "public.ecr.aws/docker/library/postgres:16-alpine"
DRILL_LABEL = "erlmcp.io/restore-drill-of"
# The postgres image's `postgres` user (docker-library/postgres alpine: uid 70).
PSQL_UID = 70


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    method: str
    detail: str


class Probe(Protocol):
    method: str

    def sweep(self) -> list[str]:
        """Removes what an earlier drill's check left behind; names what it removed."""
        ...

    def run(self, scratch: Scratch) -> CheckResult: ...


@dataclass(frozen=True)
class Query:
    database: str
    sql: str = DEFAULT_QUERY


def judge(method: str, answer: str) -> CheckResult:
    """Passes when the first column of the first row is a number above zero."""
    try:
        value = float(answer.strip().splitlines()[0])
    except (ValueError, IndexError):
        return CheckResult(False, method, f"the query answered {answer.strip()[:200]!r}, no number")
    if value > 0:
        return CheckResult(True, method, f"the query answered {value:g}")
    return CheckResult(False, method, f"the query answered {value:g}: nothing there")


def managed_secret(rds: Any, scratch: Scratch, clock: Clock, poll: float, timeout: float) -> str:
    """The ARN of the secret RDS keeps the scratch database's master password in, once it is
    active (`MasterUserSecret.SecretStatus`: creating, active, rotating, impaired)."""
    waited = 0.0
    while True:
        if scratch.is_cluster:
            found = rds.describe_db_clusters(DBClusterIdentifier=scratch.identifier)["DBClusters"]
        else:
            found = rds.describe_db_instances(DBInstanceIdentifier=scratch.identifier)[
                "DBInstances"
            ]
        secret = found[0].get("MasterUserSecret") or {}
        if secret.get("SecretStatus") == "active":
            return str(secret["SecretArn"])
        if secret.get("SecretStatus") == "impaired":
            raise RestoreFailed(f"the master password secret of {scratch.identifier} is impaired")
        if waited >= timeout:
            raise RestoreFailed(f"no active master password secret on {scratch.identifier}")
        clock.sleep(poll)
        waited += poll


class DataApiProbe:
    method = "rds-data-api"

    def __init__(
        self, rds: Any, rds_data: Any, clock: Clock, query: Query, *, poll: float = 15
    ) -> None:
        self.rds, self.rds_data, self.clock, self.query, self.poll = (
            rds,
            rds_data,
            clock,
            query,
            poll,
        )

    def sweep(self) -> list[str]:
        return []  # the Data API leaves nothing behind

    def run(self, scratch: Scratch) -> CheckResult:
        cluster = self.rds.modify_db_cluster(
            DBClusterIdentifier=scratch.identifier,
            ManageMasterUserPassword=True,
            ApplyImmediately=True,
        )["DBCluster"]
        secret = managed_secret(self.rds, scratch, self.clock, self.poll, 600)
        self.rds.enable_http_endpoint(ResourceArn=cluster["DBClusterArn"])
        answer = self.rds_data.execute_statement(
            resourceArn=cluster["DBClusterArn"],
            secretArn=secret,
            database=self.query.database,
            sql=self.query.sql,
        )
        records = answer.get("records") or []
        first = next(iter(records[0][0].values()), "") if records and records[0] else ""
        return judge(self.method, str(first))


@dataclass(frozen=True)
class PodSettings:
    namespace: str = "default"
    image: str = PSQL_IMAGE
    deadline_seconds: int = 300


class PodProbe:
    method = "one-shot-pod"

    def __init__(
        self,
        rds: Any,
        secrets: Any,
        kubernetes: KubernetesApi,
        clock: Clock,
        query: Query,
        primary: str,
        settings: PodSettings = PodSettings(),
        *,
        poll: float = 5,
    ) -> None:
        self.rds, self.secrets, self.kubernetes, self.clock = rds, secrets, kubernetes, clock
        self.query, self.primary, self.settings, self.poll = query, primary, settings, poll

    def sweep(self) -> list[str]:
        return sweep_pods(self.kubernetes, self.settings.namespace, self.primary)

    def run(self, scratch: Scratch) -> CheckResult:
        secret_arn = managed_secret(self.rds, scratch, self.clock, self.poll, 600)
        instance = self.rds.describe_db_instances(DBInstanceIdentifier=scratch.identifier)[
            "DBInstances"
        ][0]
        credentials = json.loads(self.secrets.get_secret_value(SecretId=secret_arn)["SecretString"])
        namespace, name = self.settings.namespace, scratch.identifier
        base = f"/api/v1/namespaces/{namespace}"
        try:
            self.kubernetes.post(f"{base}/secrets", self._secret(name, credentials["password"]))
            self.kubernetes.post(
                f"{base}/pods", self._pod(name, instance["Endpoint"], credentials["username"])
            )
            phase = self._wait(f"{base}/pods/{name}")
            log = self.kubernetes.text(f"{base}/pods/{name}/log")
        finally:
            self.kubernetes.delete(f"{base}/pods/{name}")
            self.kubernetes.delete(f"{base}/secrets/{name}")
        if phase != "Succeeded":
            return CheckResult(False, self.method, f"psql pod {phase}: {log.strip()[:300]}")
        return judge(self.method, log)

    def _wait(self, path: str) -> str:
        waited = 0.0
        while True:
            phase = str((self.kubernetes.get(path).get("status") or {}).get("phase", "Pending"))
            if phase in ("Succeeded", "Failed") or waited >= self.settings.deadline_seconds:
                return phase
            self.clock.sleep(self.poll)
            waited += self.poll

    def _labels(self) -> dict[str, str]:
        return {DRILL_LABEL: self.primary, "app.kubernetes.io/managed-by": "erlmcp-infra"}

    def _secret(self, name: str, password: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "labels": self._labels()},
            "type": "Opaque",
            "stringData": {"PGPASSWORD": password},
        }

    def _pod(self, name: str, endpoint: dict[str, Any], user: str) -> dict[str, Any]:
        env = {
            "PGHOST": str(endpoint["Address"]),
            "PGPORT": str(endpoint["Port"]),
            "PGUSER": user,
            "PGDATABASE": self.query.database,
            # RDS PostgreSQL takes TLS; a restore gets the default parameter group, so the
            # client insists on it rather than rely on rds.force_ssl.
            "PGSSLMODE": "require",
        }
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": self._labels()},
            "spec": {
                "restartPolicy": "Never",
                "activeDeadlineSeconds": self.settings.deadline_seconds,
                "automountServiceAccountToken": False,
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": PSQL_UID,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containers": [
                    {
                        "name": "psql",
                        "image": self.settings.image,
                        "command": [
                            "psql",
                            "--no-psqlrc",
                            "--tuples-only",
                            "--no-align",
                            "--command",
                            self.query.sql,
                        ],
                        "env": [{"name": k, "value": v} for k, v in env.items()]
                        + [
                            {
                                "name": "PGPASSWORD",
                                "valueFrom": {"secretKeyRef": {"name": name, "key": "PGPASSWORD"}},
                            }
                        ],
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]},
                        },
                        "resources": {
                            "requests": {"cpu": "50m", "memory": "64Mi"},
                            "limits": {"cpu": "200m", "memory": "128Mi"},
                        },
                    }
                ],
            },
        }


def sweep_pods(kubernetes: KubernetesApi, namespace: str, primary: str) -> list[str]:
    """Pods and Secrets an earlier drill of `primary` left in `namespace`."""
    selector = {"labelSelector": f"{DRILL_LABEL}={primary}"}
    removed = []
    for kind in ("pods", "secrets"):
        base = f"/api/v1/namespaces/{namespace}/{kind}"
        for item in kubernetes.get(base, selector).get("items", []):
            name = item["metadata"]["name"]
            kubernetes.delete(f"{base}/{name}")
            removed.append(f"{kind}/{name}")
    return removed
