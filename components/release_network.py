"""erlmcp's network surface: the ports it serves and uses, and the NetworkPolicy rules that
open exactly those (the release component, components/release.py, creates the policies).

Ingress: clients through the NLB on HTTP and MCP (the AWS Load Balancer Controller sends them
straight to pod IPs with their own addresses), Prometheus from the monitoring namespace (and a
managed collector from the subnets it was given) on the metrics port, and Erlang distribution
between erlmcp pods. Egress: DNS to CoreDNS, PostgreSQL, Redis, HTTPS (STS for IRSA, S3, other
AWS APIs), the OTLP port of the collector, and distribution to the other erlmcp pods; the EC2
instance metadata service is excluded from every rule (it would hand out the node's role; IRSA
does not need it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

HTTP_PORT = 8080
MCP_PORT = 5005
METRICS_PORT = 9090
EPMD_PORT = 4369
DIST_PORT_MIN = 9100
DIST_PORT_MAX = 9105
HTTPS_PORT = 443
POSTGRES_PORT = 5432
REDIS_PORT = 6379
DNS_PORT = 53
IMDS_CIDR = "169.254.169.254/32"


def otel_port(endpoint: str) -> int:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"otel_endpoint {endpoint!r} is not an http(s) URL")
    return parts.port or (HTTPS_PORT if parts.scheme == "https" else 80)


def tcp(port: int, end_port: int | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"protocol": "TCP", "port": port}
    if end_port is not None:
        spec["end_port"] = end_port
    return spec


def dist_ports() -> range:
    return range(DIST_PORT_MIN, DIST_PORT_MAX + 1)


def peers(selector: dict[str, str]) -> list[dict[str, Any]]:
    return [{"pod_selector": {"match_labels": selector}}]


def distribution_ports() -> list[dict[str, Any]]:
    return [tcp(EPMD_PORT), tcp(DIST_PORT_MIN, DIST_PORT_MAX)]


def ingress_rules(
    selector: dict[str, str],
    monitoring_namespace: str,
    metrics_scraper_cidrs: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """`metrics_scraper_cidrs`: where scrapers that are not pods come from, such as the network
    interfaces an Amazon Managed Service for Prometheus collector places in the cluster's
    subnets (AMP user guide, "Ingest metrics with AWS managed collectors"): a namespace selector
    matches pods only, so without an address block the default-deny policy drops them."""
    monitoring: list[dict[str, Any]] = [
        {
            "namespace_selector": {
                "match_labels": {"kubernetes.io/metadata.name": monitoring_namespace}
            }
        },
        *({"ip_block": {"cidr": cidr}} for cidr in metrics_scraper_cidrs),
    ]
    return [
        # Clients through the NLB keep their own addresses (client IP preservation).
        {"ports": [tcp(HTTP_PORT), tcp(MCP_PORT)]},
        {"from": monitoring, "ports": [tcp(METRICS_PORT)]},
        {"from": peers(selector), "ports": distribution_ports()},
    ]


def egress_rules(selector: dict[str, str], otel_endpoint: str) -> list[dict[str, Any]]:
    core_dns = {
        "namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "kube-system"}},
        "pod_selector": {"match_labels": {"k8s-app": "kube-dns"}},
    }
    dns_ports = [{"protocol": proto, "port": DNS_PORT} for proto in ("UDP", "TCP")]
    outbound = sorted({POSTGRES_PORT, REDIS_PORT, HTTPS_PORT, otel_port(otel_endpoint)})
    # Any address but the instance metadata service, which would hand out the node's role.
    anywhere = [
        {"ip_block": {"cidr": "0.0.0.0/0", "except": [IMDS_CIDR]}},
        {"namespace_selector": {}},
    ]
    return [
        {"to": [core_dns], "ports": dns_ports},
        {"to": anywhere, "ports": [tcp(port) for port in outbound]},
        {"to": peers(selector), "ports": distribution_ports()},
    ]
