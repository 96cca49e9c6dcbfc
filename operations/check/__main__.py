"""`python -m operations.check`: the morning check of the whole fleet, read-only.

    python -m operations.check [--stack prod | --config Pulumi.<stack>.yaml] [--region R ...]
                               [--json build/check-<stack>.json]

For each region (or each `--region`): its public names' `/health` over HTTPS and their Route 53
health checks, each DR copy's replication lag against its RPO, the newest backups and replicated
backup objects against their schedule, the certificate's days to expiry, the alarms in ALARM,
and the pods of each release through the Kubernetes API. Prints a table, writes JSON. Exit 0
when nothing is red, 1 when something is (or a region is down), 2 on bad input.

Needs read-only AWS credentials (Route 53, CloudWatch, AWS Backup, S3, ACM, EKS) and, for the
pods, read access to the clusters through an EKS access entry.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from offline.stacks import REPO_ROOT
from operations.aws_clients import AwsClients
from operations.check.endpoints import HealthEndpoints, public_address
from operations.check.findings import DOWN, IDLE, OK, RED, WARN, Report
from operations.check.run import FleetCheck, KubeAccess
from operations.clock import Clock, SystemClock
from operations.fleet import load_fleet
from operations.kubernetes_api import describe_cluster
from operations.stack_file import StackFileError

_STYLES = {OK: "green", IDLE: "dim", WARN: "yellow", RED: "bold red", DOWN: "bold red reverse"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m operations.check", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--stack", default=None, help="stack name (default: prod)")
    parser.add_argument("--config", type=Path, help="the stack file (default: Pulumi.<stack>.yaml)")
    parser.add_argument("--region", action="append", help="check only these regions")
    parser.add_argument("--json", type=Path, help="default: build/check-<stack>.json")
    return parser.parse_args(argv)


def main(
    argv: list[str] | None = None,
    *,
    clients: AwsClients | None = None,
    clock: Clock | None = None,
    health: HealthEndpoints | None = None,
    kube_access: KubeAccess | None = None,
    console: Console | None = None,
) -> int:
    args = parse_args(argv)
    try:
        fleet = load_fleet(args.stack, args.config)
    except StackFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    unknown = sorted(set(args.region or []) - set(fleet.regions))
    if unknown:
        print(f"error: not a region of the stack: {', '.join(unknown)}", file=sys.stderr)
        return 2
    clients = clients or AwsClients()
    check = fleet.stack.dns.health_check
    health = health or HealthEndpoints(check.path, public_address(check.port))
    kube_access = kube_access or (
        lambda region, name: describe_cluster(clients("eks", region), name, region)
    )
    report = FleetCheck(fleet, clients, clock or SystemClock(), health, kube_access).run(
        args.region or fleet.regions
    )
    out = args.json or REPO_ROOT / "build" / f"check-{args.stack or 'prod'}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
    console = console or Console()
    console.print(report_table(report))
    console.print(summary(report))
    console.print(f"Wrote {out}")
    return 1 if report.failing else 0


def report_table(report: Report) -> Table:
    table = Table(title=f"erlmcp fleet check, {report.checked_at}")
    for column in ("region", "check", "subject", "status", "detail"):
        table.add_column(column, overflow="fold")
    for region in report.regions:
        first = True
        for finding in (f for f in report.findings if f.region == region):
            style = _STYLES[finding.status]
            table.add_row(
                region if first else "",
                finding.check,
                finding.subject,
                f"[{style}]{finding.status.upper()}[/]",
                finding.detail,
            )
            first = False
        table.add_section()
    return table


def summary(report: Report) -> str:
    worst = {region: report.region_status(region) for region in report.regions}
    parts = [f"{region} [{_STYLES[s]}]{s.upper()}[/]" for region, s in worst.items()]
    failing = report.failing
    verdict = f"[bold red]{len(failing)} red[/]" if failing else "[green]nothing red[/]"
    return f"{verdict}: " + ", ".join(parts)


if __name__ == "__main__":
    raise SystemExit(main())
