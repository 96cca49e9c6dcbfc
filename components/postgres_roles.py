"""A one-shot Kubernetes Job that enables or disables a PostgreSQL login role: the store side of
an alternating-users password rotation (regions/rotation.py `database_credentials`).

RDS sets only the master user's password (ModifyDBInstance / ModifyDBCluster); any other role's
password is SQL. The database is private (its security group admits the EKS cluster's), so the
SQL runs inside the cluster: a Job of the official `postgres` image's psql, logged in as the
master user over TLS (`sslmode=require`: the parameter group forces TLS, components/postgres.py).

No secret in plaintext, anywhere:
- the password reaches the server as a SCRAM-SHA-256 verifier computed here (RFC 5802 and
  7677, PostgreSQL's storage format `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`),
  which PostgreSQL stores as given ("If the presented password string is already in
  SCRAM-SHA-256 format, then it is stored as is", CREATE ROLE). The parameter group logs DDL
  (`log_statement=ddl`), so a plaintext `PASSWORD '...'` would land in the database log and its
  CloudWatch export; the verifier is what `pg_authid` holds anyway;
- the master password and the verifier are a Secret's keys, read by psql from its environment
  (PGPASSWORD; `\\getenv`, psql 15+), never in the Job's arguments or spec;
- the salt is derived with the master password as HMAC key, so the verifier is the same at every
  `pulumi up` (no diff) and says nothing about the password without that key.

pulumi-kubernetes awaits a Job until its `Complete` condition, and fails the update as soon as it
is `Failed` (provider/pkg/await/job.go, the awaiter's description at lines 40-55), so the step
that runs it ends only once the role is set. A Job's pod template cannot change; its name
carries the generation and action, so each step's Job is a new one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from components.pod_security import restricted_container_context

POSTGRES_PORT = 5432
DNS_PORT = 53
SCRAM_ITERATIONS = 4096  # PostgreSQL's default (scram_iterations)
JOB_LABEL = {"app.kubernetes.io/name": "erlmcp-db-roles"}
# The postgres image's own user (uid 999, "postgres"): the namespace enforces Pod Security
# "restricted", which refuses a container running as root.
RUN_AS_USER = 999
_IMDS_CIDR = "169.254.169.254/32"

_ENABLE_SQL = """\
\\set ON_ERROR_STOP on
\\getenv verifier ROLE_PASSWORD_VERIFIER
SELECT format('CREATE ROLE %I', :'role')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \\gexec
ALTER ROLE :"role" WITH LOGIN PASSWORD :'verifier';
GRANT :"owner" TO :"role";
ALTER ROLE :"role" SET role TO :'owner';
"""
"""The role logs in with the new password and acts as the master user (`SET role`), so the
objects it creates belong to the same owner whichever role the pods use."""
_DISABLE_SQL = """\
\\set ON_ERROR_STOP on
ALTER ROLE :"role" WITH NOLOGIN PASSWORD NULL;
"""
"""Sessions open under the role go on (the pods have moved off it); no new one starts."""
_RESET_MASTER_SQL = """\
\\set ON_ERROR_STOP on
\\getenv verifier ROLE_PASSWORD_VERIFIER
ALTER ROLE :"role" WITH PASSWORD :'verifier';
"""
"""The master user's own new password, where RDS cannot set it (a writer a failback made)."""
_SQL = {"enable": _ENABLE_SQL, "disable": _DISABLE_SQL, "reset-master": _RESET_MASTER_SQL}


def scram_verifier(password: str, salt: bytes, iterations: int = SCRAM_ITERATIONS) -> str:
    """PostgreSQL's SCRAM-SHA-256 verifier of `password` (RFC 5802 section 3, RFC 7677)."""
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def derived_salt(key: str, role: str) -> bytes:
    """16 bytes, the same for the same key and role: the verifier does not change between
    updates. Keyed with a secret the verifier does not reveal."""
    return hmac.new(key.encode(), f"erlmcp-role-salt:{role}".encode(), hashlib.sha256).digest()[:16]


@dataclass(frozen=True)
class PostgresRoleJobArgs:
    provider: k8s.Provider
    namespace: pulumi.Input[str]
    job_name: str
    """The Job's Kubernetes name; a new name per step, since a Job cannot be changed."""
    image: str
    """psql 15+ pinned by digest (`repository@sha256:...`)."""
    host: pulumi.Input[str]
    database: str
    master_user: str
    master_password: pulumi.Input[str]
    action: Literal["enable", "disable", "reset-master"]
    role: str
    role_password: pulumi.Input[str] | None = None
    """The role's new password (not to disable); only its verifier leaves this component."""
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if "@sha256:" not in self.image:
            raise ValueError(f"image {self.image!r} must be pinned by digest")
        if (self.action != "disable") != (self.role_password is not None):
            raise ValueError("a role_password is given to set a password, and only then")
        if (self.role == self.master_user) != (self.action == "reset-master"):
            raise ValueError(
                f"{self.action} of {self.role!r}: only reset-master changes the master user "
                f"{self.master_user!r}, which is no alternating role"
            )


class PostgresRoleJob(pulumi.ComponentResource):
    """The Secret, SQL, NetworkPolicy and Job that set one role, once."""

    def __init__(
        self, name: str, args: PostgresRoleJobArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp:components:PostgresRoleJob", name, None, opts)
        self._name = name
        self._args = args
        self._labels = {**args.labels, **JOB_LABEL}
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        secret = k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata=self._metadata(),
            type="Opaque",
            string_data=self._credentials(),
            opts=child,
        )
        sql = k8s.core.v1.ConfigMap(
            f"{name}-sql",
            metadata=self._metadata(),
            data={"roles.sql": _SQL[args.action]},
            opts=child,
        )
        policy = k8s.networking.v1.NetworkPolicy(
            f"{name}-network-policy",
            metadata=self._metadata(),
            spec={
                "pod_selector": {"match_labels": JOB_LABEL},
                "policy_types": ["Ingress", "Egress"],
                "egress": _egress(),
            },
            opts=child,
        )
        job = k8s.batch.v1.Job(
            f"{name}-job",
            metadata=self._metadata(),
            spec=self._job_spec(),
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[secret, sql, policy])
            ),
        )
        self.job_name = job.metadata.name
        self.register_outputs({"job_name": self.job_name})

    def _metadata(self) -> dict[str, object]:
        return {
            "name": self._args.job_name,
            "namespace": self._args.namespace,
            "labels": self._labels,
        }

    def _credentials(self) -> dict[str, pulumi.Input[str]]:
        args = self._args
        values: dict[str, pulumi.Input[str]] = {
            "PGPASSWORD": pulumi.Output.secret(args.master_password)
        }
        if args.role_password is not None:
            verifier = pulumi.Output.all(args.master_password, args.role_password).apply(
                lambda pair: scram_verifier(pair[1], derived_salt(pair[0], args.role))
            )
            values["ROLE_PASSWORD_VERIFIER"] = pulumi.Output.secret(verifier)
        return values

    def _credential_keys(self) -> list[str]:
        keys = ["PGPASSWORD"]
        return keys + (["ROLE_PASSWORD_VERIFIER"] if self._args.role_password is not None else [])

    def _job_spec(self) -> dict[str, object]:
        args = self._args
        env = [
            {"name": "PGHOST", "value": args.host},
            {"name": "PGPORT", "value": str(POSTGRES_PORT)},
            {"name": "PGDATABASE", "value": args.database},
            {"name": "PGUSER", "value": args.master_user},
            {"name": "PGSSLMODE", "value": "require"},
            {"name": "PGCONNECT_TIMEOUT", "value": "10"},
            {"name": "HOME", "value": "/tmp"},
            *(
                {
                    "name": key,
                    "value_from": {"secret_key_ref": {"name": args.job_name, "key": key}},
                }
                for key in self._credential_keys()
            ),
        ]
        container = {
            "name": "psql",
            "image": args.image,
            "image_pull_policy": "IfNotPresent",
            "command": [
                "psql",
                "--no-psqlrc",
                "-v",
                f"role={args.role}",
                "-v",
                f"owner={args.master_user}",
                "-f",
                "/sql/roles.sql",
            ],
            "env": env,
            "resources": {
                "requests": {"cpu": "50m", "memory": "64Mi"},
                "limits": {"cpu": "250m", "memory": "128Mi"},
            },
            "security_context": restricted_container_context(RUN_AS_USER),
            "volume_mounts": [
                {"name": "sql", "mount_path": "/sql", "read_only": True},
                {"name": "tmp", "mount_path": "/tmp"},
            ],
        }
        return {
            "backoff_limit": 3,
            "active_deadline_seconds": 600,
            "template": {
                "metadata": {"labels": self._labels},
                "spec": {
                    "restart_policy": "Never",
                    "automount_service_account_token": False,
                    "enable_service_links": False,
                    "security_context": {
                        "run_as_non_root": True,
                        "run_as_user": RUN_AS_USER,
                        "seccomp_profile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                    "volumes": [
                        {"name": "sql", "config_map": {"name": args.job_name}},
                        {"name": "tmp", "empty_dir": {"size_limit": "16Mi"}},
                    ],
                },
            },
        }


def _egress() -> list[dict[str, object]]:
    """CoreDNS, and PostgreSQL anywhere but the instance metadata service."""
    core_dns = {
        "namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "kube-system"}},
        "pod_selector": {"match_labels": {"k8s-app": "kube-dns"}},
    }
    return [
        {
            "to": [core_dns],
            "ports": [{"protocol": p, "port": DNS_PORT} for p in ("UDP", "TCP")],
        },
        {
            "to": [{"ip_block": {"cidr": "0.0.0.0/0", "except": [_IMDS_CIDR]}}],
            "ports": [{"protocol": "TCP", "port": POSTGRES_PORT}],
        },
    ]
