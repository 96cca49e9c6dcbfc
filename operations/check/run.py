"""One read-only pass over the fleet, region by region.

Each region's public names are checked from outside first (`/health`, their Route 53 health
checks: read in us-east-1, where Route 53 answers). Then the region's own APIs: if its
CloudWatch does not answer at all (no connection, a timeout), the region is reported `down` and
its in-region checks are skipped, so a dead region costs one timeout, not one per check; the
other regions are checked as usual. A check that fails for any other reason (access denied, an
unexpected answer) is red with the error, and the pass goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from operations.aws_clients import UNREACHABLE, AwsClients
from operations.check.backups import (
    backup_buckets,
    recovery_point_findings,
    replicated_object_findings,
)
from operations.check.certificates import certificate_findings
from operations.check.endpoints import HealthEndpoints
from operations.check.findings import DOWN, RED, Finding, Report
from operations.check.pods import release_findings
from operations.check.replication import lag_findings
from operations.check.route53 import alarm_findings, health_check_findings, health_check_ids
from operations.clock import Clock
from operations.fleet import Fleet
from operations.health import ROUTE53_REGION, HealthReader
from operations.kubernetes_api import (
    ClusterAccess,
    KubernetesApi,
    KubernetesError,
    KubernetesUnreachable,
    eks_token,
)

READ_ERRORS = (ClientError, BotoCoreError, KubernetesError, KubernetesUnreachable, ValueError)

KubeAccess = Callable[[str, str], ClusterAccess]


class FleetCheck:
    def __init__(
        self,
        fleet: Fleet,
        clients: AwsClients,
        clock: Clock,
        health: HealthEndpoints,
        kube_access: KubeAccess,
    ) -> None:
        self.fleet, self.clients, self.clock = fleet, clients, clock
        self.health, self.kube_access = health, kube_access
        self.reader = HealthReader(fleet.environment, clients=clients)
        self._buckets: dict[str, str] | None = None

    def run(self, regions: list[str]) -> Report:
        report = Report(self.clock.now().isoformat(timespec="seconds"))
        try:
            ids: dict[str, str] | None = health_check_ids(self.clients("route53", ROUTE53_REGION))
            route53_error = ""
        except READ_ERRORS as error:
            ids, route53_error = None, str(error)
        for region in regions:
            report.findings += self.region(region, ids, route53_error)
        return report

    def region(self, region: str, ids: dict[str, str] | None, route53_error: str) -> list:
        endpoints = self.fleet.endpoints(region)
        findings = [self.health.check(region, endpoint) for endpoint in endpoints]
        if ids is None:
            detail = f"Route 53 could not be read: {route53_error}"
            findings.append(Finding(region, "route53", ROUTE53_REGION, RED, detail))
        else:
            findings += health_check_findings(self.reader, region, endpoints, ids)
        unreachable = self._unreachable(region)
        if unreachable:
            findings.append(Finding(region, "region", region, DOWN, unreachable))
            return findings
        now = self.clock.now()
        checks: list[tuple[str, Callable[[], list[Finding]]]] = [
            ("alarms", lambda: alarm_findings(self.reader, region)),
            ("replication", lambda: lag_findings(self._cw(region), self.fleet, region, now)),
            ("backup", lambda: recovery_point_findings(self.clients, self.fleet, region, now)),
            ("replicated-objects", lambda: self._replicated(region, now)),
            ("certificate", lambda: self._certificate(region, now)),
            ("pods", lambda: self._pods(region)),
        ]
        for name, check in checks:
            findings += _guarded(region, name, check)
        return findings

    def _cw(self, region: str) -> Any:
        return self.clients("cloudwatch", region)

    def _unreachable(self, region: str) -> str:
        """Why the region's APIs do not answer, or "" when they do."""
        try:
            self._cw(region).describe_alarms(MaxRecords=1)
        except UNREACHABLE as error:
            return f"no answer from {region}'s APIs: {error}"
        except READ_ERRORS:
            return ""  # it answered, if only to refuse
        return ""

    def _replicated(self, region: str, now: Any) -> list[Finding]:
        if self._buckets is None:
            self._buckets = backup_buckets(self.clients("s3", region), self.fleet)
        return replicated_object_findings(self.clients, self.fleet, region, self._buckets, now)

    def _certificate(self, region: str, now: Any) -> list[Finding]:
        threshold = self.fleet.stack.observability.alarms.certificate_days_to_expiry
        fqdn = f"{region}.{self.fleet.stack.domain}"
        return certificate_findings(self.clients("acm", region), region, fqdn, threshold, now)

    def _pods(self, region: str) -> list[Finding]:
        releases = self.fleet.releases(region)
        if not releases:
            return []
        access = self.kube_access(region, self.fleet.cluster_name(region))
        session = self.clients.session
        api = KubernetesApi(access, lambda: eks_token(session, access.name, access.region))
        return release_findings(api, releases)


def _guarded(region: str, name: str, check: Callable[[], list[Finding]]) -> list[Finding]:
    try:
        return check()
    except READ_ERRORS as error:
        return [Finding(region, name, "-", RED, f"could not be read: {error}")]
