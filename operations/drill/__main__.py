"""`python -m operations.drill`: prove that the databases' backups restore.

    python -m operations.drill [--stack prod | --config Pulumi.<stack>.yaml] [--region <primary>]
                               [--instance-class db.r6g.large] [--query 'SELECT count(*) ...']
                               [--timeout-minutes 120] [--poll-seconds 30]
                               [--pod-namespace default] [--psql-image IMAGE]
                               [--json build/restore-drill-<stack>.json]

For each database that takes writes (or `--region`'s): the newest AWS Backup recovery point in
its DR partner's vault, restored into a scratch database in that region, checked with a query,
deleted (operations/drill/run.py). Writes the results as JSON and prints a table. Exit 0 when
every drill passed, 1 when one failed, 2 on bad input (nothing was created), 130 when
interrupted (the scratch database is deleted first; the JSON says how far it got).

Needs AWS credentials that can read AWS Backup, restore, describe and delete RDS databases, read
the scratch database's managed secret and use the Data API in the DR regions, and (RDS pairs)
create pods and secrets in the standby region's EKS cluster.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from offline.stacks import REPO_ROOT
from operations.aws_clients import AwsClients
from operations.clock import Clock, SystemClock
from operations.drill.probes import (
    DEFAULT_QUERY,
    PSQL_IMAGE,
    DataApiProbe,
    PodProbe,
    PodSettings,
    Probe,
    Query,
)
from operations.drill.run import Drill, DrillResult, DrillSettings, DrillTarget, drill_targets
from operations.drill.scratch import Scratch
from operations.fleet import Fleet, load_fleet
from operations.kubernetes_api import ClusterAccess, KubernetesApi, describe_cluster, eks_token
from operations.stack_file import StackFileError

KubeAccess = Callable[[str, str], ClusterAccess]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m operations.drill", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--stack", default=None, help="stack name (default: prod)")
    parser.add_argument("--config", type=Path, help="the stack file (default: Pulumi.<stack>.yaml)")
    parser.add_argument("--region", help="drill only this primary's database")
    parser.add_argument("--instance-class", help="scratch class (default: the database's own)")
    parser.add_argument("--query", default=DEFAULT_QUERY, help="must answer a number above 0")
    parser.add_argument("--timeout-minutes", type=float, default=120)
    parser.add_argument("--poll-seconds", type=float, default=30)
    parser.add_argument("--pod-namespace", default="default")
    parser.add_argument("--psql-image", default=PSQL_IMAGE)
    parser.add_argument("--json", type=Path, help="default: build/restore-drill-<stack>.json")
    return parser.parse_args(argv)


def probe_factory(
    fleet: Fleet,
    clients: AwsClients,
    clock: Clock,
    query: Query,
    pods: PodSettings,
    kube_access: KubeAccess,
) -> Callable[[DrillTarget, Scratch], Probe]:
    def probe_for(target: DrillTarget, scratch: Scratch) -> Probe:
        rds = clients("rds", target.region)
        if scratch.is_cluster:
            return DataApiProbe(rds, clients("rds-data", target.region), clock, query)
        access = kube_access(target.region, fleet.cluster_name(target.region))
        api = KubernetesApi(access, lambda: eks_token(clients.session, access.name, access.region))
        secrets = clients("secretsmanager", target.region)
        return PodProbe(rds, secrets, api, clock, query, target.writer.primary, pods)

    return probe_for


def main(
    argv: list[str] | None = None,
    *,
    clients: AwsClients | None = None,
    clock: Clock | None = None,
    kube_access: KubeAccess | None = None,
    console: Console | None = None,
) -> int:
    args = parse_args(argv)
    console = console or Console()
    try:
        fleet = load_fleet(args.stack, args.config)
    except StackFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    targets = drill_targets(fleet, args.region)
    if not targets:
        print(
            f"error: no database of {args.region} has backups copied to a partner region",
            file=sys.stderr,
        )
        return 2
    if args.instance_class:
        targets = [_with_class(t, args.instance_class) for t in targets]
    clients = clients or AwsClients()
    clock = clock or SystemClock()
    kube_access = kube_access or (
        lambda region, name: describe_cluster(clients("eks", region), name, region)
    )
    query = Query(fleet.stack.release.database_name, args.query)
    pods = PodSettings(args.pod_namespace, args.psql_image)
    drill = Drill(
        fleet,
        clients,
        clock,
        probe_factory(fleet, clients, clock, query, pods, kube_access),
        DrillSettings(args.timeout_minutes, args.poll_seconds),
    )
    out = args.json or REPO_ROOT / "build" / f"restore-drill-{args.stack or 'prod'}.json"
    interrupted = False
    try:
        drill.run_all(targets)
    except KeyboardInterrupt:
        interrupted = True
    write_results(out, drill.results, interrupted, clock)
    console.print(results_table(drill.results))
    console.print(f"Wrote {out}")
    if interrupted:
        console.print("Interrupted: the scratch database was deleted (see cleanupErrors).")
        return 130
    return 0 if all(r.passed for r in drill.results) else 1


def _with_class(target: DrillTarget, instance_class: str) -> DrillTarget:
    return DrillTarget(target.writer, target.region, target.pair, target.beside, instance_class)


def write_results(path: Path, results: list[DrillResult], interrupted: bool, clock: Clock) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document: dict[str, Any] = {
        "finishedAt": clock.now().isoformat(timespec="seconds"),
        "interrupted": interrupted,
        "passed": not interrupted and all(r.passed for r in results),
        "drills": [r.as_dict() for r in results],
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def results_table(results: list[DrillResult]) -> Table:
    table = Table(title="Restore drill")
    for column in ("database", "restored in", "point age", "restore", "check", "cleanup", ""):
        table.add_column(column)
    for r in results:
        budget = r.budget or {}
        age = f"{r.point['ageMinutes']:g} min" if r.point else "-"
        if r.point and budget:
            age += _against(budget["pointWithinRpoTarget"], "RPO", budget["rpoTargetMinutes"])
        restore = "-" if r.restore_minutes is None else f"{r.restore_minutes:g} min"
        if "restoreWithinRtoTarget" in budget:
            restore += _against(budget["restoreWithinRtoTarget"], "RTO", budget["rtoTargetMinutes"])
        check = r.check["detail"] if r.check else (r.error or "-")
        cleanup = ("; ".join(r.cleanup_errors) or "deleted") if r.scratch else "-"
        verdict = "[green]passed[/]" if r.passed else "[bold red]FAILED[/]"
        table.add_row(f"{r.database}", r.region, age, restore, check, cleanup, verdict)
    return table


def _against(within: bool, target: str, minutes: float) -> str:
    return f" <= {target} {minutes:g}" if within else f" [yellow]> {target} {minutes:g}[/]"


if __name__ == "__main__":
    raise SystemExit(main())
