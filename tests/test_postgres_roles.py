"""The database-role Job of a password rotation (components/postgres_roles.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components.postgres_roles import (
    JOB_LABEL,
    PostgresRoleJob,
    PostgresRoleJobArgs,
    derived_salt,
    scram_verifier,
)
from offline.recorder import RecordedStack, is_secret
from tests.conftest import assert_parented_under, is_secret_output, k8s_provider

IMAGE = "docker.io/library/postgres@sha256:" + "a" * 64
MASTER_PASSWORD = "master-password-0123456789"
ROLE_PASSWORD = "role-password-9876543210"


def test_the_verifier_authenticates_the_rfc_7677_exchange():
    """RFC 7677 section 3: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096
    iterations. A server holding only the verifier checks the client's proof as PostgreSQL
    does: H(proof XOR HMAC(StoredKey, AuthMessage)) == StoredKey, and signs with ServerKey."""
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    verifier = scram_verifier("pencil", salt)
    head, keys = verifier.split("$", 1)[1].split("$")
    assert head == "4096:W22ZaJ0SNY7soEsUEjb6gQ=="
    stored_key, server_key = (base64.b64decode(k) for k in keys.split(":"))
    auth_message = (
        b"n=user,r=rOprNGfwEbeRWgbNEkqO,"
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    )
    proof = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
    client_key = bytes(a ^ b for a, b in zip(proof, signature, strict=True))
    assert hashlib.sha256(client_key).digest() == stored_key
    server_signature = hmac.new(server_key, auth_message, hashlib.sha256).digest()
    assert base64.b64encode(server_signature) == b"6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_the_salt_is_stable_and_keyed():
    assert derived_salt("k", "erlmcp_b") == derived_salt("k", "erlmcp_b")
    assert derived_salt("k", "erlmcp_b") != derived_salt("other", "erlmcp_b")
    assert len(derived_salt("k", "erlmcp_a")) == 16


def job_args(**overrides: Any) -> PostgresRoleJobArgs:
    values: dict[str, Any] = {
        "provider": k8s_provider("c", "us-east-1"),
        "namespace": "erlmcp-prod",
        "job_name": "erlmcp-db-role-enable-g2",
        "image": IMAGE,
        "host": "db.example.internal",
        "database": "erlmcp",
        "master_user": "erlmcp",
        "master_password": MASTER_PASSWORD,
        "action": "enable",
        "role": "erlmcp_b",
        "role_password": ROLE_PASSWORD,
    }
    values.update(overrides)
    return PostgresRoleJobArgs(**values)


def build(record: Callable[..., RecordedStack], **overrides: Any) -> RecordedStack:
    def program() -> None:
        PostgresRoleJob("us-east-1-db-roles", job_args(**overrides))

    return record(program)


@pytest.fixture
def enable(record) -> RecordedStack:
    return build(record)


def job_spec(stack: RecordedStack) -> dict[str, Any]:
    return stack.one("kubernetes:batch/v1:Job", "us-east-1-db-roles-job").plain_inputs["spec"]


def test_the_job_runs_the_sql_as_the_master_user_over_tls(enable):
    (container,) = job_spec(enable)["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert container["image"] == IMAGE
    assert container["command"][-2:] == ["-f", "/sql/roles.sql"]
    assert "role=erlmcp_b" in container["command"] and "owner=erlmcp" in container["command"]
    assert env["PGUSER"]["value"] == "erlmcp"
    assert env["PGSSLMODE"]["value"] == "require"
    sql = enable.one("kubernetes:core/v1:ConfigMap", "us-east-1-db-roles-sql").plain_inputs
    assert "ALTER ROLE :\"role\" WITH LOGIN PASSWORD :'verifier';" in sql["data"]["roles.sql"]
    assert 'GRANT :"owner" TO :"role";' in sql["data"]["roles.sql"]


def test_no_password_is_in_the_clear(enable):
    """The master password and the role's verifier are Secret keys read from the environment;
    the role's password itself never leaves the program."""
    for resource in enable.resources:
        text = json.dumps(resource.plain_inputs)
        assert ROLE_PASSWORD not in text, resource.name
        if resource.type != "kubernetes:core/v1:Secret":
            assert MASTER_PASSWORD not in text, resource.name
    secret = enable.one("kubernetes:core/v1:Secret", "us-east-1-db-roles-credentials")
    assert is_secret(secret.inputs["stringData"])
    verifier = secret.plain_inputs["stringData"]["ROLE_PASSWORD_VERIFIER"]
    assert verifier == scram_verifier(ROLE_PASSWORD, derived_salt(MASTER_PASSWORD, "erlmcp_b"))
    (container,) = job_spec(enable)["template"]["spec"]["containers"]
    refs = {e["name"]: e.get("valueFrom") for e in container["env"]}
    assert refs["PGPASSWORD"] == {
        "secretKeyRef": {"name": "erlmcp-db-role-enable-g2", "key": "PGPASSWORD"}
    }


def test_the_job_pod_is_restricted_and_reaches_only_dns_and_postgres(enable):
    pod = job_spec(enable)["template"]["spec"]
    (container,) = pod["containers"]
    context = container["securityContext"]
    assert context["runAsNonRoot"] and context["readOnlyRootFilesystem"]
    assert context["capabilities"] == {"drop": ["ALL"]} and not context["allowPrivilegeEscalation"]
    assert pod["restartPolicy"] == "Never" and pod["automountServiceAccountToken"] is False
    policy = enable.one(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy", "us-east-1-db-roles-network-policy"
    ).plain_inputs["spec"]
    ports = {(p["protocol"], p["port"]) for rule in policy["egress"] for p in rule["ports"]}
    assert ports == {("UDP", 53), ("TCP", 53), ("TCP", 5432)}
    assert policy["podSelector"]["matchLabels"] == JOB_LABEL
    assert JOB_LABEL.items() <= job_spec(enable)["template"]["metadata"]["labels"].items()


def test_the_job_waits_for_its_secret_sql_and_network_policy(enable):
    job = enable.one("kubernetes:batch/v1:Job", "us-east-1-db-roles-job")
    names = {urn.rsplit("::", 1)[-1] for urn in job.dependencies}
    assert {
        "us-east-1-db-roles-credentials",
        "us-east-1-db-roles-sql",
        "us-east-1-db-roles-network-policy",
    } <= names


def test_disabling_a_role_sends_no_password(record):
    stack = build(
        record,
        job_name="erlmcp-db-role-disable-g2",
        action="disable",
        role_password=None,
    )
    sql = stack.one("kubernetes:core/v1:ConfigMap", "us-east-1-db-roles-sql").plain_inputs
    assert (
        sql["data"]["roles.sql"].strip().endswith('ALTER ROLE :"role" WITH NOLOGIN PASSWORD NULL;')
    )
    secret = stack.one("kubernetes:core/v1:Secret", "us-east-1-db-roles-credentials")
    assert set(secret.plain_inputs["stringData"]) == {"PGPASSWORD"}


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"image": "postgres:16"}, "must be pinned by digest"),
        ({"role_password": None}, "a role_password is given to set a password"),
        ({"role": "erlmcp"}, "only reset-master changes the master user 'erlmcp'"),
        ({"action": "reset-master"}, "reset-master of 'erlmcp_b': only reset-master changes"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_registered(overrides, reason):
    with pytest.raises(ValueError, match=reason):
        job_args(**overrides)


def test_every_object_is_the_components_child(enable):
    assert_parented_under(enable, "erlmcp:components:PostgresRoleJob", "us-east-1-db-roles")


def test_the_component_itself_hands_its_credentials_over_as_secrets(record, handed_to):
    handed = handed_to(k8s.core.v1.Secret, "string_data")
    build(record)
    [string_data] = handed
    assert sorted(string_data) == ["PGPASSWORD", "ROLE_PASSWORD_VERIFIER"]
    assert all(is_secret_output(value) for value in string_data.values())


def test_resetting_the_master_password_sends_only_its_verifier(record):
    stack = build(
        record, job_name="erlmcp-db-role-reset-master-g1", action="reset-master", role="erlmcp"
    )
    sql = stack.one("kubernetes:core/v1:ConfigMap", "us-east-1-db-roles-sql").plain_inputs
    assert (
        sql["data"]["roles.sql"].strip().endswith("ALTER ROLE :\"role\" WITH PASSWORD :'verifier';")
    )
    secret = stack.one("kubernetes:core/v1:Secret", "us-east-1-db-roles-credentials").plain_inputs
    assert secret["stringData"]["ROLE_PASSWORD_VERIFIER"].startswith("SCRAM-SHA-256$4096:")
    assert ROLE_PASSWORD not in str(stack.resources)
