"""What an erlmcp pod is: the pod template of the release's StatefulSet (components/release.py).

One `erlmcp` container running the pinned image by digest, its configuration from the
`erlmcp-config` ConfigMap and its secrets from `erlmcp-secrets` as environment variables, HTTP
startup, liveness and readiness probes, the release's ports, and a restricted security context.

* Zones: `DoNotSchedule` with maxSkew 1 across `topology.kubernetes.io/zone`, so a zone outage
  never takes more than its share of pods; `nodeTaintsPolicy: Honor` leaves the tainted nodes of
  a failing zone out of the count, so the hard rule cannot strand replacement pods. Hosts:
  `ScheduleAnyway`, a preference, because a hard per-node rule blocks scheduling as soon as one
  eligible node with no erlmcp pod is full.
* Service account token: not mounted (`automountServiceAccountToken: false`). erlmcp finds its
  peers through the headless service's DNS and never calls the Kubernetes API. IRSA does not need
  the mounted token: the EKS pod identity webhook adds its own projected `aws-iam-token` volume
  (audience sts.amazonaws.com) to pods whose service account has the role annotation.
* User 1000:1000 (the conventional unprivileged user of Erlang release images; change
  `RUN_AS_USER` if the image is built with another) with a read-only root filesystem. The
  writable `/tmp` emptyDir takes what an Erlang release writes at start and on crash:
  `RELX_OUT_FILE_PATH` (the rendered vm.args/sys.config), `ERL_CRASH_DUMP`, and `HOME`.
* Erlang distribution is pinned to 9100-9105 (`ERL_AFLAGS`), the range the NetworkPolicy opens,
  and the node name is `erlmcp@<pod>.erlmcp-headless.<namespace>.svc.cluster.local`
  (`ERLMCP_NODE_NAME`), the long name the runbook's `net_adm:ping` uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from components.pod_security import restricted_container_context
from components.release_args import ErlmcpReleaseArgs
from components.release_names import (
    APP,
    CONFIG_MAP_NAME,
    CONTAINER_NAME,
    HEADLESS_SERVICE_NAME,
    SECRET_NAME,
    SERVICE_ACCOUNT_NAME,
)
from components.release_network import (
    DIST_PORT_MAX,
    DIST_PORT_MIN,
    EPMD_PORT,
    HTTP_PORT,
    MCP_PORT,
    METRICS_PORT,
    dist_ports,
)

RUN_AS_USER = 1000
TERMINATION_GRACE_SECONDS = 60
TMP_SIZE_LIMIT = "1Gi"

# Environment variable -> key in `erlmcp-secrets`. The JWT secret goes by the name erlmcp reads,
# ERLMCP_JWT_SECRET (seanchatmangpt/erlmcp apps/erlmcp_cli/src/erlmcp_cli_auth.erl:763, at
# 1356e12d); the runbook's JWT_SECRET (§13.1) is read by no code, and without the right name
# every node invents its own secret (:766), so a token issued by one pod fails on the next.
SECRET_ENV = {
    "ERLMCP_DB_PASSWORD": "db-password",
    "ERLANG_COOKIE": "erlang-cookie",
    "ERLMCP_JWT_SECRET": "jwt-secret",
    "ERLMCP_REDIS_PASSWORD": "redis-auth-token",
}


def _env(config_keys: Iterable[str]) -> list[dict[str, Any]]:
    def field_ref(path: str) -> dict[str, Any]:
        return {"field_ref": {"field_path": path}}

    def key_ref(kind: str, name: str, key: str) -> dict[str, Any]:
        return {kind: {"name": name, "key": key}}

    from_config = [
        {"name": key, "value_from": key_ref("config_map_key_ref", CONFIG_MAP_NAME, key)}
        for key in config_keys
    ]
    from_secret = [
        {"name": env, "value_from": key_ref("secret_key_ref", SECRET_NAME, key)}
        for env, key in SECRET_ENV.items()
    ]
    return [
        {"name": "POD_NAME", "value_from": field_ref("metadata.name")},
        {"name": "POD_NAMESPACE", "value_from": field_ref("metadata.namespace")},
        {
            "name": "ERLMCP_NODE_NAME",
            "value": f"{APP}@$(POD_NAME).{HEADLESS_SERVICE_NAME}.$(POD_NAMESPACE)"
            ".svc.cluster.local",
        },
        *from_config,
        *from_secret,
        {
            "name": "ERL_AFLAGS",
            "value": f"-kernel inet_dist_listen_min {DIST_PORT_MIN} "
            f"inet_dist_listen_max {DIST_PORT_MAX}",
        },
        {"name": "RELX_OUT_FILE_PATH", "value": "/tmp"},
        {"name": "ERL_CRASH_DUMP", "value": "/tmp/erl_crash.dump"},
        {"name": "HOME", "value": "/tmp"},
    ]


def _container_ports() -> list[dict[str, Any]]:
    named = [
        ("http", HTTP_PORT),
        ("mcp", MCP_PORT),
        ("metrics", METRICS_PORT),
        ("epmd", EPMD_PORT),
        *((f"dist-{p}", p) for p in dist_ports()),
    ]
    return [{"name": n, "container_port": p, "protocol": "TCP"} for n, p in named]


def _probes() -> dict[str, Any]:
    def http_get(path: str) -> dict[str, Any]:
        return {"path": path, "port": "http", "scheme": "HTTP"}

    return {
        # Up to 5 minutes to boot (database connection, cluster join) before liveness counts.
        "startup_probe": {
            "http_get": http_get("/health"),
            "period_seconds": 5,
            "timeout_seconds": 3,
            "failure_threshold": 60,
        },
        "liveness_probe": {
            "http_get": http_get("/health"),
            "period_seconds": 10,
            "timeout_seconds": 3,
            "failure_threshold": 3,
        },
        "readiness_probe": {
            "http_get": http_get("/ready"),
            "period_seconds": 5,
            "timeout_seconds": 3,
            "failure_threshold": 3,
            "success_threshold": 1,
        },
    }


def _container(args: ErlmcpReleaseArgs, config_keys: Iterable[str]) -> dict[str, Any]:
    res = args.resources
    return {
        "name": CONTAINER_NAME,
        # The tag is for people; the kubelet pulls by digest, so a re-pushed tag changes
        # nothing until the config names the new digest (and IfNotPresent is then exact).
        "image": f"{args.image}:{args.version}@{args.image_digest}",
        "image_pull_policy": "IfNotPresent",
        "ports": _container_ports(),
        "env": _env(config_keys),
        "resources": {
            "requests": {"cpu": res.cpu_request, "memory": res.memory_request},
            "limits": {"cpu": res.cpu_limit, "memory": res.memory_limit},
        },
        **_probes(),
        "security_context": restricted_container_context(RUN_AS_USER),
        "volume_mounts": [{"name": "tmp", "mount_path": "/tmp"}],
    }


def _spread(selector: dict[str, str]) -> list[dict[str, Any]]:
    label_selector = {"match_labels": selector}
    return [
        {
            "max_skew": 1,
            "topology_key": "topology.kubernetes.io/zone",
            "when_unsatisfiable": "DoNotSchedule",
            "node_taints_policy": "Honor",
            "label_selector": label_selector,
        },
        {
            "max_skew": 1,
            "topology_key": "kubernetes.io/hostname",
            "when_unsatisfiable": "ScheduleAnyway",
            "label_selector": label_selector,
        },
    ]


def pod_spec(
    args: ErlmcpReleaseArgs, selector: dict[str, str], config_keys: Iterable[str]
) -> dict[str, Any]:
    """The StatefulSet's pod spec; `config_keys` are the `erlmcp-config` keys, each read into an
    environment variable of its own name."""
    return {
        "service_account_name": SERVICE_ACCOUNT_NAME,
        "automount_service_account_token": False,
        "enable_service_links": False,
        "termination_grace_period_seconds": TERMINATION_GRACE_SECONDS,
        "security_context": {
            "run_as_non_root": True,
            "run_as_user": RUN_AS_USER,
            "run_as_group": RUN_AS_USER,
            "fs_group": RUN_AS_USER,
            "seccomp_profile": {"type": "RuntimeDefault"},
        },
        "topology_spread_constraints": _spread(selector),
        "containers": [_container(args, config_keys)],
        "volumes": [{"name": "tmp", "empty_dir": {"size_limit": TMP_SIZE_LIMIT}}],
    }
