"""Every Route 53 health check of the fleet's public names, and the alarms in ALARM in each region,
read as the rollout's health gate reads them (operations/health.py `HealthReader`).

Route 53 health checks are found by the name they check (`FullyQualifiedDomainName`,
ListHealthChecks), which components/dns.py sets to each public name: the check needs no stack
outputs and no Pulumi CLI. A name without a health check is red: Route 53 would route to it
blind.
"""

from __future__ import annotations

from typing import Any

from operations.check.findings import IDLE, OK, RED, Finding
from operations.fleet import Endpoint
from operations.health import ROUTE53_REGION, HealthReader


def health_check_ids(route53: Any) -> dict[str, str]:
    """Public name -> health check id, for every health check of the account."""
    pages = route53.get_paginator("list_health_checks").paginate()
    return {
        str(check["HealthCheckConfig"].get("FullyQualifiedDomainName", "")).rstrip("."): str(
            check["Id"]
        )
        for page in pages
        for check in page["HealthChecks"]
    }


def health_check_findings(
    reader: HealthReader, region: str, endpoints: list[Endpoint], ids: dict[str, str]
) -> list[Finding]:
    findings = []
    for endpoint in endpoints:
        check_id = ids.get(endpoint.fqdn)
        if check_id is None:
            findings.append(
                Finding(region, "route53", endpoint.fqdn, RED, "no Route 53 health check")
            )
            continue
        signal = reader.health_check(region, check_id)
        status = OK if signal.healthy else RED
        if not endpoint.expected_up and not signal.healthy:
            status = IDLE
        detail = f"{signal.detail} (health check {check_id})"
        findings.append(Finding(region, "route53", endpoint.fqdn, status, detail))
    return findings


def alarm_findings(reader: HealthReader, region: str) -> list[Finding]:
    return [
        Finding(region, "alarms", signal.name, OK if signal.healthy else RED, signal.detail)
        for signal in reader.alarms(region)
    ]


__all__ = ["ROUTE53_REGION", "alarm_findings", "health_check_findings", "health_check_ids"]
